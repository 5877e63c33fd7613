// Blue/green promote, Kamal-style: a sequence of small named steps, each one undone by a
// failure before the switch, none after it.
//
//   lock → build (or take the image as it was built) → keeper → print green beside blue
//   → health gate → switch → drain → dispose blue → (release the lock)
//
// - The switch is one engine object: the ledger record that makes the version active.
//   The keeper reads it (told at once through exec, and on its own within seconds), so
//   new connections go to green from then on; open connections to blue are never cut,
//   they get `drainMs` to finish before blue is disposed.
// - Anything that goes wrong before the switch (green never healthy, green dies, the
//   deadline, a cancel) disposes of green and leaves blue serving; the attempt is
//   written to the ledger as failed or cancelled.
// - Re-running after an interruption converges: leftovers of an earlier attempt at the
//   same version are disposed before green is printed, and promoting the version that is
//   already active only disposes of copies of other versions that an interrupted promote
//   left behind.
import type { EngineClient } from '../engine/EngineClient';
import { isAbortError } from '../engine/errors';
import { buildMasterCopy, type BuildEvent } from '../build/build';
import type { BuildFileSystem } from '../build/buildFileSystem';
import { stoppedReason, type HealthProber } from '../copies/health';
import { delay } from '../util/delay';
import { lastLogLines } from '../copies/lastLogLines';
import { healthTiming } from '../copies/spec';
import { findDisposeTargets, removeCopies, type CopyRef } from '../copies/dispose';
import {
  printCopies,
  type PrintedCopy,
  type PrintEvent,
  type UnhealthyCopy,
} from '../copies/print';
import type { ReadTextFile } from '../copies/secrets';
import type { Autoscale, MasterCopy } from '../mastercopy/model';
import type { ProbeReport } from '../keeper/keeper';
import {
  KeeperError,
  ensureKeeper,
  keeperControl,
  type KeeperReport,
  type KeeperSettings,
} from '../keeper/keeperContainer';
import { autoscaleText } from '../keeper/autoscaler';
import { readDesired } from './desired';
import {
  acquireLock,
  type HeldLock,
  activeVersion,
  appendRecord,
  readLedger,
  type DeployAction,
  type GitState,
  type LedgerRecord,
  type LockDeps,
  type LockHolder,
  type Who,
} from './ledger';

export type PromotePhase = 'build' | 'keeper' | 'print' | 'health' | 'switch' | 'drain' | 'dispose';
export const PROMOTE_PHASES: readonly PromotePhase[] = [
  'build',
  'keeper',
  'print',
  'health',
  'switch',
  'drain',
  'dispose',
];

export type PromoteEvent =
  | { kind: 'phase'; phase: PromotePhase; text: string }
  | { kind: 'lock-taken-over'; from: LockHolder }
  | { kind: 'build'; event: BuildEvent }
  | { kind: 'print'; event: PrintEvent }
  | { kind: 'leftovers'; copies: CopyRef[] }
  | { kind: 'draining'; open: number };

/** What to promote: a master copy file's version (built if needed), or an image as it was built (a rollback). */
export type PromoteSource =
  | { kind: 'file'; mc: MasterCopy; folder: string }
  | {
      kind: 'image';
      mc: MasterCopy;
      folder: string | null;
      image: { tag: string; imageId: string; digest: string };
      gateway: { port: number; target: number } | null;
      autoscale: Autoscale | null;
    };

/** What a deploy needs from where it runs; passed in, so tests and the editor give their own. */
export interface DeployEnvironment {
  who: Who & { pid: number };
  lock: LockDeps;
  /** The git state of a folder, or null outside a repository. */
  git(folder: string): Promise<GitState | null>;
  keeper: KeeperSettings;
  /** Where a print without an endpoint probes `health.http` from (healthProberFor); default the published ports. */
  prober?: HealthProber;
  /** Where `secrets[].fromEnv` values come from. */
  env: Readonly<Record<string, string | undefined>>;
  readFile: ReadTextFile;
  files?: BuildFileSystem;
  /** More labels on everything the deploy creates (a test run's). */
  extraLabels?: Record<string, string>;
}

