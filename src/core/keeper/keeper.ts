// What the keeper knows, from the engine alone: the active version (the ledger's newest
// record that went through) and every copy of its master copy with its address on the
// network and its health, judged here, where the copies run.
//
// It follows the engine's events (a copy that dies gets no new connection from that
// moment) and reads everything again every `pollMs` as a safety net, so it converges
// after an engine restart, a missed event or a record written by a client that could not
// tell it. Health: `health.http` is probed over the network from here; a copy with an
// engine health check (`health.command`) follows what the engine says; a copy without
// `health` is healthy while it runs.
import { request } from 'node:http';
import type { EngineClient } from '../engine/EngineClient';
import { LABEL_COPY, LABEL_NAME, LABEL_VERSION } from '../engine/labels';
import { HTTP_PROBE_PATH, LABEL_HEALTH_HTTP } from '../copies/spec';
import { delay } from '../util/delay';
import { activeVersion, readLedger, type LedgerRecord } from '../deploy/ledger';
import type { Backend, BackendSource } from './gateway';
import { SettlingRunner } from '../util/coalescingRunner';

export interface KeeperOptions {
  name: string;
  network: string;
  /** How often everything is read again; default 2 s. */
  pollMs?: number;
  /** How often copies are probed over HTTP; default 1 s. */
  probeIntervalMs?: number;
  probeTimeoutMs?: number;
  /** Consecutive failed probes that take a copy out; default 3. */
  failuresToRemove?: number;
  log?: (line: string) => void;
}

/** A copy busy with traffic may answer a probe slowly: slow is not sick. */
const DEFAULT_PROBE_TIMEOUT_MS = 2000;
const REFUSED_PAUSE_MS = 250;
const NEW_COPY_PROBE_MS = 100;

export interface Tracked extends Backend {
  startedAt: string | undefined;
  probe?: { port: number; path: string };
  failures: number;
  /** Probed (or judged) at least once. */
  known: boolean;
  /** What the last probe saw, for a report. */
  last: string;
  restartCount: number;
  /** Taken out of the endpoint before it is disposed of (scaling down): no new connection. */
  draining: boolean;
  /** A connection to it was just refused: no new one before this time (ms). */
  excludedUntil: number;
  /** It passed a probe once since it started (a copy that never did is not tried in panic mode). */
  everHealthy: boolean;
  /** When its last probe started (ms), and whether one runs now. */
  probedAt: number;
  probing: boolean;
  /** When a failed probe last counted (ms). */
  failedAt: number;
  engineHealth?: 'starting' | 'healthy' | 'unhealthy';
}

export interface ProbeReport {
  copies: { id: string; index: number; healthy: boolean; last: string }[];
}

export interface KeeperStatus {
  name: string;
  active: string | null;
  copies: {
    id: string;
    version: string;
    index: number;
    address: string;
    healthy: boolean;
    open: number;
    served: number;
  }[];
}

export class Keeper implements BackendSource {
  private active: string | undefined;
  private activeRecordValue: LedgerRecord | undefined;
  /** Called after each read of the engine (the healer hooks in here). */
  onRead: (() => void) | undefined;
  private readonly copies = new Map<string, Tracked>();
  private waiters: (() => void)[] = [];
  private readonly reader = new SettlingRunner(() => this.readEngine());
  private readonly stop = new AbortController();

  constructor(
    private readonly engine: EngineClient,
    private readonly options: KeeperOptions,
  ) {}

  /** Reads the engine once, then follows it until dispose(). */
  async start(): Promise<void> {
    await this.refresh().catch((e: unknown) => this.log(`first read failed: ${message(e)}`));
    void this.followEvents();
    void this.loop(this.options.pollMs ?? 2000, () => this.refresh());
    // Every copy once a probe interval; a copy that has not passed yet (a replacement, a copy
    // scaled up) every NEW_COPY_PROBE_MS, so that it serves as soon as it can.
    void this.loop(NEW_COPY_PROBE_MS, () => this.probeDue(this.options.probeIntervalMs ?? 1000));
  }

  dispose(): void {
    this.stop.abort();
    this.notify();
  }

