// The merged log tail of a master copy's copies (or of one copy), as an async iterable
// of entries (lines and marker lines), pulled by its consumer.
//
// - Each copy's log is one engine connection (always `follow` and `timestamps`: a
//   non-following request makes the engine buffer the whole log) decoded by LogDecoder.
// - Backpressure: a copy's stream is paused while `maxQueuedLines` of its lines wait for
//   the consumer, so memory is bounded whatever the log volume; the engine then waits too.
// - Without `follow`, each copy's log is read up to the moment the tail was opened: to
//   its first line stamped later, or until it has been quiet for `settleMs` (a running
//   copy's followed stream never ends by itself, and `until` does not end it either).
// - With `follow`, the engine's event stream tells which copies start (a restart, a new
//   copy printed or scaled, a new version promoted) and which are removed; a copy whose
//   stream ends is inspected. A copy that comes back is asked for its log again from
//   where it was (ResumePoint): nothing repeated, nothing lost. When the engine goes away
//   the tail waits for it and then picks everything up again. Each such change is said
//   in a marker entry.
import type { ContainerDetails, EngineClient, EngineEvent } from '../engine/EngineClient';
import { EngineUnreachableError, isAbortError } from '../engine/errors';
import { LABEL_COPY, LABEL_NAME, LABEL_VERSION, type LabelFilter } from '../engine/labels';
import { LogDecoder, type DecodedLine } from './LogDecoder';
import { LogMerger } from './LogMerger';
import { ResumePoint } from './ResumePoint';
import { keyFromMs } from './timestamp';
import type { LogEntry, LogLine, LogMarker, LogMarkerEvent, LogTarget } from './types';

export interface FollowLogsOptions {
  /** Keep following (new lines, restarts, new copies) until aborted; default false. */
  follow?: boolean;
  /** Lines from the end of each copy's log to start with; default all. */
  tail?: number;
  /** Only lines from this time on (seconds since the epoch, fractions allowed). */
  since?: number;
  /** How long a line may wait for an earlier one from a quiet copy (ms); default 100. */
  windowMs?: number;
  /** Lines queued per copy before its stream is paused; default 2000. */
  maxQueuedLines?: number;
  /** Longest line kept whole (bytes); longer ones are cut. Default 1 MiB. */
  maxLineBytes?: number;
  /** Without follow: a copy whose log has been quiet this long is read to its end (ms); default 300. */
  settleMs?: number;
  /** While the engine is away: how often to ask whether it is back (ms); default 500. */
  retryMs?: number;
  /** Most entries in one batch; default 1000. */
  maxBatch?: number;
  /**
   * Whether the lines' timestamps are wanted (default true). With false, a finished copy
   * read alone without follow is asked for none: formatting them is a third of the
   * engine's work for a large log. Its lines then carry an empty timestamp. (Merging,
   * following and stopping at "now" always need them.)
   */
  timestamps?: boolean;
  /** The clock (ms since the epoch), for tests. */
  now?: () => number;
}

/** checking: its stream ended, the copy is being inspected to tell why. */
type SourceState = 'idle' | 'connecting' | 'streaming' | 'checking' | 'stopped' | 'lost' | 'ended' | 'gone';

class CopySource {
  state: SourceState = 'idle';
  readonly resume = new ResumePoint();
  startedAt: string | undefined;
  connections = 0;
  firstConnectMs = 0;
  lastKey: string | undefined;
  wasRunning = false;
  paused = false;
  stream: NodeJS.ReadableStream & { destroy(): void; pause(): unknown; resume(): unknown } | undefined;
  connection: AbortController | undefined;
  lastData = 0;
  settleTimer: NodeJS.Timeout | undefined;
  /** Without follow: the line stamped after this ends the copy's log. */
  cutoffKey: string | undefined;
  /** A start event came while it was connecting or being checked: look again. */
  recheck = false;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly version: string,
    readonly copyIndex: number,
    /** Present when the tail started: its initial read uses `tail`; later copies are read whole. */
    readonly initial: boolean,
  ) {}

  describe(): string {
    return this.copyIndex >= 0 ? `copy ${this.copyIndex}${this.version ? ` (${this.version})` : ''}` : `container ${this.id.slice(0, 12)}`;
  }
}

const ENGINE = '';

