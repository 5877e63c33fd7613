// The ledger and the lock of a master copy's deployments, kept on the engine so that every
// client pointed at it (the editor, the CLI, a colleague's machine) agrees, and so that it
// survives restarts of everything.
//
// Engine objects are immutable once made, so nothing is ever edited:
// - each record is a small volume of its own, `mastercopy.NAME.ledger.000042`, whose
//   labels hold the record as JSON. Creating a volume whose name exists answers with the
//   existing one, so each writer puts a nonce in its labels and checks it: two writers can
//   never both own a sequence number (the engine creates one name at a time).
// - the lock is the volume `mastercopy.NAME.lock`, taken the same way; releasing it is
//   removing it. A lock whose holder died is taken over: at once when the holder was a
//   process on this host that no longer exists, otherwise after STALE_LOCK_MS.
// The names start `mastercopy.` (dots), where copies' volumes start `mastercopy_` (and
// older ones `mastercopy-`), and a master copy's name has no dot: no collision.
import { randomBytes } from 'node:crypto';
import type { EngineClient, VolumeSummary } from '../engine/EngineClient';
import { LABEL_NAME, LABEL_ROLE } from '../engine/labels';
import { ROLE_DESIRED } from './desired';
import { createOwnVolume } from './ownVolume';
import type { Autoscale } from '../mastercopy/model';

export const LABEL_RECORD = 'io.mastercopy.record';
export const LABEL_LOCK = 'io.mastercopy.lock';
export const ROLE_RECORD = 'record';
export const ROLE_LOCK = 'lock';

/** A lock older than this is taken over whoever holds it: longer than any promote runs. */
export const STALE_LOCK_MS = 15 * 60_000;

export type DeployAction = 'promote' | 'rollback';
/** `promoted`/`rolled-back`: the version is active since then; the others changed nothing. */
export type DeployOutcome = 'promoted' | 'rolled-back' | 'failed' | 'cancelled';

export interface Who {
  user: string;
  host: string;
}

export interface GitState {
  commit: string;
  /** The folder had uncommitted changes. */
  dirty: boolean;
}

/** One line of the ledger (`mastercopy history --json` prints these). */
export interface LedgerRecord {
  seq: number;
  action: DeployAction;
  version: string;
  /** The image the copies were printed from: a rollback prints exactly this one again. */
  imageId: string;
  digest: string;
  outcome: DeployOutcome;
  /** Why a failed or cancelled one did not go through. */
  reason?: string;
  /** ISO time. */
  at: string;
  by: Who;
  /** The git commit of the master copy's folder, when it is in a repository. */
  git: GitState | null;
  /** The version that was active before (null for the first). */
  replaced: string | null;
  copies: number;
  /** Where the master copy file was (secret files are found beside it at a rollback). */
  folder: string | null;
  /** The endpoint it was served behind. */
  gateway: { port: number; target: number } | null;
  /** The keeper's autoscaling policy while it serves (absent in records older than autoscaling). */
  autoscale?: Autoscale | null;
}

export interface LockHolder extends Who {
  pid: number;
  /** ISO time. */
  since: string;
  action: DeployAction;
  version: string;
  /** Set by acquireLock: tells this process's own locks apart from those it has let go of. */
  token?: string;
}

export class LockedError extends Error {
  override readonly name = 'LockedError';
  constructor(
    readonly masterCopy: string,
    readonly holder: LockHolder,
  ) {
    super(
      `${masterCopy} is being deployed already: a ${holder.action} to ${holder.version} ` +
        `by ${holder.user}@${holder.host} (pid ${holder.pid}) holds its lock since ${holder.since}. ` +
        `Wait for it to finish, then try again. ` +
        `A lock whose holder died is taken over after ${STALE_LOCK_MS / 60_000} minutes (at once on the holder's own machine).`,
    );
  }
}

export function recordVolumeName(name: string, seq: number): string {
  return `mastercopy.${name}.ledger.${String(seq).padStart(6, '0')}`;
}

export function lockVolumeName(name: string): string {
  return `mastercopy.${name}.lock`;
}

/** The ledger of `name`, oldest first. Volumes whose record does not parse are skipped. */
export async function readLedger(
  engine: EngineClient,
  name: string,
  signal?: AbortSignal,
): Promise<LedgerRecord[]> {
  const volumes = await engine.listVolumes(
    { [LABEL_NAME]: name, [LABEL_ROLE]: ROLE_RECORD },
    signal,
  );
  return volumes
    .map(parseRecord)
    .filter((r): r is LedgerRecord => r !== undefined)
    .sort((a, b) => a.seq - b.seq);
}

/** The record a ledger volume holds; undefined when its label does not parse. */
export function parseRecord(v: VolumeSummary): LedgerRecord | undefined {
  try {
    const r = JSON.parse(v.labels[LABEL_RECORD] ?? '') as LedgerRecord;
    if (typeof r.seq !== 'number' || typeof r.version !== 'string' || typeof r.outcome !== 'string')
      return undefined;
    return r;
  } catch {
    return undefined;
  }
}

export interface ActiveVersion {
  version: string;
  imageId: string;
  digest: string;
  /** The record that made it active. */
  record: LedgerRecord;
}

/** The version that serves: the one of the newest record that went through. */
export function activeVersion(ledger: readonly LedgerRecord[]): ActiveVersion | undefined {
  for (let i = ledger.length - 1; i >= 0; i--) {
    const r = ledger[i];
    if (r.outcome === 'promoted' || r.outcome === 'rolled-back')
      return { version: r.version, imageId: r.imageId, digest: r.digest, record: r };
  }
  return undefined;
}

