// The keeper's image and container, as seen from a client (the CLI, the editor).
//
// - The image is a Node base image plus our bundled keeper program (dist/keeper.js),
//   tagged and labelled by the digest of both: rebuilt when the keeper's code changes,
//   never otherwise. The base is the one named (a setting / flag), else the local one the
//   provisioning script builds from this machine's Node where no registry is reachable,
//   else the official Node image.
// - One keeper container per master copy with a `gateway`: ours (labelled), on the master
//   copy's network, publishing `gateway.port`, read-only, all capabilities dropped,
//   no-new-privileges, `restart: unless-stopped`, with the engine's socket mounted so that
//   it can follow the copies and read the ledger by itself.
// - Clients talk to it through the engine (exec of `keeper.js control …`), so that works on
//   a remote engine too.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ContainerSpec, ContainerSummary, EngineClient } from '../engine/EngineClient';
import { EngineRequestError } from '../engine/errors';
import { LABEL_DIGEST, LABEL_NAME, LABEL_ROLE } from '../engine/labels';
import { delay } from '../util/delay';
import { ensureNetwork } from '../copies/print';
import { tarStream } from '../build/tar';
import type { KeeperStatus } from './keeper';
import type { GatewayTotals } from './gateway';
import type { AutoscaleStatus } from './autoscaler';
import type { HealingStatus } from './healer';

export const ROLE_KEEPER = 'keeper';
export const ROLE_KEEPER_IMAGE = 'keeper-image';
/** "PORT TARGET" of the gateway the keeper serves. */
export const LABEL_GATEWAY = 'io.mastercopy.gateway';
/** Built by scripts/setup-engine.sh from this machine's own Node (no registry needed). */
export const LOCAL_NODE_BASE = 'mastercopy-node-base:local';
/** Where a registry is reachable. */
export const OFFICIAL_NODE_BASE = 'node:22-alpine';
export const DEFAULT_ENGINE_SOCKET = '/var/run/docker.sock';
const SOCKET_IN_CONTAINER = '/var/run/docker.sock';
const KEEPER_PATH = '/keeper/keeper.js';
const CONTROL_PATH = '/keeper/keeper-control.js';

export interface KeeperSettings {
  /** The bundled keeper program (dist/keeper.js); its control client keeper-control.js sits beside it. */
  scriptPath: string;
  /** A Node base image; default LOCAL_NODE_BASE when present, else OFFICIAL_NODE_BASE. */
  baseImage?: string;
  /** The engine's socket on the engine's host, mounted into the keeper. */
  engineSocket?: string;
  /** Where the gateway port is published; default 127.0.0.1. */
  listenAddress?: string;
  extraLabels?: Record<string, string>;
}

export class GatewayPortTakenError extends Error {
  override readonly name = 'GatewayPortTakenError';
  constructor(
    readonly address: string,
    readonly port: number,
    engineMessage: string,
  ) {
    super(
      `The gateway port ${address}:${port} is already taken on the engine's host, so the endpoint cannot start; ` +
        `nothing was printed. Free the port, or choose another \`gateway.port\`. Engine: ${engineMessage}`,
    );
  }
}

export class KeeperError extends Error {
  override readonly name = 'KeeperError';
}

export function keeperContainerName(name: string): string {
  return `mastercopy.${name}.keeper`;
}

