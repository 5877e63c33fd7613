// The one abortable wait. It removes its abort listener however it ends: a loop that waits
// on one long-lived signal (a retry loop, a poll) would otherwise add one per turn, and
// Node warns (MaxListenersExceededWarning) past ten.

/** Waits `ms`; rejects with the abort reason as soon as `signal` aborts (at once if it has). */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? Object.assign(new Error('aborted'), { name: 'AbortError' });
}