/** Appends `record` under the next free sequence number; returns it as written. */
export async function appendRecord(
  engine: EngineClient,
  name: string,
  record: Omit<LedgerRecord, 'seq'>,
  extraLabels: Record<string, string> = {},
): Promise<LedgerRecord> {
  let seq = (await readLedger(engine, name)).reduce((max, r) => Math.max(max, r.seq), 0) + 1;
  for (let attempt = 0; attempt < 20; attempt++, seq++) {
    const written: LedgerRecord = { seq, ...record };
    if (
      await createOwnVolume(engine, recordVolumeName(name, seq), {
        ...extraLabels,
        [LABEL_NAME]: name,
        [LABEL_ROLE]: ROLE_RECORD,
        [LABEL_RECORD]: JSON.stringify(written),
      })
    )
      return written;
  }
  throw new Error(
    `Could not append to the ledger of ${name}: 20 sequence numbers in a row were taken by other writers.`,
  );
}

export interface LockDeps {
  /** Is process `pid` alive on this host? */
  processAlive(pid: number): boolean;
  hostName: string;
  /** This process's id: a lock it holds but no longer knows of (its release failed) is stale. */
  pid?: number;
  now(): number;
}

/** Tokens of the locks this process holds right now. */
const heldHere = new Set<string>();

export interface HeldLock {
  holder: LockHolder;
  /** A stale lock was taken over: whose it was. */
  tookOverFrom?: LockHolder;
  release(): Promise<void>;
}

/** Takes the deploy lock of `name`, or throws LockedError naming its holder. */
export async function acquireLock(
  engine: EngineClient,
  name: string,
  holder: LockHolder,
  deps: LockDeps,
  extraLabels: Record<string, string> = {},
): Promise<HeldLock> {
  const volume = lockVolumeName(name);
  const filter = { [LABEL_NAME]: name, [LABEL_ROLE]: ROLE_LOCK };
  const mine: LockHolder = { ...holder, token: randomBytes(8).toString('hex') };
  let tookOverFrom: LockHolder | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    // Known as held before it exists: another deploy of this process must not take it for stale.
    heldHere.add(mine.token!);
    if (
      await createOwnVolume(engine, volume, {
        ...extraLabels,
        [LABEL_NAME]: name,
        [LABEL_ROLE]: ROLE_LOCK,
        [LABEL_LOCK]: JSON.stringify(mine),
      })
    ) {
      const release = () => {
        // Forgotten first: should the removal fail (the engine is down), the lock is stale for this process too.
        heldHere.delete(mine.token!);
        return engine.removeVolume(volume, filter);
      };
      return { holder: mine, tookOverFrom, release };
    }
    heldHere.delete(mine.token!);
    const existing = (await engine.listVolumes(filter)).find((v) => v.name === volume);
    if (!existing) continue; // released in between: try again
    const current = parseHolder(existing.labels[LABEL_LOCK]);
    if (current && !isStale(current, deps)) throw new LockedError(name, current);
    tookOverFrom = current;
    await engine.removeVolume(volume, filter);
  }
  throw new Error(`Could not take the deploy lock of ${name}: other clients kept taking it.`);
}

/** The holder a lock volume's label names; undefined when it does not parse. */
export function parseHolder(text: string | undefined): LockHolder | undefined {
  try {
    const h = JSON.parse(text ?? '') as LockHolder;
    return typeof h.pid === 'number' && typeof h.since === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

/** A lock whose holder is gone (or that is older than STALE_LOCK_MS): the next deploy takes it over. */
export function isStale(holder: LockHolder, deps: LockDeps): boolean {
  if (holder.host === deps.hostName && !deps.processAlive(holder.pid)) return true;
  if (
    holder.host === deps.hostName &&
    holder.pid === deps.pid &&
    !(holder.token && heldHere.has(holder.token))
  )
    return true;
  const since = Date.parse(holder.since);
  return !Number.isFinite(since) || deps.now() - since > STALE_LOCK_MS;
}

/** The lock's holder, if anybody holds it. */
export async function lockHolder(
  engine: EngineClient,
  name: string,
  signal?: AbortSignal,
): Promise<LockHolder | undefined> {
  const existing = (
    await engine.listVolumes({ [LABEL_NAME]: name, [LABEL_ROLE]: ROLE_LOCK }, signal)
  ).find((v) => v.name === lockVolumeName(name));
  return existing ? parseHolder(existing.labels[LABEL_LOCK]) : undefined;
}

/** Removes the ledger (its desired counts, and a leftover lock) of `name`: the deliberate "forget its history". */
export async function forgetLedger(
  engine: EngineClient,
  name: string,
  signal?: AbortSignal,
): Promise<number> {
  const volumes = [
    ...(await engine.listVolumes({ [LABEL_NAME]: name, [LABEL_ROLE]: ROLE_RECORD }, signal)),
    ...(await engine.listVolumes({ [LABEL_NAME]: name, [LABEL_ROLE]: ROLE_LOCK }, signal)),
    ...(await engine.listVolumes({ [LABEL_NAME]: name, [LABEL_ROLE]: ROLE_DESIRED }, signal)),
  ];
  for (const v of volumes) await engine.removeVolume(v.name, { [LABEL_NAME]: name }, signal);
  return volumes.length;
}
