// How the Copies view keeps up with the engine. No 'vscode' import, so the benchmark
// (bench/refresh.ts) measures with the very same numbers.

export interface RefreshTimings {
  /** Quiet time after an engine event before refreshing: one refresh covers a burst (a stop is 3 events). */
  debounceMs: number;
  /** The safety poll, in case an event was missed. */
  pollMs: number;
  /** First wait before reconnecting to a lost event stream; doubles up to maxRetryMs. */
  retryMs: number;
  maxRetryMs: number;
  /**
   * While a deploy lock is held (a promote runs, here or elsewhere), the poll in between:
   * the ledger and the lock are volumes, whose events carry no labels to follow them by.
   */
  deployPollMs: number;
}

// 40 ms: events of one change arrive within a millisecond of each other; the refresh
// after an event must land under 200 ms (BENCHMARKS.md, "Copies view refresh").
export const DEFAULT_REFRESH_TIMINGS: RefreshTimings = {
  debounceMs: 40,
  pollMs: 30_000,
  retryMs: 1_000,
  maxRetryMs: 15_000,
  deployPollMs: 1_000,
};