/** The keeper's image for this program and base, built when missing. Returns its tag. */
export async function ensureKeeperImage(
  engine: EngineClient,
  settings: KeeperSettings,
  signal?: AbortSignal,
): Promise<string> {
  const read = (path: string) =>
    readFile(path).catch((e: unknown) => {
      throw new KeeperError(
        `The keeper program ${path} is missing (${e instanceof Error ? e.message : String(e)}): build it with 'npm run build'.`,
      );
    });
  const [script, control] = await Promise.all([
    read(settings.scriptPath),
    read(join(dirname(settings.scriptPath), 'keeper-control.js')),
  ]);
  let base = settings.baseImage;
  if (!base)
    base = (await engine.inspectImage(LOCAL_NODE_BASE, signal))
      ? LOCAL_NODE_BASE
      : OFFICIAL_NODE_BASE;
  const baseInfo = await engine.inspectImage(base, signal);
  const digest = `sha256:${createHash('sha256')
    .update(`keeper/2\n${baseInfo?.id ?? base}\n`)
    .update(script)
    .update('\n')
    .update(control)
    .digest('hex')}`;
  const tag = `mastercopy-keeper:${digest.slice(7, 19)}`;
  const existing = await engine.inspectImage(tag, signal);
  if (existing?.labels[LABEL_DIGEST] === digest) return tag;
  const dockerfile = Buffer.from(
    `FROM ${base}\nCOPY keeper.js ${KEEPER_PATH}\nCOPY keeper-control.js ${CONTROL_PATH}\nENTRYPOINT ["node", "${KEEPER_PATH}"]\n`,
  );
  const context = tarStream([
    {
      path: 'Dockerfile',
      type: 'file',
      mode: 0o644,
      size: dockerfile.length,
      body: () => [dockerfile],
    },
    { path: 'keeper.js', type: 'file', mode: 0o644, size: script.length, body: () => [script] },
    {
      path: 'keeper-control.js',
      type: 'file',
      mode: 0o644,
      size: control.length,
      body: () => [control],
    },
  ]);
  try {
    await engine.buildImage(
      context,
      {
        tag,
        labels: {
          ...settings.extraLabels,
          [LABEL_ROLE]: ROLE_KEEPER_IMAGE,
          [LABEL_DIGEST]: digest,
        },
      },
      undefined,
      signal,
    );
  } catch (e) {
    if (!baseInfo) {
      throw new KeeperError(
        `The keeper needs a Node base image and ${base} is not on the engine (and could not be pulled). ` +
          `On a machine without a registry, 'bash scripts/setup-engine.sh' builds ${LOCAL_NODE_BASE} from this machine's Node; ` +
          `or name one with the keeper base image setting.`,
      );
    }
    throw e;
  }
  return tag;
}

/** The keeper container of `name`, if there is one. */
export async function findKeeper(
  engine: EngineClient,
  name: string,
  signal?: AbortSignal,
): Promise<ContainerSummary | undefined> {
  const list = await engine.listContainers(
    { [LABEL_NAME]: name, [LABEL_ROLE]: ROLE_KEEPER },
    signal,
  );
  return list.find((c) => c.status === 'running') ?? list[0];
}

/**
 * Makes sure the keeper of `name` runs this image with this gateway, and answers.
 * A keeper with other code or another gateway is replaced (the only time open
 * connections through the endpoint are cut). Throws GatewayPortTakenError.
 */
export async function ensureKeeper(
  engine: EngineClient,
  name: string,
  gateway: { port: number; target?: number },
  settings: KeeperSettings,
  signal?: AbortSignal,
): Promise<{ id: string; created: boolean }> {
  const image = await ensureKeeperImage(engine, settings, signal);
  const network = await ensureNetwork(engine, name, settings.extraLabels ?? {}, signal);
  const target = gateway.target ?? gateway.port;
  const gatewayLabel = `${gateway.port} ${target}`;
  const filter = { [LABEL_NAME]: name, [LABEL_ROLE]: ROLE_KEEPER };
  const existing = await engine.listContainers(filter, signal);
  const good = existing.find(
    (c) => c.status === 'running' && c.image === image && c.labels[LABEL_GATEWAY] === gatewayLabel,
  );
  for (const c of existing)
    if (c !== good) await engine.stopAndRemoveContainer(c.id, filter, { stopTimeoutSeconds: 5 });
  // A running keeper answers (or the next control request says why): no round trip to ask.
  if (good) return { id: good.id, created: false };
  const address = settings.listenAddress ?? '127.0.0.1';
  let id: string;
  try {
    ({ id } = await engine.createAndStartContainer(
      keeperContainerSpec(name, gateway, image, network, settings),
      signal,
    ));
  } catch (e) {
    if (
      e instanceof EngineRequestError &&
      /port is already allocated|address already in use/i.test(e.engineMessage)
    )
      throw new GatewayPortTakenError(address, gateway.port, e.engineMessage);
    if (e instanceof EngineRequestError && e.statusCode === 409) {
      // Another client started it at the same moment: use theirs.
      const theirs = await findKeeper(engine, name, signal);
      if (theirs) {
        await waitForKeeper(engine, theirs.id, signal);
        return { id: theirs.id, created: false };
      }
    }
    throw e;
  }
  await waitForKeeper(engine, id, signal);
  return { id, created: true };
}

