/**
 * Resolves `true` after `ms`, or `false` as soon as `signal` aborts (at once if it already has).
 * Never rejects; the timer and listener are removed either way. `ms <= 0` resolves at once
 * without a timer (a Sleep 0 or one whose end is past must not wait for a timer tick).
 */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (!(ms > 0)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, Math.max(0, ms));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
