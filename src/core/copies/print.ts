// Printing copies: build the image if needed, then create and start N identical,
// hardened copies in parallel (the engine is the bottleneck, one request each is the
// floor), then wait until they are healthy.
//
// - Secrets are resolved first: a missing one stops the print before anything is built
//   or started. Their values go only into each copy's environment.
// - Printing more copies of a version that has some adds to them: indices continue
//   after the highest existing one.
// - A batch is all or nothing: if one copy cannot start, the copies this print started
//   are removed again and the error is thrown. Cancelling while copies are being created
//   does the same; cancelling while waiting for health leaves the (started) copies.
// - Copies that never become healthy stay (they are reported, with their last log lines):
//   the caller decides (`mastercopy dispose`).
import { buildMasterCopy, type BuildEvent } from '../build/build';
import type { BuildFileSystem } from '../build/buildFileSystem';
import type { EngineClient, PublishedPort } from '../engine/EngineClient';
import { EngineRequestError } from '../engine/errors';
import { LABEL_NAME, LABEL_VERSION } from '../engine/labels';
import { normalizePort, type MasterCopy } from '../mastercopy/model';
import { CopiesError, PortTakenError } from './errors';
import { waitForHealth, type HealthProber, type HttpProbe } from './health';
import { lastLogLines } from './lastLogLines';
import { copyIndex } from './ps';
import { readDesired, removeDesired, setDesired } from '../deploy/desired';
import { resolveSecrets, type ReadTextFile } from './secrets';
import {
  copyContainerSpec,
  legacyVolumeName,
  networkName,
  PUBLISH_HOST_IP,
  volumeName,
} from './spec';

export const MAX_COPIES = 1000;

export interface PrintedCopy {
  index: number;
  id: string;
  /** The container's name, NAME_VERSION_INDEX. */
  name: string;
  /** As published once running (host ports filled in). */
  ports: PublishedPort[];
}

export interface UnhealthyCopy extends PrintedCopy {
  reason: string;
  /** The copy's last log lines (stdout and stderr). */
  lastLogLines: string[];
}

export type PrintEvent =
  | { kind: 'build'; event: BuildEvent }
  | { kind: 'built'; status: 'built' | 'up-to-date'; tag: string; digest: string }
  | { kind: 'network'; name: string; created: boolean }
  | { kind: 'volume'; name: string; created: boolean }
  | { kind: 'starting'; count: number; firstIndex: number }
  | { kind: 'started'; copy: PrintedCopy }
  | { kind: 'waiting-for-health'; count: number }
  | { kind: 'healthy'; copy: PrintedCopy }
  | { kind: 'unhealthy'; copy: UnhealthyCopy };

export interface PrintOptions {
  /** How many copies to add; default the master copy's `copies`, else 1. */
  copies?: number;
  /** Where `secrets[].fromEnv` values come from (the printer's environment). */
  env: Readonly<Record<string, string | undefined>>;
  /** Reads `secrets[].fromFile` files. */
  readFile: ReadTextFile;
  /** The secrets' values, already known (a replacement takes its siblings'): env and readFile are then not asked. */
  secrets?: Readonly<Record<string, string>>;
  onProgress?: (event: PrintEvent) => void;
  signal?: AbortSignal;
  /** More labels on everything this print creates (e.g. a test run's); ours win a clash. */
  extraLabels?: Record<string, string>;
  /**
   * Where `health.http` is probed from (a remote engine's copies are not on this machine's
   * loopback: the front end passes a prober that probes from their network); default the
   * published port on probeHost, with `probe`.
   */
  prober?: HealthProber;
  /** How `health.http` is probed through a published port; a real GET by default. */
  probe?: HttpProbe;
  /** Where published ports are reached from here; default 127.0.0.1. */
  probeHost?: string;
  /** How many log lines an unhealthy copy is reported with; default 20. */
  logLines?: number;
  /** How the build reads host files; the real file system by default. */
  files?: BuildFileSystem;
  /** Print from this image as it is, never building (a rollback); it must be NAME:VERSION's. */
  image?: { tag: string; imageId: string; digest: string };
  /** false: return once the copies are started; the caller judges their health (the keeper does, where they run). */
  waitForHealth?: boolean;
  /** Who the desired-count record names ("print" by default, "scale", "promote"). */
  desiredBy?: string;
}