  routable(): Backend[] {
    const out: Backend[] = [];
    const now = Date.now();
    const candidates = [...this.copies.values()].filter(
      (c) => c.version === this.active && !c.draining && c.excludedUntil <= now && c.known,
    );
    for (const c of candidates) if (c.healthy) out.push(c);
    // Panic mode (Envoy's panic threshold): when probes fail for every copy at once — all of
    // them busy under load, most likely — a connection is better tried on them than held.
    if (
      out.length === 0 &&
      candidates.length > 0 &&
      candidates.every((c) => c.probe && c.everHealthy)
    )
      return candidates;
    return out;
  }

  refused(backend: Backend): void {
    // Out for a moment, not until the next good probe: one refused or unanswered connection
    // under load must not take every copy out at once (connections would wait for a probe).
    const c = this.copies.get(backend.id);
    if (c) c.excludedUntil = Date.now() + REFUSED_PAUSE_MS;
    this.notify();
  }

  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  status(): KeeperStatus {
    return {
      name: this.options.name,
      active: this.active ?? null,
      copies: [...this.copies.values()]
        .sort((a, b) =>
          a.version < b.version ? -1 : a.version > b.version ? 1 : a.index - b.index,
        )
        .map((c) => ({
          id: c.id,
          version: c.version,
          index: c.index,
          address: c.address,
          healthy: c.healthy,
          open: c.open,
          served: c.served,
        })),
    };
  }

  /** Everything read again now; concurrent calls share one read (and one more after it). */
  refresh(): Promise<void> {
    return this.reader.run();
  }

  /** Probes every copy of `version` now (the promote's gate) and says how each one answered. */
  async probeVersion(version: string): Promise<ProbeReport> {
    await this.refresh();
    const copies = [...this.copies.values()].filter((c) => c.version === version);
    await Promise.all(copies.map((c) => this.judge(c)));
    return {
      copies: copies.map((c) => ({ id: c.id, index: c.index, healthy: c.healthy, last: c.last })),
    };
  }

  private async readEngine(): Promise<void> {
    const signal = this.stop.signal;
    const ledger = await readLedger(this.engine, this.options.name, signal);
    const before = this.active;
    const active = activeVersion(ledger);
    this.active = active?.version;
    this.activeRecordValue = active?.record;
    if (before !== this.active) this.log(`active version: ${this.active ?? 'none'}`);
    const listed = await this.engine.listContainers(
      { [LABEL_NAME]: this.options.name, [LABEL_COPY]: true },
      signal,
    );
    const running = new Set<string>();
    await Promise.all(
      listed.map(async (summary) => {
        if (summary.status !== 'running') return;
        const known = this.copies.get(summary.id);
        const details = await this.engine.inspectContainer(summary.id, signal);
        if (!details?.running) return;
        running.add(summary.id);
        const address = details.addresses[this.options.network];
        if (!address) return void running.delete(summary.id);
        if (known && known.startedAt === details.startedAt && known.address === address) {
          known.engineHealth = details.health;
          known.restartCount = details.restartCount;
          if (!known.probe)
            known.healthy = details.health === undefined || details.health === 'healthy';
          return;
        }
        const probe = parseProbe(details.labels[LABEL_HEALTH_HTTP]);
        const copy: Tracked = {
          id: summary.id,
          version: details.labels[LABEL_VERSION] ?? '',
          index: Number(details.labels[LABEL_COPY] ?? -1),
          address,
          healthy: false,
          open: known?.open ?? 0,
          served: known?.served ?? 0,
          startedAt: details.startedAt,
          probe,
          failures: 0,
          known: false,
          last: 'not probed yet',
          restartCount: details.restartCount,
          draining: known?.draining ?? false,
          excludedUntil: 0,
          everHealthy: false,
          probedAt: 0,
          probing: false,
          failedAt: 0,
          engineHealth: details.health,
        };
        this.copies.set(summary.id, copy);
        await this.judge(copy);
      }),
    );
    for (const id of [...this.copies.keys()]) if (!running.has(id)) this.copies.delete(id);
    this.notify();
    this.onRead?.();
  }

  /** The record that made the active version active. */
  activeRecord(): LedgerRecord | undefined {
    return this.activeRecordValue;
  }

  /** A running copy as the keeper sees it. */
  copy(id: string): Tracked | undefined {
    return this.copies.get(id);
  }

  /** No new connection for `id` from now on (it is about to be disposed of). */
  drain(id: string): void {
    const c = this.copies.get(id);
    if (c) c.draining = true;
    this.notify();
  }