export class LogFollower implements AsyncIterable<LogEntry> {
  private readonly abort = new AbortController();
  private readonly merger: LogMerger<LogEntry>;
  private readonly sources = new Map<string, CopySource>();
  private readonly now: () => number;
  private readonly opts: Required<Omit<FollowLogsOptions, 'tail' | 'since' | 'now'>> & Pick<FollowLogsOptions, 'tail' | 'since'>;
  private readonly wantsTimestamps: boolean;
  private started = false;
  private discovered = false;
  private finished = false;
  private failure: unknown;
  private waiter: (() => void) | undefined;
  private cutoffKey = '';
  private readonly filter: LabelFilter;

  constructor(
    private readonly engine: EngineClient,
    readonly target: LogTarget,
    options: FollowLogsOptions = {},
    signal?: AbortSignal,
  ) {
    this.now = options.now ?? Date.now;
    this.opts = {
      follow: options.follow ?? false,
      tail: options.tail,
      since: options.since,
      windowMs: options.windowMs ?? 100,
      maxQueuedLines: options.maxQueuedLines ?? 2000,
      maxLineBytes: options.maxLineBytes ?? 1024 * 1024,
      settleMs: options.settleMs ?? 300,
      retryMs: options.retryMs ?? 500,
      maxBatch: options.maxBatch ?? 1000,
      timestamps: options.timestamps ?? true,
    };
    this.wantsTimestamps = this.opts.timestamps;
    this.merger = new LogMerger<LogEntry>(this.opts.windowMs, this.now);
    this.merger.addSource(ENGINE, -1, false);
    if ('containerId' in target) this.filter = {};
    else if (target.version !== undefined) this.filter = { [LABEL_NAME]: target.name, [LABEL_VERSION]: target.version, [LABEL_COPY]: true };
    else this.filter = { [LABEL_NAME]: target.name, [LABEL_COPY]: true };
    if (signal) {
      if (signal.aborted) this.abort.abort();
      else signal.addEventListener('abort', () => this.close(), { once: true });
    }
  }

  /** How many copies the tail has followed so far. */
  get copies(): number {
    return this.sources.size;
  }

  /** Entries read but not yet taken by the consumer (bounded by `maxQueuedLines` per copy, plus one chunk). */
  get buffered(): number {
    return this.merger.size;
  }

