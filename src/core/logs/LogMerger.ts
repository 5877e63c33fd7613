// Several copies' lines → one sequence ordered by timestamp, within a small window.
// Each source (a copy's log) has its own queue, already in its own order. The next item
// out is the smallest head of all queues (ties: the source's `order`), but only once no
// other source could still deliver something earlier: every other *blocking* source
// (one with an open connection) has a line queued, or has been quiet for `windowMs`, or
// the item has waited `windowMs` itself. So a quiet copy never holds the tail back for
// more than the window, and copies that are reading a backlog interleave exactly.
// Queues are bounded by the caller (it pauses a source whose queue is long).

interface Source<T> {
  id: string;
  items: T[];
  arrivals: number[];
  head: number;
  order: number;
  blocking: boolean;
  lastActivity: number;
  /** Removed by the caller: forgotten once drained. */
  removed: boolean;
}

export class LogMerger<T extends { timestamp: string }> {
  private readonly sources = new Map<string, Source<T>>();
  private total = 0;

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A source; `order` breaks ties between equal timestamps (smaller first). */
  addSource(id: string, order: number, blocking: boolean): void {
    const existing = this.sources.get(id);
    if (existing) {
      existing.removed = false;
      existing.blocking = blocking;
      return;
    }
    this.sources.set(id, {
      id,
      items: [],
      arrivals: [],
      head: 0,
      order,
      blocking,
      lastActivity: this.now(),
      removed: false,
    });
  }

  /** Forgets a source once its queue is empty (now or when drained). */
  removeSource(id: string): void {
    const s = this.sources.get(id);
    if (!s) return;
    s.blocking = false;
    if (s.head >= s.items.length) this.sources.delete(id);
    else s.removed = true;
  }

  /** Whether the source can still deliver (an open connection): only then may it hold others back. */
  setBlocking(id: string, blocking: boolean): void {
    const s = this.sources.get(id);
    if (!s) return;
    s.blocking = blocking;
    s.lastActivity = this.now();
  }

  /** Bytes arrived for this source (even if they made no whole line yet). */
  touch(id: string): void {
    const s = this.sources.get(id);
    if (s) s.lastActivity = this.now();
  }

  push(id: string, item: T): void {
    let s = this.sources.get(id);
    if (!s) {
      // Removed and drained already (a last marker): queue it once more.
      this.addSource(id, 0, false);
      s = this.sources.get(id) as Source<T>;
      s.removed = true;
    }
    const now = this.now();
    s.items.push(item);
    s.arrivals.push(now);
    s.lastActivity = now;
    this.total++;
  }

  /** How many items wait in this source's queue. */
  queued(id: string): number {
    const s = this.sources.get(id);
    return s ? s.items.length - s.head : 0;
  }

  get size(): number {
    return this.total;
  }

  /** The next item in order if it may go now. */
  take(): T | undefined {
    const next = this.smallest();
    if (!next || !this.mayGo(next, this.now())) return undefined;
    return this.shift(next);
  }

  /** When take() may answer, if it cannot now: a time (ms, on `now`'s clock) or undefined (nothing queued). */
  wakeAt(): number | undefined {
    const next = this.smallest();
    if (!next) return undefined;
    let release = 0;
    for (const o of this.sources.values()) {
      if (o !== next && o.blocking && o.head >= o.items.length)
        release = Math.max(release, o.lastActivity + this.windowMs);
    }
    return Math.min(next.arrivals[next.head] + this.windowMs, release);
  }

  private smallest(): Source<T> | undefined {
    let best: Source<T> | undefined;
    let bestKey = '';
    for (const s of this.sources.values()) {
      if (s.head >= s.items.length) continue;
      const key = s.items[s.head].timestamp;
      if (!best || key < bestKey || (key === bestKey && s.order < best.order)) {
        best = s;
        bestKey = key;
      }
    }
    return best;
  }

  private mayGo(s: Source<T>, now: number): boolean {
    if (now - s.arrivals[s.head] >= this.windowMs) return true;
    for (const o of this.sources.values()) {
      if (o === s || !o.blocking || o.head < o.items.length) continue;
      if (now - o.lastActivity < this.windowMs) return false;
    }
    return true;
  }

  private shift(s: Source<T>): T {
    const item = s.items[s.head];
    s.head++;
    this.total--;
    if (s.head >= s.items.length) {
      s.items = [];
      s.arrivals = [];
      s.head = 0;
      if (s.removed) this.sources.delete(s.id);
    } else if (s.head >= 1024 && s.head * 2 >= s.items.length) {
      s.items = s.items.slice(s.head);
      s.arrivals = s.arrivals.slice(s.head);
      s.head = 0;
    }
    return item;
  }
}