/** The deploy lock of `mc`'s name, held by who runs this deploy (the local and the Swarm target alike). */
export function acquireDeployLock(
  engine: EngineClient,
  deploy: Pick<DeployEnvironment, 'who' | 'lock' | 'extraLabels'>,
  mc: Pick<MasterCopy, 'name' | 'version'>,
  action: DeployAction,
): Promise<HeldLock> {
  return acquireLock(
    engine,
    mc.name,
    {
      user: deploy.who.user,
      host: deploy.who.host,
      pid: deploy.who.pid,
      since: new Date(deploy.lock.now()).toISOString(),
      action,
      version: mc.version,
    },
    deploy.lock,
    deploy.extraLabels,
  );
}

export interface PromoteOptions {
  /** How many green copies; default as many as blue has, else `copies`, else 1 (kept within autoscale's min and max). */
  copies?: number;
  /** How long blue's open connections get after the switch; default 5 s. */
  drainMs?: number;
  /** Deadline for green to be printed and healthy; default 60 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (event: PromoteEvent) => void;
}

export interface PromoteResult {
  status: 'promoted' | 'rolled-back' | 'already-active';
  name: string;
  version: string;
  /** The version that served before (null for a first promote). */
  replaced: string | null;
  record?: LedgerRecord;
  copies: PrintedCopy[];
  /** Where the endpoint is, when the master copy has a gateway. */
  gateway: { address: string; port: number } | null;
  /** Copies of other versions disposed (blue, and leftovers of interrupted promotes). */
  disposed: CopyRef[];
  /** Connections to blue still open when the drain ended (they were cut by the dispose). */
  cutConnections: number;
  lockTakenOverFrom?: LockHolder;
  /** Already active, but promoted with another autoscale policy: the new policy is recorded and in force. */
  autoscaleChanged?: boolean;
}