export interface PrintResult {
  build: { status: 'built' | 'up-to-date'; tag: string; imageId: string; digest: string };
  network: string;
  /** The copies this print added, by index. */
  copies: PrintedCopy[];
  /** Copies that never became healthy (empty when all did, or there is no `health`). */
  unhealthy: UnhealthyCopy[];
  /** Whether there was a health check to wait for. */
  healthChecked: boolean;
}

/** The label filter of one version's copies. */
export function versionFilter(mc: Pick<MasterCopy, 'name' | 'version'>): Record<string, string> {
  return { [LABEL_NAME]: mc.name, [LABEL_VERSION]: mc.version };
}

/**
 * Prints `options.copies` more copies of the validated master copy `mc` (folder: where its
 * file is). Throws SecretError, PortTakenError, CopiesError, the build's errors, the
 * engine's errors (EngineUnreachableError, …), or the abort reason when `signal` aborts.
 */
export async function printCopies(
  engine: EngineClient,
  mc: MasterCopy,
  folder: string,
  options: PrintOptions,
): Promise<PrintResult> {
  const { signal, onProgress } = options;
  const count = options.copies ?? mc.copies ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > MAX_COPIES)
    throw new CopiesError(
      `The number of copies must be a whole number from 1 to ${MAX_COPIES}, not ${count}.`,
    );
  const extraLabels = options.extraLabels ?? {};

  const secrets =
    options.secrets ?? (await resolveSecrets(mc, folder, options.env, options.readFile));

  const existing = await engine.listContainers(versionFilter(mc), signal);
  const fixed = (mc.ports ?? []).map(normalizePort).filter((p) => p.hostPort !== undefined);
  if (fixed.length && existing.length + count > 1) {
    const p = fixed[0];
    throw new CopiesError(
      `${mc.name}:${mc.version} publishes container port ${p.port} on the fixed host port ${p.hostPort}, which only one copy can hold` +
        (existing.length
          ? ` (${existing.length} cop${existing.length === 1 ? 'y exists' : 'ies exist'} already)`
          : '') +
        `. Remove \`hostPort\` to give each copy an ephemeral port, or print a single copy.`,
    );
  }

  const built = options.image
    ? { status: 'up-to-date' as const, ...options.image }
    : await buildMasterCopy(engine, mc, folder, {
        signal,
        extraLabels,
        files: options.files,
        onProgress: onProgress && ((event) => onProgress({ kind: 'build', event })),
      });
  onProgress?.({ kind: 'built', status: built.status, tag: built.tag, digest: built.digest });
  // What the probe needs (a remote engine's probe image) before anything starts: a print that
  // cannot judge health says so with nothing left running.
  if (mc.health?.http && options.waitForHealth !== false) await options.prober?.prepare?.(signal);

  const network = await ensureNetwork(engine, mc.name, extraLabels, signal);
  onProgress?.({ kind: 'network', name: network.name, created: network.created });
  // A print that fails leaves nothing it made: its network goes when nothing is on it.
  const undoNetwork = async () => {
    if (network.created && !(await engine.listContainers({ [LABEL_NAME]: mc.name })).length)
      await engine.removeNetwork(network.id, { [LABEL_NAME]: mc.name }).catch(() => undefined);
  };
  const volumeNames = await resolveVolumeNames(engine, mc, signal);
  try {
    for (const v of mc.volumes ?? []) {
      const created = await ensureVolume(engine, mc.name, volumeNames[v.name], extraLabels, signal);
      onProgress?.({ kind: 'volume', name: volumeNames[v.name], created });
    }
  } catch (e) {
    await undoNetwork().catch(() => undefined);
    throw e;
  }

  const firstIndex = existing.reduce((max, c) => Math.max(max, copyIndex(c.labels) ?? -1), -1) + 1;
  // Before the copies exist, so that a keeper does not take them for too many (and back if they fail).
  const recorded = await setDesired(
    engine,
    mc.name,
    { version: mc.version, count: existing.length + count, by: options.desiredBy ?? 'print' },
    extraLabels,
  );
  onProgress?.({ kind: 'starting', count, firstIndex });
  const indices = Array.from({ length: count }, (_, i) => firstIndex + i);
  // Another print of this version at the same time chose the same indices (the engine then
  // says a name is in use: by a copy of ours, so take the next free index) or made a second
  // network of the name, which the engine refuses as "ambiguous" until ensureNetwork has
  // removed it (or, in swarm mode, as "not found" once it has): either is retried, a few times.
  let nextIndex = firstIndex + count;
  let networkId = network.id;
  let repair: Promise<void> | undefined;
  const startOne = async (first: number): Promise<{ index: number; id: string; name: string }> => {
    let index = first;
    for (let attempt = 1; ; attempt++) {
      const spec = copyContainerSpec(mc, {
        image: built.tag,
        digest: built.digest,
        index,
        network: networkId,
        secrets,
        extraLabels,
        volumeNames,
      });
      try {
        const { id } = await engine.createAndStartContainer(spec, signal);
        return { index, id, name: spec.name ?? id };
      } catch (e) {
        const race = attempt < RACE_ATTEMPTS && !signal?.aborted ? raceOf(e) : undefined;
        if (race === 'name') {
          const ours = await engine.listContainers(versionFilter(mc), signal);
          if (ours.some((c) => c.name === spec.name)) {
            for (const c of ours) nextIndex = Math.max(nextIndex, (copyIndex(c.labels) ?? -1) + 1);
            index = nextIndex++;
            continue;
          }
        } else if (race === 'network') {
          // One repair for all the copies that hit it.
          await (repair ??= ensureNetwork(engine, mc.name, extraLabels, signal).then((n) => {
            networkId = n.id;
            repair = undefined;
          }));
          continue;
        }
        throw explainStartError(e, mc, spec.name ?? '');
      }
    }
  };
  const settled = await Promise.allSettled(
    indices.map(async (first) => {
      const { index, id, name } = await startOne(first);
      const details = await engine.inspectContainer(id, signal);
      const copy: PrintedCopy = { index, id, name, ports: details?.ports ?? [] };
      onProgress?.({ kind: 'started', copy });
      return copy;
    }),
  );
  const copies = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed || signal?.aborted) {
    // All or nothing: take back what this print started (not with the aborted signal).
    await Promise.allSettled(
      copies.map((c) =>
        engine.stopAndRemoveContainer(c.id, versionFilter(mc), { stopTimeoutSeconds: 2 }),
      ),
    );
    // Our record goes, so the one before it (if any) holds again: a failed print changes nothing.
    await removeDesired(engine, mc.name, recorded.seq).catch(() => undefined);
    await undoNetwork().catch(() => undefined);
    if (signal?.aborted) throw signal.reason ?? failed?.reason;
    throw failed?.reason;
  }
  // Another print at the same time recorded the count it saw, not the sum: record what is there.
  const now = (await engine.listContainers(versionFilter(mc), signal)).length;
  if (now > existing.length + count) {
    const recorded = (await readDesired(engine, mc.name, signal)).get(mc.version)?.count ?? 0;
    if (now > recorded)
      await setDesired(
        engine,
        mc.name,
        { version: mc.version, count: now, by: options.desiredBy ?? 'print' },
        extraLabels,
      );
  }

  const result: PrintResult = {
    build: { status: built.status, tag: built.tag, imageId: built.imageId, digest: built.digest },
    network: network.name,
    copies,
    unhealthy: [],
    healthChecked:
      mc.health !== undefined && (mc.health.http !== undefined || mc.health.command !== undefined),
  };
  if (!result.healthChecked || options.waitForHealth === false) return result;

  onProgress?.({ kind: 'waiting-for-health', count: copies.length });
  const outcomes = await Promise.all(
    copies.map(async (copy) => {
      const outcome = await waitForHealth(engine, mc, copy.id, {
        signal,
        prober: options.prober,
        probe: options.probe,
        probeHost: options.probeHost,
        network,
      });
      if (outcome.healthy) {
        onProgress?.({ kind: 'healthy', copy });
        return undefined;
      }
      const lines = await lastLogLines(engine, copy.id, options.logLines ?? 20, { signal }).catch(
        (e: unknown) => [
          `(the log could not be read: ${e instanceof Error ? e.message : String(e)})`,
        ],
      );
      const unhealthy: UnhealthyCopy = { ...copy, reason: outcome.reason, lastLogLines: lines };
      onProgress?.({ kind: 'unhealthy', copy: unhealthy });
      return unhealthy;
    }),
  );
  result.unhealthy = outcomes.filter((u): u is UnhealthyCopy => u !== undefined);
  return result;
}

