// What an editor shows of the deployments on an engine, for every master copy at once:
// each one's ledger, who holds its deploy lock, and its endpoint. Read with one list
// request per kind of object (ledger records, locks, keepers), whatever the number of
// master copies, then one status request to each running keeper — the only exec, so a
// view that refreshes never asks a keeper twice for one refresh.
import type { ContainerStatus, ContainerSummary, EngineClient } from '../engine/EngineClient';
import { LABEL_NAME, LABEL_ROLE } from '../engine/labels';
import type { AutoscaleDecision, AutoscaleStatus } from '../keeper/autoscaler';
import type { HealingStatus } from '../keeper/healer';
import {
  keeperControl,
  LABEL_GATEWAY,
  ROLE_KEEPER,
  type KeeperReport,
} from '../keeper/keeperContainer';
import {
  activeVersion,
  isStale,
  lockVolumeName,
  parseHolder,
  parseRecord,
  LABEL_LOCK,
  ROLE_LOCK,
  ROLE_RECORD,
  type ActiveVersion,
  type LedgerRecord,
  type LockDeps,
  type LockHolder,
} from './ledger';

/** A master copy's stable endpoint, as its keeper reports it. */
export interface EndpointStatus {
  /** Where a client connects: http://ADDRESS:PORT/ */
  url: string;
  address: string;
  port: number;
  /** The copies' port it forwards to. */
  targetPort: number;
  /**
   * serving: the keeper runs and answered; stopped: its container does not run;
   * not-answering: it runs but did not answer (starting, or stuck); missing: the active
   * version was promoted behind this endpoint but there is no keeper container.
   */
  state: 'serving' | 'stopped' | 'not-answering' | 'missing';
  /** The keeper container's state (absent when missing). */
  container?: ContainerStatus;
  /** The version new connections go to (serving only). */
  active: string | null;
  /** Connections open now, handed to a copy, and closed because no copy took them (serving only). */
  open: number;
  served: number;
  failed: number;
  copies: KeeperReport['copies'];
  /** What the keeper keeps: desired and actual counts, its last replacements (serving only). */
  healing?: HealingStatus;
  /** The autoscaling policy in force and its last decisions (serving, with a policy). */
  autoscale?: AutoscaleStatus;
  /** Why it did not answer. */
  error?: string;
}

export interface DeployOverview {
  name: string;
  /** Oldest first. */
  ledger: LedgerRecord[];
  active?: ActiveVersion;
  /** Somebody is deploying it now. */
  lock?: LockHolder;
  /** A lock whose holder is gone: nobody deploys, the next deploy takes it over. */
  staleLock?: LockHolder;
  endpoint?: EndpointStatus;
}

export interface OverviewOptions {
  signal?: AbortSignal;
  /** How long a keeper gets to answer its status; default 2 s. */
  statusTimeoutMs?: number;
  /** Tells a stale lock (its holder is gone); without it every lock counts as held. */
  lockDeps?: LockDeps;
}

