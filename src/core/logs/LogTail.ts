// A log tail that several viewers can watch (the editor's terminals): it follows the
// target on its own, keeps the last `ringSize` entries for a viewer that opens later,
// and hands each batch of new entries to every subscriber. Memory is bounded by the
// ring; a subscriber gets entries as they come (it cannot slow the tail down).
import type { EngineClient } from '../engine/EngineClient';
import { followLogs, type FollowLogsOptions, type LogFollower } from './LogFollower';
import { RingBuffer } from './RingBuffer';
import type { LogEntry, LogTarget } from './types';

export interface LogTailOptions extends FollowLogsOptions {
  /** Entries kept for late viewers; default 1000. */
  ringSize?: number;
}

export interface LogTailSubscription {
  dispose(): void;
}

type Listener = (entries: readonly LogEntry[]) => void;
type EndListener = (error: unknown) => void;

export class LogTail {
  private readonly ring: RingBuffer<LogEntry>;
  private readonly listeners = new Set<Listener>();
  private readonly endListeners = new Set<EndListener>();
  private readonly follower: LogFollower;
  private running: Promise<void> | undefined;
  private ended = false;
  private error: unknown;

  constructor(
    engine: EngineClient,
    readonly target: LogTarget,
    options: LogTailOptions = {},
  ) {
    this.ring = new RingBuffer<LogEntry>(options.ringSize ?? 1000);
    this.follower = followLogs(engine, target, { follow: true, ...options });
  }

  /** Starts following (once). */
  start(): void {
    this.running ??= this.pump();
  }

  /** The last entries, oldest first. */
  recent(): LogEntry[] {
    return this.ring.toArray();
  }

  /** New entries from now on; with `replay` (default) first the ones kept in the ring. */
  subscribe(listener: Listener, options: { replay?: boolean } = {}): LogTailSubscription {
    if (options.replay ?? true) {
      const kept = this.ring.toArray();
      if (kept.length) listener(kept);
    }
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Called once when the tail ends: `error` undefined after dispose(), else why it failed. */
  onEnd(listener: EndListener): LogTailSubscription {
    if (this.ended) listener(this.error);
    else this.endListeners.add(listener);
    return { dispose: () => this.endListeners.delete(listener) };
  }

  dispose(): void {
    this.follower.close();
    this.listeners.clear();
  }

  private async pump(): Promise<void> {
    try {
      for await (const batch of this.follower.batches()) {
        for (const e of batch) this.ring.push(e);
        for (const l of [...this.listeners]) l(batch);
      }
    } catch (e) {
      this.error = e;
    }
    this.ended = true;
    for (const l of [...this.endListeners]) l(this.error);
    this.endListeners.clear();
  }
}