/** A promote that did not go through; blue (if any) still serves. */
export class PromoteError extends Error {
  override readonly name = 'PromoteError';
  constructor(
    message: string,
    readonly phase: PromotePhase,
    readonly unhealthy: UnhealthyCopy[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export async function promote(
  engine: EngineClient,
  source: PromoteSource,
  deploy: DeployEnvironment,
  options: PromoteOptions = {},
): Promise<PromoteResult> {
  const { mc } = source;
  const { signal, onProgress } = options;
  const action: DeployAction = source.kind === 'image' ? 'rollback' : 'promote';
  const gateway =
    source.kind === 'image'
      ? source.gateway
      : mc.gateway
        ? { port: mc.gateway.port, target: mc.gateway.target ?? mc.gateway.port }
        : null;
  // Autoscaling is the keeper's: without an endpoint there is none (validation says so too).
  const autoscale = gateway
    ? source.kind === 'image'
      ? source.autoscale
      : (mc.autoscale ?? null)
    : null;
  const gatewayInfo = gateway
    ? { address: deploy.keeper.listenAddress ?? '127.0.0.1', port: gateway.port }
    : null;
  const phase = (p: PromotePhase, text: string) => onProgress?.({ kind: 'phase', phase: p, text });
  signal?.throwIfAborted();

  const lock = await acquireDeployLock(engine, deploy, mc, action);
  if (lock.tookOverFrom) onProgress?.({ kind: 'lock-taken-over', from: lock.tookOverFrom });
  let printed: PrintedCopy[] = [];
  let switched = false;
  try {
    const blue = activeVersion(await readLedger(engine, mc.name, signal));
    const existing = await findDisposeTargets(engine, { name: mc.name, all: true }, signal);
    const others = existing.filter((c) => c.version !== mc.version);
    const same = existing.filter((c) => c.version === mc.version);

    if (blue?.version === mc.version && same.length > 0) {
      // Already serving. An interrupted promote may have left copies of other versions.
      if (others.length) await removeCopies(engine, others, { stopTimeoutSeconds: 5 });
      const keeper = gateway
        ? await ensureKeeper(engine, mc.name, gateway, deploy.keeper, signal)
        : undefined;
      // Another policy for the version that serves: recorded (the keeper reads it from the ledger); nothing is printed.
      const autoscaleChanged =
        JSON.stringify(autoscale) !== JSON.stringify(blue.record.autoscale ?? null);
      let record: LedgerRecord | undefined;
      if (autoscaleChanged) {
        record = await appendRecord(
          engine,
          mc.name,
          {
            ...withoutSeq(blue.record),
            action,
            outcome: action === 'rollback' ? 'rolled-back' : 'promoted',
            at: new Date(deploy.lock.now()).toISOString(),
            by: { user: deploy.who.user, host: deploy.who.host },
            // (`replaced` stays blue's own: a rollback still goes to the version before it.)
            copies: same.length,
            autoscale,
          },
          deploy.extraLabels,
        );
        if (keeper)
          await keeperControl(engine, keeper.id, ['reload'], signal).catch(() => undefined);
      }
      return {
        status: 'already-active',
        name: mc.name,
        version: mc.version,
        replaced: null,
        record,
        copies: [],
        gateway: gatewayInfo,
        disposed: others,
        cutConnections: 0,
        lockTakenOverFrom: lock.tookOverFrom,
        autoscaleChanged,
      };
    }
    if (same.length) {
      // Green leftovers of an interrupted attempt: they never served; start clean.
      onProgress?.({ kind: 'leftovers', copies: same });
      await removeCopies(engine, same, { stopTimeoutSeconds: 2 });
    }
    const blueCopies = blue ? others.filter((c) => c.version === blue.version) : [];
    // An autoscaled green starts at blue's desired count (the autoscaler's last decision: its
    // copies may be mid-drain or mid-replacement), within the bounds; a dry run changes nothing.
    const scaling = autoscale && !autoscale.dryRun ? autoscale : undefined;
    const blueDesired =
      scaling && blue
        ? (await readDesired(engine, mc.name, signal)).get(blue.version)?.count
        : undefined;
    const wanted = options.copies ?? (blueDesired || blueCopies.length || mc.copies || 1);
    const count = scaling ? Math.min(scaling.max, Math.max(scaling.min, wanted)) : wanted;

    const deadline = AbortSignal.timeout(options.timeoutMs ?? 60_000);
    const work = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const step = async <T>(p: PromotePhase, run: () => Promise<T>): Promise<T> => {
      try {
        return await run();
      } catch (e) {
        if (deadline.aborted && !signal?.aborted)
          throw new PromoteError(
            `${mc.name}:${mc.version} was not printed and healthy within ${(options.timeoutMs ?? 60_000) / 1000} s ` +
              `(at the ${p} step); ${blue ? `${blue.version} keeps serving` : 'nothing was serving'}.`,
            p,
          );
        throw e;
      }
    };

    let image: { tag: string; imageId: string; digest: string };
    if (source.kind === 'image') {
      image = source.image;
      phase('build', `Using ${image.tag} as it was built (${image.imageId.slice(7, 19)})`);
    } else {
      phase('build', `Building ${mc.name}:${mc.version}`);
      const built = await step('build', () =>
        buildMasterCopy(engine, mc, source.folder, {
          signal: work,
          files: deploy.files,
          extraLabels: deploy.extraLabels,
          onProgress: (event) => onProgress?.({ kind: 'build', event }),
        }),
      );
      image = { tag: built.tag, imageId: built.imageId, digest: built.digest };
    }

    let keeperId: string | undefined;
    if (gateway) {
      phase('keeper', `Starting the endpoint on ${gatewayInfo?.address}:${gateway.port}`);
      keeperId = (
        await step('keeper', () => ensureKeeper(engine, mc.name, gateway, deploy.keeper, work))
      ).id;
    }

    phase(
      'print',
      `Printing ${count} green cop${count === 1 ? 'y' : 'ies'} of ${mc.version}${blue ? ` beside ${blue.version}` : ''}`,
    );
    const print = await step('print', () =>
      printCopies(engine, mc, source.folder ?? process.cwd(), {
        copies: count,
        env: deploy.env,
        readFile: deploy.readFile,
        signal: work,
        extraLabels: deploy.extraLabels,
        image,
        // Behind an endpoint the keeper judges health, where the copies run; else the prober does.
        waitForHealth: !gateway,
        prober: deploy.prober,
        desiredBy: action,
        onProgress: (event) => {
          if (event.kind === 'started') printed.push(event.copy);
          if (event.kind === 'waiting-for-health')
            phase(
              'health',
              `Waiting for ${count} green cop${count === 1 ? 'y' : 'ies'} to be healthy`,
            );
          onProgress?.({ kind: 'print', event });
        },
      }),
    );
    printed = print.copies;
    if (keeperId) {
      phase(
        'health',
        `Waiting for ${count} green cop${count === 1 ? 'y' : 'ies'} to be healthy (probed by the keeper)`,
      );
      print.unhealthy = await step('health', () =>
        keeperGate(engine, keeperId!, mc, print.copies, work),
      );
    }
    if (print.unhealthy.length) {
      throw new PromoteError(
        `${print.unhealthy.length} of ${count} green cop${count === 1 ? 'y' : 'ies'} of ${mc.name}:${mc.version} ` +
          `never became healthy; ${blue ? `${blue.version} keeps serving` : 'nothing was switched'}.`,
        'health',
        print.unhealthy,
      );
    }
    signal?.throwIfAborted();

    // The point of no return.
    phase('switch', `Switching new connections to ${mc.version}`);
    const record = await appendRecord(
      engine,
      mc.name,
      {
        action,
        version: mc.version,
        imageId: image.imageId,
        digest: image.digest,
        outcome: action === 'rollback' ? 'rolled-back' : 'promoted',
        at: new Date(deploy.lock.now()).toISOString(),
        by: { user: deploy.who.user, host: deploy.who.host },
        git: source.folder ? await deploy.git(source.folder) : null,
        replaced: blue?.version ?? null,
        copies: count,
        folder: source.folder,
        gateway,
        autoscale,
      },
      deploy.extraLabels,
    );
    switched = true;
    let report: KeeperReport | undefined;
    if (keeperId) report = await confirmSwitch(engine, keeperId, mc.version);

    let cut = 0;
    if (keeperId && blueCopies.length) {
      const drainMs = options.drainMs ?? 5000;
      phase(
        'drain',
        `Letting ${blue?.version}'s open connections finish (up to ${drainMs / 1000} s)`,
      );
      cut = await drain(
        engine,
        keeperId,
        new Set(blueCopies.map((c) => c.id)),
        drainMs,
        report,
        (open) => onProgress?.({ kind: 'draining', open }),
      );
    }
    const stale = (await findDisposeTargets(engine, { name: mc.name, all: true })).filter(
      (c) => c.version !== mc.version,
    );
    if (stale.length) {
      phase(
        'dispose',
        `Disposing of ${stale.length} cop${stale.length === 1 ? 'y' : 'ies'} of ${[...new Set(stale.map((c) => c.version))].join(', ')}`,
      );
      await removeCopies(engine, stale, { stopTimeoutSeconds: 10 });
    }
    return {
      status: action === 'rollback' ? 'rolled-back' : 'promoted',
      name: mc.name,
      version: mc.version,
      replaced: blue?.version ?? null,
      record,
      copies: printed,
      gateway: gatewayInfo,
      disposed: stale,
      cutConnections: cut,
      lockTakenOverFrom: lock.tookOverFrom,
    };
  } catch (e) {
    if (switched) throw e;
    // Undo: green goes, blue keeps serving. Not with the aborted signal.
    const green = (
      await findDisposeTargets(engine, { name: mc.name, version: mc.version }).catch(
        () => [] as CopyRef[],
      )
    ).filter((c) => printed.some((p) => p.id === c.id));
    await removeCopies(engine, green, { stopTimeoutSeconds: 2 }).catch(() => undefined);
    const cancelled = isAbortError(e) && signal?.aborted === true;
    await appendRecord(
      engine,
      mc.name,
      {
        action,
        version: mc.version,
        imageId: '',
        digest: '',
        outcome: cancelled ? 'cancelled' : 'failed',
        reason: cancelled
          ? 'cancelled before the switch'
          : e instanceof Error
            ? e.message
            : String(e),
        at: new Date(deploy.lock.now()).toISOString(),
        by: { user: deploy.who.user, host: deploy.who.host },
        git: source.folder ? await deploy.git(source.folder).catch(() => null) : null,
        replaced: null,
        copies: printed.length,
        folder: source.folder,
        gateway,
        autoscale,
      },
      deploy.extraLabels,
    ).catch(() => undefined);
    throw e;
  } finally {
    await lock.release().catch(() => undefined);
  }
}

/**
 * The health gate behind an endpoint: the keeper probes green itself, from where the
 * copies run (never this client's loopback, which is not where a remote engine's copies
 * are), and every copy must pass. Docker's rules bound it: failures during `startPeriod`
 * do not count; after it, `retries` rounds in a row with a failing copy fail the gate. A
 * copy that stops fails it at once. A keeper that does not answer yet (just restarted) is
 * asked again. Resolves to the copies that never passed (empty: all healthy).
 */
async function keeperGate(
  engine: EngineClient,
  keeperId: string,
  mc: MasterCopy,
  copies: readonly PrintedCopy[],
  signal: AbortSignal,
  logLines = 20,
): Promise<UnhealthyCopy[]> {
  const timing = healthTiming(mc.health);
  const started = Date.now();
  let failedRounds = 0;
  for (;;) {
    const seen = await keeperControl<ProbeReport>(
      engine,
      keeperId,
      ['probe', mc.version],
      signal,
    ).catch((e: unknown) => {
      if (signal.aborted || !(e instanceof KeeperError)) throw e;
      return undefined;
    });
    const failing: { copy: PrintedCopy; reason: string }[] = [];
    for (const copy of copies) {
      const verdict = seen?.copies.find((c) => c.id === copy.id);
      if (verdict?.healthy) continue;
      const stopped = stoppedReason(await engine.inspectContainer(copy.id, signal));
      if (stopped) failing.push({ copy, reason: stopped });
      else
        failing.push({
          copy,
          reason: verdict
            ? `the keeper's probe: ${verdict.last}`
            : seen
              ? 'the keeper does not see it on the network'
              : 'the keeper did not answer',
        });
    }
    if (seen && failing.length === 0) return [];
    const stoppedOnes = failing.filter(
      (f) => f.reason.startsWith('the copy stopped') || f.reason === 'the copy is gone',
    );
    if (Date.now() - started >= timing.startPeriodMs) failedRounds++;
    if (stoppedOnes.length || failedRounds >= timing.retries) {
      const report = stoppedOnes.length ? stoppedOnes : failing;
      return Promise.all(
        report.map(async ({ copy, reason }) => ({
          ...copy,
          reason: stoppedOnes.length
            ? reason
            : `${failedRounds} probe${failedRounds === 1 ? '' : 's'} in a row failed after the start period; the last: ${reason}`,
          lastLogLines: await lastLogLines(engine, copy.id, logLines, { signal }).catch(
            (e: unknown) => [
              `(the log could not be read: ${e instanceof Error ? e.message : String(e)})`,
            ],
          ),
        })),
      );
    }
    await delay(Math.max(100, Math.min(timing.intervalMs, 1000)), signal);
  }
}

/** After the record is written: the keeper reads it now, and says it routes to `version`. */
async function confirmSwitch(
  engine: EngineClient,
  keeperId: string,
  version: string,
): Promise<KeeperReport | undefined> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const report = await keeperControl(engine, keeperId, ['reload']);
      if (report.active === version) return report;
    } catch {
      // keeps trying: the record is written, the keeper will read it on its own
    }
    if (Date.now() > deadline) return undefined;
    await delay(100);
  }
}

