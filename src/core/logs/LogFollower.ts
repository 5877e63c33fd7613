// The merged log tail of a master copy's copies (or of one copy), as an async iterable
// of entries (lines and marker lines), pulled by its consumer.
//
// - Each copy's log is one engine connection (always `follow` and `timestamps`: a
//   non-following request makes the engine buffer the whole log) decoded by LogDecoder;
//   where it stands (connecting, streaming, stopped, lost, …) is its CopyLog's.
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
import { CopyLog, type LogConnectionStream } from './CopyLog';
import { delay } from '../util/delay';
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

const ENGINE = '';

export class LogFollower implements AsyncIterable<LogEntry> {
  private readonly abort = new AbortController();
  private readonly merger: LogMerger<LogEntry>;
  private readonly sources = new Map<string, CopyLog>();
  private readonly now: () => number;
  private readonly opts: Required<Omit<FollowLogsOptions, 'tail' | 'since' | 'now'>> &
    Pick<FollowLogsOptions, 'tail' | 'since'>;
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
    else if (target.version !== undefined)
      this.filter = {
        [LABEL_NAME]: target.name,
        [LABEL_VERSION]: target.version,
        [LABEL_COPY]: true,
      };
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
    for (const s of this.sources.values()) s.close(this.opts.follow);
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
      if (s.isPaused && this.merger.queued(s.id) <= this.opts.maxQueuedLines / 2)
        s.resumeReading(this.now());
    }
  }

  private waitForWork(): Promise<void> {
    return new Promise<void>((resolve) => {
      const at = this.merger.wakeAt();
      const timer =
        at !== undefined ? setTimeout(() => this.wake(), Math.max(1, at - this.now())) : undefined;
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
        const events = this.engine
          .events({ labels: this.filter, types: ['container'], since: eventsSince }, signal)
          [Symbol.asyncIterator]();
        // Subscribe first, then list: the replay from `eventsSince` covers the moment between.
        let next = events.next();
        next.catch(() => undefined);
        await this.reconcile(first);
        if (lost)
          this.marker(
            undefined,
            'engine-back',
            `engine is back: following ${this.running()} of ${this.sources.size} ${this.sources.size === 1 ? 'copy' : 'copies'} again`,
          );
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
      if (first)
        throw new EngineUnreachableError(
          this.engine.endpoint.host,
          'the engine stopped answering',
          { hint: this.engine.endpoint.hint },
        );
      if (!lost)
        this.marker(
          undefined,
          'engine-lost',
          `engine not reachable at ${this.engine.endpoint.host}: waiting for it to come back`,
        );
      lost = true;
      while (!signal.aborted && !(await this.answers())) await pause(this.opts.retryMs, signal);
    }
  }

  private running(): number {
    let n = 0;
    for (const s of this.sources.values()) if (s.following) n++;
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
      if (initial || (c.status === 'running' && s.waiting)) this.connect(s, initial);
    }
    for (const s of this.sources.values()) if (!listed.has(s.id) && !s.gone) this.gone(s);
  }

  private onEvent(e: EngineEvent): void {
    if ('containerId' in this.target && e.id !== this.target.containerId) return;
    if (e.action === 'start') {
      let s = this.sources.get(e.id);
      if (!s) {
        s = this.addSource(e.id, e.attributes, false);
        this.marker(s, 'joined', `${s.describe()} joined`);
      }
      if (s.started()) this.connect(s, false);
    } else if (e.action === 'destroy') {
      const s = this.sources.get(e.id);
      if (s && !s.gone) this.gone(s);
    }
  }

  private addSource(id: string, labels: Record<string, string>, initial: boolean): CopyLog {
    const index = labels[LABEL_COPY];
    const s = new CopyLog(
      id,
      labels[LABEL_NAME] ?? '',
      labels[LABEL_VERSION] ?? '',
      index !== undefined && /^[0-9]+$/.test(index) ? Number(index) : -1,
      initial,
    );
    this.sources.set(id, s);
    this.merger.addSource(id, s.copyIndex, false);
    return s;
  }

  private gone(s: CopyLog): void {
    s.remove(this.opts.follow);
    this.marker(s, 'left', `${s.describe()} was removed`);
    this.merger.removeSource(s.id);
  }

  // --- one copy's connection -------------------------------------------------------

  private connect(s: CopyLog, initial: boolean): void {
    s.connecting();
    // From now on its lines may come: others wait for it (at most the window).
    this.merger.setBlocking(s.id, true);
    this.connectAsync(s, initial).catch((e) => {
      if (this.abort.signal.aborted) return;
      this.merger.setBlocking(s.id, false);
      this.wake();
      if (e instanceof EngineUnreachableError) s.lost();
      else if (s.neverConnected && !this.opts.follow) this.fail(e);
      else {
        // The copy vanished between the event and the request, or refused: not fatal for a tail.
        s.stopped();
        this.checkFinished();
      }
    });
  }

  /** Inspects the copy; again if a start event came meanwhile (the answer may predate it). */
  private async inspect(s: CopyLog): Promise<ContainerDetails | undefined> {
    for (;;) {
      s.inspecting();
      const info = await this.engine.inspectContainer(s.id, this.abort.signal);
      if (!info || info.running || !s.startedDuringInspection) return info;
    }
  }

  private async connectAsync(s: CopyLog, initial: boolean): Promise<void> {
    const info = await this.inspect(s);
    if (!info) {
      if (!s.gone) this.gone(s);
      this.checkFinished();
      return;
    }
    if (!initial && !info.running) {
      // A replayed or stale start: it is not running now.
      s.stopped();
      this.merger.setBlocking(s.id, false);
      return;
    }
    const connection = new AbortController();
    const { since, tail, again, restarted } = s.opening(
      info,
      this.now(),
      { since: this.opts.since, tail: this.opts.tail },
      connection,
    );
    if (restarted)
      this.marker(s, 'restarted', `${s.describe()} restarted: following its new output`);
    else if (again) this.marker(s, 'resumed', `${s.describe()}: following again`);

    const signal = AbortSignal.any([this.abort.signal, connection.signal]);
    const timestamps =
      this.wantsTimestamps || this.opts.follow || info.running || !('containerId' in this.target);
    const { stream, multiplexed } = await this.engine.logs(
      s.id,
      { tail, since, timestamps, inspected: info },
      signal,
    );
    if (signal.aborted) {
      stream.destroy();
      this.merger.setBlocking(s.id, false);
      return;
    }
    const readable = stream as unknown as LogConnectionStream;
    s.streaming(readable, this.now(), this.opts.follow ? undefined : this.cutoffKey);
    this.merger.touch(s.id);
    const decoder = new LogDecoder({
      multiplexed,
      timestamps,
      accept: s.resume.accept,
      maxLineBytes: this.opts.maxLineBytes,
      onLine: (line) => this.onLine(s, line),
    });

    let ended = false;
    const finish = (error: unknown) => {
      if (ended) return;
      ended = true;
      decoder.end();
      s.streamClosed(readable);
      this.merger.setBlocking(s.id, false);
      this.wake();
      this.streamEnded(s, error).catch((e) => this.fail(e));
    };
    stream.on('data', (chunk: Buffer) => {
      if (ended) return;
      s.dataArrived(this.now());
      this.merger.touch(s.id);
      decoder.push(chunk);
      if (!s.isPaused && this.merger.queued(s.id) >= this.opts.maxQueuedLines)
        s.pauseReading(readable);
      this.wake();
    });
    stream.on('end', () => finish(undefined));
    stream.on('error', (e) => finish(e));
    stream.on('close', () => finish(undefined));
    if (!this.opts.follow) s.settleAfterQuiet(this.opts.settleMs, this.now, () => s.close(false));
  }

  private onLine(s: CopyLog, d: DecodedLine): void {
    const verdict = s.line(d.key);
    if (verdict === 'cut') s.close(this.opts.follow);
    if (verdict !== 'keep') return;
    const line: LogLine = {
      kind: 'line',
      copyIndex: s.copyIndex,
      name: s.name,
      version: s.version,
      containerId: s.id,
      stream: d.stream,
      timestamp: d.key,
      text: d.text,
    };
    this.merger.push(s.id, line);
  }

  private async streamEnded(s: CopyLog, error: unknown): Promise<void> {
    if (this.abort.signal.aborted) return;
    if (!this.opts.follow) {
      const { closedByTail } = s.readToEnd();
      this.merger.removeSource(s.id);
      if (error !== undefined && !closedByTail && !isAbortError(error)) this.fail(error);
      this.checkFinished();
      return;
    }
    if (!s.checking) return;
    let info: ContainerDetails | undefined;
    try {
      info = await this.inspect(s);
    } catch (e) {
      if (e instanceof EngineUnreachableError) {
        // The engine is going away: the event loop notices and reconnects everything.
        s.lost();
        return;
      }
      throw e;
    }
    // Meanwhile it may have been removed (a destroy event), or the tail closed.
    if (!s.checking || this.abort.signal.aborted) return;
    if (!info) {
      this.gone(s);
      return;
    }
    if (info.running && s.restartedSince(info)) {
      this.connect(s, false);
      return;
    }
    if (info.running) {
      // The connection broke, the copy runs on: pick up where it was (not in a tight loop).
      s.reconnectingSoon();
      await pause(this.opts.retryMs, this.abort.signal);
      if (!this.abort.signal.aborted) this.connect(s, false);
      return;
    }
    if (s.stoppedRunning())
      this.marker(s, 'stopped', `${s.describe()} stopped (exit code ${info.exitCode})`);
  }

  private checkFinished(): void {
    if (this.opts.follow || !this.discovered) return;
    for (const s of this.sources.values()) if (s.unread) return;
    this.finished = true;
    this.wake();
  }

  private marker(s: CopyLog | undefined, event: LogMarkerEvent, text: string): void {
    const m: LogMarker = {
      kind: 'marker',
      event,
      timestamp: s?.lastKey ?? keyFromMs(this.now()),
      text,
    };
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
export function followLogs(
  engine: EngineClient,
  target: LogTarget,
  options: FollowLogsOptions = {},
  signal?: AbortSignal,
): LogFollower {
  return new LogFollower(engine, target, options, signal);
}

/** A wait that an abort ends early and quietly: the callers look at the signal next. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, signal).catch(() => undefined);
}