/**
 * The master copy's network, ours; created when missing. The engine lets two creates of
 * one name both succeed (two prints at once), and then refuses every start that names it
 * ("ambiguous"): so copies refer to it by id, and when there are several, every client
 * keeps the same one (the lowest id) and removes the others that nothing uses — which
 * also repairs a duplicate left by an older Master Copy.
 */
export async function ensureNetwork(
  engine: EngineClient,
  name: string,
  extraLabels: Record<string, string>,
  signal?: AbortSignal,
): Promise<{ name: string; id: string; created: boolean }> {
  const wanted = networkName(name);
  // The oldest first (then by id): a client that saw only one saw the oldest, so every
  // client keeps the same one — the lowest id did not, when the second came after a look.
  const ours = async () =>
    (await engine.listNetworks({ [LABEL_NAME]: name }, signal))
      .filter((n) => n.name === wanted)
      .sort(
        (a, b) => compareCreated(a.created, b.created) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      );
  let found = await ours();
  let created = false;
  if (found.length === 0) {
    try {
      await engine.createNetwork(
        { name: wanted, labels: { ...extraLabels, [LABEL_NAME]: name } },
        signal,
      );
      created = true;
    } catch (e) {
      // 409: it exists — made by a print running at the same time, or by someone else.
      if (!(e instanceof EngineRequestError && e.statusCode === 409)) throw e;
    }
    found = await ours();
    if (found.length === 0)
      throw new CopiesError(
        `A network named ${wanted} exists but was not created by Master Copy for ${name}; it is left alone. ` +
          `Remove or rename it to print ${name}.`,
      );
  }
  const [keep, ...extra] = found;
  // In use (a copy of an older print on it): it stays, and is removed once it is not.
  for (const n of extra)
    await engine.removeNetwork(n.id, { [LABEL_NAME]: name }, signal).catch(() => undefined);
  return { name: wanted, id: keep.id, created: created && found.length === 1 };
}

