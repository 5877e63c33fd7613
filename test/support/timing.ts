// Timing inside unit tests that bound a feature's cost.

/** Median time of a call in ms, after warming up (the median shrugs off a busy machine's hiccups). */
export function medianMs(f: () => void, runs = 31): number {
  for (let i = 0; i < 10; i++) f();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[runs >> 1];
}