/** SOCKET_IN_CONTAINER: where the keeper finds the engine (drift compares its mount). */
export const KEEPER_ENGINE_SOCKET = SOCKET_IN_CONTAINER;

/** The keeper container of `name` (what ensureKeeper creates, and what drift compares it with). */
export function keeperContainerSpec(
  name: string,
  gateway: { port: number; target?: number },
  image: string,
  network: { id: string; name: string },
  settings: Pick<KeeperSettings, 'engineSocket' | 'listenAddress' | 'extraLabels'>,
): ContainerSpec {
  const target = gateway.target ?? gateway.port;
  const address = settings.listenAddress ?? '127.0.0.1';
  return {
    image,
    name: keeperContainerName(name),
    labels: {
      ...settings.extraLabels,
      [LABEL_NAME]: name,
      [LABEL_ROLE]: ROLE_KEEPER,
      [LABEL_GATEWAY]: `${gateway.port} ${target}`,
    },
    env: {
      MASTERCOPY_NAME: name,
      MASTERCOPY_NETWORK: network.name,
      MASTERCOPY_LISTEN_PORT: String(gateway.port),
      MASTERCOPY_TARGET_PORT: String(target),
      DOCKER_HOST: `unix://${SOCKET_IN_CONTAINER}`,
    },
    ports: [
      { containerPort: gateway.port, protocol: 'tcp', hostIp: address, hostPort: gateway.port },
    ],
    readOnly: true,
    tmpfs: ['/tmp'],
    capDrop: ['ALL'],
    capAdd: [],
    noNewPrivileges: true,
    memoryBytes: 256 * 1024 ** 2,
    restart: 'unless-stopped',
    network: network.id,
    binds: [{ source: settings.engineSocket ?? DEFAULT_ENGINE_SOCKET, path: SOCKET_IN_CONTAINER }],
    init: true,
  };
}

/** Removes the keeper of `name` (dispose --all). */
export async function removeKeeper(
  engine: EngineClient,
  name: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const filter = { [LABEL_NAME]: name, [LABEL_ROLE]: ROLE_KEEPER };
  const list = await engine.listContainers(filter, signal);
  for (const c of list)
    await engine.stopAndRemoveContainer(c.id, filter, { stopTimeoutSeconds: 5, signal });
  return list.length > 0;
}

export interface KeeperReport extends KeeperStatus {
  listenPort: number;
  targetPort: number;
  totals: GatewayTotals;
  /** Self-healing: desired and actual counts, what it did last (absent from an older keeper). */
  healing?: HealingStatus;
  /** Autoscaling: the policy in force and the last decisions; null without a policy (absent from an older keeper). */
  autoscale?: AutoscaleStatus | null;
}

/** One control request through the engine's exec. */
export async function keeperControl<T = KeeperReport>(
  engine: EngineClient,
  keeperId: string,
  args: string[],
  signal?: AbortSignal,
): Promise<T> {
  const result = await engine.exec(
    keeperId,
    { [LABEL_ROLE]: ROLE_KEEPER },
    ['node', CONTROL_PATH, ...args],
    signal,
  );
  if (result.exitCode !== 0)
    throw new KeeperError(
      `The keeper did not answer '${args.join(' ')}' (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim()}`,
    );
  return JSON.parse(result.stdout) as T;
}

/** Polls the keeper's status until it answers (it has just started) or `timeoutMs` passes. */
export async function waitForKeeper(
  engine: EngineClient,
  id: string,
  signal?: AbortSignal,
  timeoutMs = 20_000,
): Promise<KeeperReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await keeperControl(engine, id, ['status'], signal);
    } catch (e) {
      signal?.throwIfAborted();
      if (Date.now() > deadline) {
        throw new KeeperError(
          `The keeper ${id.slice(0, 12)} did not start answering within ${timeoutMs / 1000} s ` +
            `(${e instanceof Error ? e.message : String(e)}); see its log: docker logs ${id.slice(0, 12)}`,
        );
      }
      await delay(100, signal);
    }
  }
}