/** Engine times (RFC 3339, up to nanoseconds: "…:42.7370066Z") in order; a missing one last. */
function compareCreated(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined || b === undefined) return a === undefined ? 1 : -1;
  const key = (t: string) =>
    t.replace(/(?:\.([0-9]+))?(Z|[+-].*)$/, (_, f = '', z) => `.${f.padEnd(9, '0')}${z}`);
  const [x, y] = [key(a), key(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The engine's name of each of the master copy's volumes: the one an older Master Copy
 * made (`mastercopy-NAME-VOLUME`, ours and labelled with this name) where it exists, so
 * that its data stays in use; else volumeName()'s.
 */
export async function resolveVolumeNames(
  engine: EngineClient,
  mc: Pick<MasterCopy, 'name' | 'volumes'>,
  signal?: AbortSignal,
): Promise<Record<string, string>> {
  if (!mc.volumes?.length) return {};
  const ours = new Set(
    (await engine.listVolumes({ [LABEL_NAME]: mc.name }, signal)).map((v) => v.name),
  );
  return Object.fromEntries(
    mc.volumes.map((v) => [
      v.name,
      ours.has(legacyVolumeName(mc.name, v.name))
        ? legacyVolumeName(mc.name, v.name)
        : volumeName(mc.name, v.name),
    ]),
  );
}

/** A named volume, ours; created when missing. Refuses a same-named volume that is not ours. */
async function ensureVolume(
  engine: EngineClient,
  name: string,
  volume: string,
  extraLabels: Record<string, string>,
  signal?: AbortSignal,
): Promise<boolean> {
  const ours = async () =>
    (await engine.listVolumes({ [LABEL_NAME]: name }, signal)).some((v) => v.name === volume);
  if (await ours()) return false;
  // Creating a volume that exists answers with the existing one, whoever made it: check.
  await engine.createVolume(
    { name: volume, labels: { ...extraLabels, [LABEL_NAME]: name } },
    signal,
  );
  if (await ours()) return true;
  throw new CopiesError(
    `A volume named ${volume} exists but was not created by Master Copy for ${name}; it is left alone. ` +
      `Remove or rename it to print ${name}.`,
  );
}

const RACE_ATTEMPTS = 8;

/** Whether a failed create or start is another print's doing (see printCopies). */
function raceOf(e: unknown): 'name' | 'network' | undefined {
  if (!(e instanceof EngineRequestError)) return undefined;
  if (e.statusCode === 409 && /name .* is already in use/i.test(e.engineMessage)) return 'name';
  if (/network .* is ambiguous/i.test(e.engineMessage)) return 'network';
  // An engine in swarm mode says it so when the network we named went meanwhile (the other
  // print removed it as the duplicate): the same repair.
  if (/could not attach to network .*not found/i.test(e.engineMessage)) return 'network';
  return undefined;
}

/** A port that is taken or a name in use, said in our words. */
function explainStartError(e: unknown, mc: MasterCopy, containerName: string): unknown {
  if (!(e instanceof EngineRequestError)) return e;
  if (/port is already allocated|address already in use/i.test(e.engineMessage)) {
    const fixed = (mc.ports ?? []).map(normalizePort).filter((p) => p.hostPort !== undefined);
    const m = /(\d+\.\d+\.\d+\.\d+):(\d+)/.exec(e.engineMessage);
    const hostPort = m ? Number(m[2]) : fixed[0]?.hostPort;
    const port = fixed.find((p) => p.hostPort === hostPort) ?? fixed[0];
    if (port && hostPort !== undefined)
      return new PortTakenError(m?.[1] ?? PUBLISH_HOST_IP, hostPort, port.port, e.engineMessage);
  }
  if (/network .* is ambiguous/i.test(e.engineMessage)) {
    return new CopiesError(
      `There are several networks named ${networkName(mc.name)} and one that is not Master Copy's choice is in use, ` +
        `so the engine cannot tell which one a copy joins. \`docker network inspect ${networkName(mc.name)}\` ` +
        `shows which containers use each; disconnect or remove those on the newer one. Engine: ${e.engineMessage}`,
    );
  }
  if (e.statusCode === 409 && /name .* is already in use/i.test(e.engineMessage)) {
    return new CopiesError(
      `A container named ${containerName} exists already, so this copy cannot take that name. ` +
        `If it is not one of ours Master Copy leaves it alone: rename or remove it; ` +
        `if another print of ${mc.name}:${mc.version} ran at the same time, print again.`,
    );
  }
  return e;
}