/** Every master copy that has a ledger, a lock or a keeper on the engine, by name. */
export async function readDeployOverviews(
  engine: EngineClient,
  options: OverviewOptions = {},
): Promise<Map<string, DeployOverview>> {
  const { signal } = options;
  const [records, locks, keepers] = await Promise.all([
    engine.listVolumes({ [LABEL_NAME]: true, [LABEL_ROLE]: ROLE_RECORD }, signal),
    engine.listVolumes({ [LABEL_NAME]: true, [LABEL_ROLE]: ROLE_LOCK }, signal),
    engine.listContainers({ [LABEL_NAME]: true, [LABEL_ROLE]: ROLE_KEEPER }, signal),
  ]);
  const out = new Map<string, DeployOverview>();
  const of = (name: string) => {
    let o = out.get(name);
    if (!o) out.set(name, (o = { name, ledger: [] }));
    return o;
  };
  for (const v of records) {
    const r = parseRecord(v);
    if (r) of(v.labels[LABEL_NAME]).ledger.push(r);
  }
  for (const v of locks) {
    const name = v.labels[LABEL_NAME];
    const holder = v.name === lockVolumeName(name) ? parseHolder(v.labels[LABEL_LOCK]) : undefined;
    if (holder && options.lockDeps && isStale(holder, options.lockDeps))
      of(name).staleLock = holder;
    else if (holder) of(name).lock = holder;
  }
  for (const o of out.values()) {
    o.ledger.sort((a, b) => a.seq - b.seq);
    const active = activeVersion(o.ledger);
    if (active) o.active = active;
  }
  // One keeper per master copy; a running one wins over a leftover.
  const keeperOf = new Map<string, ContainerSummary>();
  for (const k of keepers) {
    const name = k.labels[LABEL_NAME];
    const seen = keeperOf.get(name);
    if (!seen || (seen.status !== 'running' && k.status === 'running')) keeperOf.set(name, k);
  }
  await Promise.all(
    [...keeperOf].map(async ([name, keeper]) => {
      of(name).endpoint = await keeperEndpoint(engine, keeper, options);
    }),
  );
  for (const o of out.values()) {
    const gateway = o.active?.record.gateway;
    if (!o.endpoint && gateway)
      o.endpoint = {
        ...addressOf(undefined, gateway.port),
        targetPort: gateway.target,
        state: 'missing',
        active: null,
        open: 0,
        served: 0,
        failed: 0,
        copies: [],
      };
  }
  return out;
}

async function keeperEndpoint(
  engine: EngineClient,
  keeper: ContainerSummary,
  options: OverviewOptions,
): Promise<EndpointStatus> {
  const [port, target] = (keeper.labels[LABEL_GATEWAY] ?? '').split(' ').map(Number);
  const base = {
    ...addressOf(keeper, port),
    targetPort: target || port,
    container: keeper.status,
    active: null,
    open: 0,
    served: 0,
    failed: 0,
    copies: [],
  };
  if (keeper.status !== 'running') return { ...base, state: 'stopped' };
  const timeout = AbortSignal.timeout(options.statusTimeoutMs ?? 2000);
  try {
    const report = await keeperControl(
      engine,
      keeper.id,
      ['status'],
      options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
    );
    const serving: EndpointStatus = {
      ...base,
      state: 'serving',
      targetPort: report.targetPort,
      active: report.active,
      open: report.totals.open,
      served: report.totals.served,
      failed: report.totals.failed,
      copies: report.copies,
    };
    if (report.healing?.version) serving.healing = report.healing;
    if (report.autoscale) serving.autoscale = report.autoscale;
    return serving;
  } catch (e) {
    if (options.signal?.aborted) throw e;
    const error = timeout.aborted
      ? `no answer within ${(options.statusTimeoutMs ?? 2000) / 1000} s`
      : e instanceof Error
        ? e.message
        : String(e);
    return { ...base, state: 'not-answering', error };
  }
}