  /** Ends the tail: closes every connection; iteration ends. */
  close(): void {
    if (this.abort.signal.aborted) return;
    this.abort.abort();
    for (const s of this.sources.values()) this.disconnect(s);
    this.finished = true;
    this.wake();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<LogEntry> {
    for await (const batch of this.batches()) yield* batch;
  }

  /** The entries in batches of what is ready at once (cheaper for a consumer that writes them out). */
  async *batches(): AsyncGenerator<LogEntry[]> {
    this.start();
    try {
      for (;;) {
        if (this.failure !== undefined) throw this.failure;
        if (this.abort.signal.aborted) return;
        const batch = this.takeBatch();
        if (batch.length) {
          yield batch;
          continue;
        }
        if (this.finished && this.merger.size === 0) return;
        await this.waitForWork();
      }
    } finally {
      this.close();
    }
  }

  // --- consumer side -------------------------------------------------------------

  private takeBatch(): LogEntry[] {
    const batch: LogEntry[] = [];
    while (batch.length < this.opts.maxBatch) {
      const e = this.merger.take();
      if (!e) break;
      batch.push(e);
    }
    if (batch.length) this.resumePaused();
    return batch;
  }

  private resumePaused(): void {
    for (const s of this.sources.values()) {
      if (s.paused && this.merger.queued(s.id) <= this.opts.maxQueuedLines / 2) {
        s.paused = false;
        s.lastData = this.now();
        s.stream?.resume();
      }
    }
  }

  private waitForWork(): Promise<void> {
    return new Promise<void>((resolve) => {
      const at = this.merger.wakeAt();
      const timer = at !== undefined ? setTimeout(() => this.wake(), Math.max(1, at - this.now())) : undefined;
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private fail(e: unknown): void {
    if (this.abort.signal.aborted || isAbortError(e)) return;
    this.failure ??= e;
    this.close();
  }

  // --- discovery -----------------------------------------------------------------

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.cutoffKey = keyFromMs(this.now());
    const run = this.opts.follow ? this.watch() : this.readOnce();
    run.catch((e) => this.fail(e));
  }

  private async readOnce(): Promise<void> {
    const containers = await this.list();
    for (const c of containers) this.connect(this.addSource(c.id, c.labels, true), true);
    this.discovered = true;
    this.checkFinished();
  }

  private async watch(): Promise<void> {
    const signal = this.abort.signal;
    let eventsSince = this.now() - 1000;
    let lost = false;
    let first = true;
    while (!signal.aborted) {
      try {
        const events = this.engine.events({ labels: this.filter, types: ['container'], since: eventsSince }, signal)[Symbol.asyncIterator]();
        // Subscribe first, then list: the replay from `eventsSince` covers the moment between.
        let next = events.next();
        next.catch(() => undefined);
        await this.reconcile(first);
        if (lost) this.marker(undefined, 'engine-back', `engine is back: following ${this.running()} of ${this.sources.size} ${this.sources.size === 1 ? 'copy' : 'copies'} again`);
        first = false;
        lost = false;
        this.discovered = true;
        for (;;) {
          const r = await next;
          if (r.done) break;
          eventsSince = Math.max(eventsSince, r.value.time);
          this.onEvent(r.value);
          next = events.next();
          next.catch(() => undefined);
        }
      } catch (e) {
        if (signal.aborted) return;
        // Once following, a broken event stream is a reason to look, not to give up.
        if (first && !(e instanceof EngineUnreachableError)) throw e;
      }
      if (signal.aborted) return;
      // The event stream ended: the engine is going away, or only the stream was closed.
      if (await this.answers()) continue;
      if (first) throw new EngineUnreachableError(this.engine.endpoint.host, 'the engine stopped answering', { hint: this.engine.endpoint.hint });
      if (!lost) this.marker(undefined, 'engine-lost', `engine not reachable at ${this.engine.endpoint.host}: waiting for it to come back`);
      lost = true;
      while (!signal.aborted && !(await this.answers())) await delay(this.opts.retryMs, signal);
    }
  }

  private running(): number {
    let n = 0;
    for (const s of this.sources.values()) if (s.state === 'streaming' || s.state === 'connecting') n++;
    return n;
  }

  private async answers(): Promise<boolean> {
    try {
      await this.engine.ping(this.abort.signal);
      return true;
    } catch {
      return false;
    }
  }

  private async list(): Promise<{ id: string; labels: Record<string, string>; status: string }[]> {
    const all = await this.engine.listContainers(this.filter, this.abort.signal);
    if (!('containerId' in this.target)) return all;
    const id = this.target.containerId;
    return all.filter((c) => c.id === id);
  }

  /** Brings the sources in line with the engine's containers (at the start, and after the engine came back). */
  private async reconcile(initial: boolean): Promise<void> {
    const containers = await this.list();
    const listed = new Set<string>();
    for (const c of containers) {
      listed.add(c.id);
      let s = this.sources.get(c.id);
      if (!s) {
        s = this.addSource(c.id, c.labels, initial);
        if (!initial) this.marker(s, 'joined', `${s.describe()} joined`);
      }
      if (initial || (c.status === 'running' && (s.state === 'stopped' || s.state === 'lost' || s.state === 'idle'))) this.connect(s, initial);
    }
    for (const s of this.sources.values()) if (!listed.has(s.id) && s.state !== 'gone') this.gone(s);
  }

  private onEvent(e: EngineEvent): void {
    if ('containerId' in this.target && e.id !== this.target.containerId) return;
    if (e.action === 'start') {
      let s = this.sources.get(e.id);
      if (!s) {
        s = this.addSource(e.id, e.attributes, false);
        this.marker(s, 'joined', `${s.describe()} joined`);
      }
      if (s.state === 'connecting' || s.state === 'checking') s.recheck = true;
      else if (s.state !== 'streaming') this.connect(s, false);
    } else if (e.action === 'destroy') {
      const s = this.sources.get(e.id);
      if (s && s.state !== 'gone') this.gone(s);
    }
  }

  private addSource(id: string, labels: Record<string, string>, initial: boolean): CopySource {
    const index = labels[LABEL_COPY];
    const s = new CopySource(id, labels[LABEL_NAME] ?? '', labels[LABEL_VERSION] ?? '', index !== undefined && /^[0-9]+$/.test(index) ? Number(index) : -1, initial);
    this.sources.set(id, s);
    this.merger.addSource(id, s.copyIndex, false);
    return s;
  }

  private gone(s: CopySource): void {
    this.disconnect(s);
    s.state = 'gone';
    this.marker(s, 'left', `${s.describe()} was removed`);
    this.merger.removeSource(s.id);
  }

  // --- one copy's connection -------------------------------------------------------

  private connect(s: CopySource, initial: boolean): void {
    s.state = 'connecting';
    // From now on its lines may come: others wait for it (at most the window).
    this.merger.setBlocking(s.id, true);
    this.connectAsync(s, initial).catch((e) => {
      if (this.abort.signal.aborted) return;
      this.merger.setBlocking(s.id, false);
      this.wake();
      if (e instanceof EngineUnreachableError) s.state = 'lost';
      else if (s.connections === 0 && !this.opts.follow) this.fail(e);
      else {
        // The copy vanished between the event and the request, or refused: not fatal for a tail.
        s.state = 'stopped';
        this.checkFinished();
      }
    });
  }

  /** Inspects the copy; again if a start event came meanwhile (the answer may predate it). */
  private async inspect(s: CopySource): Promise<ContainerDetails | undefined> {
    for (;;) {
      s.recheck = false;
      const info = await this.engine.inspectContainer(s.id, this.abort.signal);
      if (!info || info.running || !s.recheck) return info;
    }
  }

  private async connectAsync(s: CopySource, initial: boolean): Promise<void> {
    const info = await this.inspect(s);
    if (!info) {
      if (s.state !== 'gone') this.gone(s);
      this.checkFinished();
      return;
    }
    if (!initial && !info.running) {
      // A replayed or stale start: it is not running now.
      s.state = 'stopped';
      this.merger.setBlocking(s.id, false);
      return;
    }
    const again = s.connections > 0;
    const restarted = again && info.startedAt !== s.startedAt;
    s.startedAt = info.startedAt;
    s.wasRunning = info.running;
    let since: number | undefined;
    let tail: number | undefined;
    if (!again) {
      s.firstConnectMs = this.now();
      since = this.opts.since;
      tail = s.initial ? this.opts.tail : undefined;
    } else {
      since = s.resume.resume() ?? Math.floor(s.firstConnectMs / 1000) - 1;
    }
    s.connections++;
    if (restarted) this.marker(s, 'restarted', `${s.describe()} restarted: following its new output`);
    else if (again) this.marker(s, 'resumed', `${s.describe()}: following again`);

    const connection = new AbortController();
    const signal = AbortSignal.any([this.abort.signal, connection.signal]);
    s.connection = connection;
    const timestamps = this.wantsTimestamps || this.opts.follow || info.running || !('containerId' in this.target);
    const { stream, multiplexed } = await this.engine.logs(s.id, { tail, since, timestamps, inspected: info }, signal);
    if (signal.aborted) {
      stream.destroy();
      this.merger.setBlocking(s.id, false);
      return;
    }
    const readable = stream as unknown as NonNullable<CopySource['stream']>;
    s.stream = readable;
    s.state = 'streaming';
    s.lastData = this.now();
    this.merger.touch(s.id);
    if (!this.opts.follow) s.cutoffKey = this.cutoffKey;
    const decoder = new LogDecoder({ multiplexed, timestamps, accept: s.resume.accept, maxLineBytes: this.opts.maxLineBytes, onLine: (line) => this.onLine(s, line) });

    let ended = false;
    const finish = (error: unknown) => {
      if (ended) return;
      ended = true;
      decoder.end();
      if (s.state === 'streaming') s.state = 'checking';
      clearTimeout(s.settleTimer);
      if (s.stream === readable) s.stream = undefined;
      this.merger.setBlocking(s.id, false);
      this.wake();
      this.streamEnded(s, error).catch((e) => this.fail(e));
    };
    stream.on('data', (chunk: Buffer) => {
      if (ended) return;
      s.lastData = this.now();
      this.merger.touch(s.id);
      decoder.push(chunk);
      if (!s.paused && this.merger.queued(s.id) >= this.opts.maxQueuedLines) {
        s.paused = true;
        stream.pause();
      }
      this.wake();
    });
    stream.on('end', () => finish(undefined));
    stream.on('error', (e) => finish(e));
    stream.on('close', () => finish(undefined));
    if (!this.opts.follow) this.armSettle(s);
  }

  private onLine(s: CopySource, d: DecodedLine): void {
    if (s.cutoffKey !== undefined && d.key > s.cutoffKey) {
      // Written after the tail was opened: without follow, that is the end of this log.
      s.cutoffKey = undefined;
      this.disconnect(s);
      return;
    }
    // Late lines (flushed at the end of a stream) count too, unless the tail stopped it.
    if (s.state !== 'streaming' && s.state !== 'checking' && !(s.state === 'ended' && s.cutoffKey !== undefined)) return;
    s.lastKey = d.key;
    const line: LogLine = { kind: 'line', copyIndex: s.copyIndex, name: s.name, version: s.version, containerId: s.id, stream: d.stream, timestamp: d.key, text: d.text };
    this.merger.push(s.id, line);
  }

  private armSettle(s: CopySource): void {
    const check = () => {
      if (s.state !== 'streaming') return;
      const quiet = this.now() - s.lastData;
      if (s.paused || quiet < this.opts.settleMs) s.settleTimer = setTimeout(check, s.paused ? this.opts.settleMs : this.opts.settleMs - quiet);
      else this.disconnect(s);
    };
    s.settleTimer = setTimeout(check, this.opts.settleMs);
  }

  /** Closes the copy's connection (the stream's end handler follows). */
  private disconnect(s: CopySource): void {
    clearTimeout(s.settleTimer);
    if (s.state === 'streaming' || s.state === 'connecting') s.state = this.opts.follow ? 'stopped' : 'ended';
    s.connection?.abort();
    s.connection = undefined;
    s.stream?.destroy();
    s.stream = undefined;
  }

  private async streamEnded(s: CopySource, error: unknown): Promise<void> {
    if (this.abort.signal.aborted) return;
    if (!this.opts.follow) {
      const stoppedByUs = s.state === 'ended';
      s.state = 'ended';
      this.merger.removeSource(s.id);
      if (error !== undefined && !stoppedByUs && !isAbortError(error)) this.fail(error);
      this.checkFinished();
      return;
    }
    if (s.state !== 'checking') return;
    let info: ContainerDetails | undefined;
    try {
      info = await this.inspect(s);
    } catch (e) {
      if (e instanceof EngineUnreachableError) {
        // The engine is going away: the event loop notices and reconnects everything.
        s.state = 'lost';
        return;
      }
      throw e;
    }
    // Meanwhile it may have been removed (a destroy event), or the tail closed.
    if ((s.state as SourceState) !== 'checking' || this.abort.signal.aborted) return;
    if (!info) {
      this.gone(s);
      return;
    }
    if (info.running && info.startedAt !== s.startedAt) {
      this.connect(s, false);
      return;
    }
    if (info.running) {
      // The connection broke, the copy runs on: pick up where it was (not in a tight loop).
      s.state = 'connecting';
      await delay(this.opts.retryMs, this.abort.signal);
      if (!this.abort.signal.aborted) this.connect(s, false);
      return;
    }
    s.state = 'stopped';
    if (s.wasRunning) this.marker(s, 'stopped', `${s.describe()} stopped (exit code ${info.exitCode})`);
    s.wasRunning = false;
  }

  private checkFinished(): void {
    if (this.opts.follow || !this.discovered) return;
    for (const s of this.sources.values()) if (s.state === 'connecting' || s.state === 'streaming' || s.state === 'idle') return;
    this.finished = true;
    this.wake();
  }

  private marker(s: CopySource | undefined, event: LogMarkerEvent, text: string): void {
    const m: LogMarker = { kind: 'marker', event, timestamp: s?.lastKey ?? keyFromMs(this.now()), text };
    if (s) {
      m.copyIndex = s.copyIndex;
      m.version = s.version;
      m.containerId = s.id;
    }
    this.merger.push(s ? s.id : ENGINE, m);
    this.wake();
  }
}

/** Follows the logs of `target`; iterate the result (entries, or `batches()`); abort `signal` or call `close()` to end it. */
export function followLogs(engine: EngineClient, target: LogTarget, options: FollowLogsOptions = {}, signal?: AbortSignal): LogFollower {
  return new LogFollower(engine, target, options, signal);
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
