// One copy's log within a tail (LogFollower): where it stands, where to resume, and its
// connection. Its state changes only through the named transitions below, so each path
// a copy's log can take reads as a sequence of them:
//
//   idle ─connecting→ connecting ─streaming→ streaming ─streamClosed→ checking
//   checking ─(inspected)→ connecting (it runs: again) | stopped | lost | gone
//   connecting ─(the request failed)→ lost (engine away) | stopped
//   streaming|connecting ─close→ stopped (following) | ended (reading to "now")
//   any ─remove→ gone
//
// stopped and lost wait for the copy (or the engine) to come back; ended and gone are final.
import type { ContainerDetails } from '../engine/EngineClient';
import { ResumePoint } from './ResumePoint';

/** checking: its stream ended, the copy is being inspected to tell why. */
export type CopyLogState =
  'idle' | 'connecting' | 'streaming' | 'checking' | 'stopped' | 'lost' | 'ended' | 'gone';

/** What a log connection needs of its stream. */
export type LogConnectionStream = NodeJS.ReadableStream & {
  destroy(): void;
  pause(): unknown;
  resume(): unknown;
};

export class CopyLog {
  private current: CopyLogState = 'idle';
  /** Drops what an earlier connection delivered already. */
  readonly resume = new ResumePoint();
  private startedAt: string | undefined;
  private connections = 0;
  private firstConnectMs = 0;
  private lastLineKey: string | undefined;
  /** Running when last connected: its stop is worth a marker. */
  private wasRunning = false;
  private paused = false;
  private stream: LogConnectionStream | undefined;
  private connection: AbortController | undefined;
  private lastData = 0;
  private settleTimer: NodeJS.Timeout | undefined;
  /** Without follow: the line stamped after this ends the copy's log. */
  private cutoffKey: string | undefined;
  /** A start event came while it was connecting or being checked: look again. */
  private startedMeanwhile = false;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly version: string,
    readonly copyIndex: number,
    /** Present when the tail started: its initial read uses `tail`; later copies are read whole. */
    readonly initial: boolean,
  ) {}

  get state(): CopyLogState {
    return this.current;
  }

  /** The timestamp key of its last line: where its markers sit among the lines. */
  get lastKey(): string | undefined {
    return this.lastLineKey;
  }

  describe(): string {
    return this.copyIndex >= 0
      ? `copy ${this.copyIndex}${this.version ? ` (${this.version})` : ''}`
      : `container ${this.id.slice(0, 12)}`;
  }

  // --- questions ----------------------------------------------------------------------

  /** Connecting or streaming: followed right now. */
  get following(): boolean {
    return this.current === 'connecting' || this.current === 'streaming';
  }

  /** Not yet read to its end (without follow, the tail waits for it). */
  get unread(): boolean {
    return this.current === 'idle' || this.following;
  }

  /** Nothing open, waiting for the copy or the engine: a running copy is connected again. */
  get waiting(): boolean {
    return this.current === 'idle' || this.current === 'stopped' || this.current === 'lost';
  }

  get gone(): boolean {
    return this.current === 'gone';
  }

  get checking(): boolean {
    return this.current === 'checking';
  }

  /** No connection has delivered anything yet. */
  get neverConnected(): boolean {
    return this.connections === 0;
  }

  /** Its stream is paused for a slow consumer. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Was it started anew since it was last connected (a restart rather than a broken connection)? */
  restartedSince(info: Pick<ContainerDetails, 'startedAt'>): boolean {
    return info.startedAt !== this.startedAt;
  }

  // --- transitions --------------------------------------------------------------------

  /** A connection is being made: inspect, then ask for the log. */
  connecting(): void {
    this.current = 'connecting';
  }

  /**
   * A start event: true when the tail should connect. While connecting or checking, the
   * inspection under way may predate the start: it is told to look again instead.
   */
  started(): boolean {
    if (this.current === 'connecting' || this.current === 'checking') {
      this.startedMeanwhile = true;
      return false;
    }
    return this.current !== 'streaming';
  }

  /** An inspection begins; `startedDuringInspection` tells afterwards whether a start came meanwhile. */
  inspecting(): void {
    this.startedMeanwhile = false;
  }

  get startedDuringInspection(): boolean {
    return this.startedMeanwhile;
  }

  /**
   * The copy runs (or, initially, exists): the log request to make on `connection`. The
   * first asks for `since`/`tail` as given; later ones resume where the last one was.
   */
  opening(
    info: Pick<ContainerDetails, 'startedAt' | 'running'>,
    now: number,
    first: { since?: number; tail?: number },
    connection: AbortController,
  ): { since?: number; tail?: number; again: boolean; restarted: boolean } {
    const again = this.connections > 0;
    const restarted = again && this.restartedSince(info);
    this.startedAt = info.startedAt;
    this.wasRunning = info.running;
    let since: number | undefined;
    let tail: number | undefined;
    if (!again) {
      this.firstConnectMs = now;
      since = first.since;
      tail = this.initial ? first.tail : undefined;
    } else {
      since = this.resume.resume() ?? Math.floor(this.firstConnectMs / 1000) - 1;
    }
    this.connections++;
    this.connection = connection;
    return { since, tail, again, restarted };
  }

  /** Its log stream is open: lines flow. `cutoffKey`: without follow, where its log ends. */
  streaming(stream: LogConnectionStream, now: number, cutoffKey: string | undefined): void {
    this.stream = stream;
    this.current = 'streaming';
    this.lastData = now;
    this.cutoffKey = cutoffKey;
  }

  /** Bytes came. */
  dataArrived(now: number): void {
    this.lastData = now;
  }

  pauseReading(stream: LogConnectionStream): void {
    this.paused = true;
    stream.pause();
  }

  resumeReading(now: number): void {
    this.paused = false;
    this.lastData = now;
    this.stream?.resume();
  }

  /**
   * A decoded line: 'keep' it; 'cut' the log there (without follow: written after the tail
   * was opened, the end of this log); or 'drop' it (the tail stopped reading this copy).
   */
  line(key: string): 'keep' | 'cut' | 'drop' {
    if (this.cutoffKey !== undefined && key > this.cutoffKey) {
      this.cutoffKey = undefined;
      return 'cut';
    }
    // Late lines (flushed at the end of a stream) count too, unless the cutoff stopped it.
    if (
      this.current !== 'streaming' &&
      this.current !== 'checking' &&
      !(this.current === 'ended' && this.cutoffKey !== undefined)
    )
      return 'drop';
    this.lastLineKey = key;
    return 'keep';
  }

  /**
   * Without follow: once its log has been quiet for `settleMs` (not counting time paused
   * for the consumer), `settled` is called to close it: a running copy's stream never ends.
   */
  settleAfterQuiet(settleMs: number, now: () => number, settled: () => void): void {
    const check = () => {
      if (this.current !== 'streaming') return;
      const quiet = now() - this.lastData;
      if (this.paused || quiet < settleMs)
        this.settleTimer = setTimeout(check, this.paused ? settleMs : settleMs - quiet);
      else settled();
    };
    this.settleTimer = setTimeout(check, settleMs);
  }

  /** Its stream `closed` ended (or failed): a streaming copy is checked next. */
  streamClosed(closed: LogConnectionStream): void {
    if (this.current === 'streaming') this.current = 'checking';
    clearTimeout(this.settleTimer);
    if (this.stream === closed) this.stream = undefined;
  }

  /** Closes its connection (the stream's end follows): stopped when following, else read to its end. */
  close(following: boolean): void {
    clearTimeout(this.settleTimer);
    if (this.following) this.current = following ? 'stopped' : 'ended';
    this.connection?.abort();
    this.connection = undefined;
    this.stream?.destroy();
    this.stream = undefined;
  }

  /** Without follow, its stream ended: read to the end. Tells whether the tail closed it (an error then is ours). */
  readToEnd(): { closedByTail: boolean } {
    const closedByTail = this.current === 'ended';
    this.current = 'ended';
    return { closedByTail };
  }

  /** The connection broke while the copy runs on: connected again shortly (and not counted as stopped meanwhile). */
  reconnectingSoon(): void {
    this.current = 'connecting';
  }

  /** It does not run (or the log request was refused): nothing open until it starts again. */
  stopped(): void {
    this.current = 'stopped';
  }

  /** It ran and has stopped: true when that is news (it ran when last connected). */
  stoppedRunning(): boolean {
    const news = this.wasRunning;
    this.current = 'stopped';
    this.wasRunning = false;
    return news;
  }

  /** The engine went away: everything is picked up again once it is back. */
  lost(): void {
    this.current = 'lost';
  }

  /** The copy was removed: closed for good. */
  remove(following: boolean): void {
    this.close(following);
    this.current = 'gone';
  }
}