/** Where the endpoint is published: the keeper's published address, else 127.0.0.1. */
function addressOf(
  keeper: ContainerSummary | undefined,
  port: number,
): { url: string; address: string; port: number } {
  const published = keeper?.ports.find((p) => p.containerPort === port)?.hostIp;
  const address =
    !published || published === '0.0.0.0' || published === '::' ? '127.0.0.1' : published;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}/`,
    address,
    port,
  };
}

/** "→ 1.1.0 · 2 open · 120 served", or why it does not serve. */
export function endpointText(e: EndpointStatus): string {
  switch (e.state) {
    case 'serving':
      return [
        `→ ${e.active ?? 'no active version'}`,
        `${e.open} open`,
        `${e.served} served`,
        e.failed ? `${e.failed} failed` : undefined,
      ]
        .filter(Boolean)
        .join(' · ');
    case 'stopped':
      return `keeper not running (${e.container}): the endpoint does not answer`;
    case 'not-answering':
      return `keeper not answering${e.error ? `: ${e.error}` : ''}`;
    case 'missing':
      return 'keeper not running: promote to start it again';
  }
}

/** "3 of 3 healthy (3 desired) · steady", with why when it cannot keep the count. */
export function healingText(h: HealingStatus): string {
  const state = {
    idle: 'idle',
    steady: 'steady',
    healing: 'printing or replacing copies',
    'scaling-down': 'scaling down',
    'backing-off': 'backing off',
    'cannot-heal': 'cannot replace copies',
  }[h.state];
  return (
    `${h.healthy} of ${h.desired ?? '?'} healthy${h.actual !== h.healthy ? ` (${h.actual} in all)` : ''} ` +
    `· ${state}${h.reason ? `: ${h.reason}` : ''}`
  );
}

/** The keeper is in trouble keeping the count: a crash loop, or nothing to print from. */
export function healingTrouble(h: HealingStatus | undefined): boolean {
  return h?.state === 'backing-off' || h?.state === 'cannot-heal';
}

/** "3 → 4: 31 open connections over 3 copies, target 10 · 14:03:12Z" (a dry run's: "would scale …"). */
export function decisionText(d: AutoscaleDecision): string {
  return `${d.applied ? '' : 'would scale '}${d.reason} · ${clockTime(d.at)}`;
}

/** "14:03:12Z" */
export function clockTime(iso: string): string {
  return /T(\d{2}:\d{2}:\d{2})/.exec(iso)?.[1].concat('Z') ?? iso;
}

/** One line of a ledger as a person reads it (the history in the preview and the Roll Back picker). */
export interface HistoryEntry {
  seq: number;
  action: LedgerRecord['action'];
  version: string;
  outcome: LedgerRecord['outcome'];
  reason?: string;
  /** ISO time. */
  at: string;
  /** "user@host". */
  by: string;
  /** The first 12 digits of the commit, with " (dirty)" when the folder had changes. */
  commit?: string;
  /** The image's short id (12 hex digits); absent for an attempt that did not go through. */
  image?: string;
  replaced: string | null;
  copies: number;
  /** This record made the version that serves now. */
  active: boolean;
  /** It went through (promoted or rolled back): its version could serve again. */
  wentThrough: boolean;
  /** A rollback to its version is possible: it went through and is not the active version. */
  canRollBack: boolean;
}

/** The ledger as history entries, newest first. */
export function historyEntries(ledger: readonly LedgerRecord[]): HistoryEntry[] {
  const active = activeVersion(ledger);
  return [...ledger]
    .sort((a, b) => b.seq - a.seq)
    .map((r) => {
      const wentThrough = r.outcome === 'promoted' || r.outcome === 'rolled-back';
      const entry: HistoryEntry = {
        seq: r.seq,
        action: r.action,
        version: r.version,
        outcome: r.outcome,
        at: r.at,
        by: `${r.by.user}@${r.by.host}`,
        replaced: r.replaced,
        copies: r.copies,
        active: active?.record.seq === r.seq,
        wentThrough,
        canRollBack: wentThrough && r.version !== active?.version,
      };
      if (r.reason !== undefined) entry.reason = r.reason;
      if (r.git) entry.commit = `${r.git.commit.slice(0, 12)}${r.git.dirty ? ' (dirty)' : ''}`;
      if (r.imageId) entry.image = r.imageId.replace(/^sha256:/, '').slice(0, 12);
      return entry;
    });
}

/** The versions a rollback can go to, each once (its newest record that went through), newest first. */
export function rollbackChoices(ledger: readonly LedgerRecord[]): HistoryEntry[] {
  const seen = new Set<string>();
  return historyEntries(ledger).filter(
    (e) => e.wentThrough && !seen.has(e.version) && seen.add(e.version),
  );
}

/** "2026-12-01 07:51:36Z": an ISO time, shorter. */
export function shortTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}Z` : iso;
}