/** Waits until blue's copies have no open connection through the endpoint, or `drainMs`. Returns how many were still open. */
async function drain(
  engine: EngineClient,
  keeperId: string,
  blue: ReadonlySet<string>,
  drainMs: number,
  first: KeeperReport | undefined,
  onOpen: (open: number) => void,
): Promise<number> {
  const deadline = Date.now() + drainMs;
  let report = first;
  for (;;) {
    const open = report
      ? report.copies.filter((c) => blue.has(c.id)).reduce((sum, c) => sum + c.open, 0)
      : 0;
    if (report) onOpen(open);
    if ((report && open === 0) || Date.now() >= deadline) return open;
    await delay(100);
    report = await keeperControl(engine, keeperId, ['status']).catch(() => report);
  }
}

/** "1.0.0 is already the active version: …", with what was done all the same. */
export function alreadyActiveText(r: PromoteResult): string {
  const what = r.autoscaleChanged
    ? `its autoscale policy is now ${autoscaleText(r.record?.autoscale ?? null)} (ledger #${r.record?.seq}); no copy was printed.`
    : 'nothing to promote.';
  const leftovers = r.disposed.length;
  const disposedText = leftovers
    ? ` Disposed of ${leftovers} leftover cop${leftovers === 1 ? 'y' : 'ies'} of other versions.`
    : '';
  return `${r.name} ${r.version} is already the active version: ${what}${disposedText}`;
}

function withoutSeq(record: LedgerRecord): Omit<LedgerRecord, 'seq'> {
  const { seq: _seq, ...rest } = record;
  return rest;
}