  /** One health verdict for `copy`, right now. */
  private async judge(copy: Tracked): Promise<void> {
    if (!copy.probe) {
      copy.healthy = copy.engineHealth === undefined || copy.engineHealth === 'healthy';
      copy.last =
        copy.engineHealth === undefined
          ? 'running (no health check)'
          : `the engine says ${copy.engineHealth}`;
    } else {
      const timeoutMs = this.options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
      copy.probedAt = Date.now();
      copy.probing = true;
      const status = await httpStatus(
        copy.address,
        copy.probe.port,
        copy.probe.path,
        timeoutMs,
      ).finally(() => (copy.probing = false));
      const ok = status !== undefined && status >= 200 && status < 400;
      copy.last =
        status === undefined
          ? `GET ${copy.probe.path} on port ${copy.probe.port} got no answer within ${timeoutMs} ms`
          : `GET ${copy.probe.path} answered ${status}`;
      if (ok) {
        copy.failures = 0;
        copy.healthy = true;
        copy.everHealthy = true;
      } else {
        // Failures count once a probe interval, however often a new copy is probed: the
        // health check's retries mean intervals.
        if (
          Date.now() - copy.failedAt >=
          (this.options.probeIntervalMs ?? 1000) - NEW_COPY_PROBE_MS / 2
        ) {
          copy.failures++;
          copy.failedAt = Date.now();
        }
        if (!copy.known || copy.failures >= (this.options.failuresToRemove ?? 3))
          copy.healthy = false;
      }
    }
    copy.known = true;
    this.notify();
  }

  /** Probes the copies that are due: never passed yet, or not probed for `intervalMs`. One probe per copy at a time. */
  private probeDue(intervalMs: number): Promise<void> {
    const now = Date.now();
    const due = [...this.copies.values()].filter(
      (c) => c.probe && !c.probing && (!c.everHealthy || now - c.probedAt >= intervalMs),
    );
    // Not awaited: a probe that hangs to its timeout must not hold up the 100 ms rounds of the
    // others (`probing` keeps one probe per copy at a time).
    for (const c of due) {
      void this.judge(c).catch((e: unknown) => this.log(`probe failed: ${message(e)}`));
    }
    return Promise.resolve();
  }

  private async followEvents(): Promise<void> {
    let backoff = 250;
    while (!this.stop.signal.aborted) {
      const since = Date.now();
      try {
        for await (const e of this.engine.events(
          { labels: { [LABEL_NAME]: this.options.name }, types: ['container'] },
          this.stop.signal,
        )) {
          backoff = 250;
          const copy = this.copies.get(e.id);
          if (copy && /^(die|kill|stop|destroy|pause|health_status: unhealthy)/.test(e.action)) {
            copy.healthy = false; // no new connection from this moment
            if (!e.action.startsWith('health_status')) copy.excludedUntil = Infinity; // not even in panic mode
            this.notify();
          }
          void this.refresh().catch((err: unknown) => this.log(`read failed: ${message(err)}`));
        }
      } catch (err) {
        this.log(`engine events ended: ${message(err)}`);
      }
      if (this.stop.signal.aborted) return;
      // The stream ends with an engine restart: read again, then follow again.
      await delay(
        Date.now() - since < 1000 ? (backoff = Math.min(backoff * 2, 5000)) : 250,
        this.stop.signal,
      ).catch(() => undefined);
      void this.refresh().catch((err: unknown) => this.log(`read failed: ${message(err)}`));
    }
  }

  private async loop(ms: number, work: () => Promise<void>): Promise<void> {
    while (!this.stop.signal.aborted) {
      try {
        await delay(ms, this.stop.signal);
        await work();
      } catch (e) {
        if (this.stop.signal.aborted) return;
        this.log(message(e));
      }
    }
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}

function parseProbe(label: string | undefined): { port: number; path: string } | undefined {
  if (!label) return undefined;
  const space = label.indexOf(' ');
  const port = Number(space < 0 ? label : label.slice(0, space));
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { port, path: space < 0 ? '/' : label.slice(space + 1) || '/' };
}

function httpStatus(
  host: string,
  port: number,
  path: string,
  timeoutMs: number,
): Promise<number | undefined> {
  return new Promise((resolve) => {
    // request() throws on a path it cannot send (from a label an older version wrote): a failed probe, not a failed read.
    if (!HTTP_PROBE_PATH.test(path)) return resolve(undefined);
    const req = request(
      {
        host,
        port,
        path,
        method: 'GET',
        timeout: timeoutMs,
        agent: false,
        headers: { 'user-agent': 'mastercopy-keeper' },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
