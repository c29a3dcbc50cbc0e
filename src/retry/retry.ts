/**
 * The one retry loop: runs `fn` until it resolves, waiting a jittered exponential backoff
 * (./backoff.ts) between tries.
 *
 * - An error for which `shouldRetry` is false (default: anything without `retryable: true`) is
 *   rethrown as is, at once.
 * - With `deadlineMs`, no try starts after the deadline and no wait passes it; then the last
 *   error goes to `onDeadline` (default: RetryDeadlineError with the last error as cause). With
 *   `maxAttempts`, the same happens after that many tries. Without either, it retries for ever.
 * - `signal` stops it between tries and cuts a wait short: RetryAbortedError (cause: the last
 *   error). A try already running is not interrupted; `fn` may watch the signal itself.
 * - `onRetry` sees every failure that will be retried (for logging), before the wait.
 * - Time comes from `clock`, randomness from `random`: tests inject both and never wait.
 */
import { Backoff, type BackoffPolicy } from './backoff.js';
import { RetryAbortedError, RetryDeadlineError } from './errors.js';

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early (never rejecting) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

export interface RetryEvent {
  error: unknown;
  /** The try that failed (1 = the first). */
  attempt: number;
  /** The wait before the next try. */
  delayMs: number;
  elapsedMs: number;
}

export interface AttemptInfo {
  /** 1 for the first try. */
  attempt: number;
  /** Time left before the deadline (Infinity without one): bound the try's own timeout by it. */
  remainingMs: number;
}

export interface RetryOptions {
  /** Names the operation in RetryDeadlineError / RetryAbortedError messages. */
  what: string;
  backoff: BackoffPolicy;
  deadlineMs?: number;
  maxAttempts?: number;
  signal?: AbortSignal;
  shouldRetry?: (err: unknown) => boolean;
  onRetry?: (event: RetryEvent) => void;
  /** The error thrown when the deadline or maxAttempts is reached. */
  onDeadline?: (lastError: unknown, attempts: number) => unknown;
  clock?: Clock;
  random?: () => number;
}

export function isRetryable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === true;
}

export async function retry<T>(fn: (info: AttemptInfo) => Promise<T>, o: RetryOptions): Promise<T> {
  const clock = o.clock ?? realClock;
  const startMs = clock.now();
  const deadline = o.deadlineMs === undefined ? Infinity : startMs + o.deadlineMs;
  const maxAttempts = o.maxAttempts ?? Infinity;
  const shouldRetry = o.shouldRetry ?? isRetryable;
  const backoff = new Backoff(o.backoff, o.random);
  let last: unknown;
  for (let attempt = 1; ; attempt++) {
    if (o.signal?.aborted) throw new RetryAbortedError(o.what, attempt - 1, { cause: last ?? o.signal.reason });
    const nowMs = clock.now();
    if (attempt > 1 && nowMs >= deadline) throw giveUp(o, last, attempt - 1, nowMs - startMs);
    try {
      return await fn({ attempt, remainingMs: deadline - nowMs });
    } catch (err) {
      if (!shouldRetry(err)) throw err;
      last = err;
    }
    const failedAtMs = clock.now();
    const leftMs = deadline - failedAtMs;
    if (leftMs <= 0 || attempt >= maxAttempts) throw giveUp(o, last, attempt, failedAtMs - startMs);
    const delayMs = Math.min(backoff.next(), leftMs);
    o.onRetry?.({ error: last, attempt, delayMs, elapsedMs: failedAtMs - startMs });
    await clock.sleep(delayMs, o.signal);
  }
}

function giveUp(o: RetryOptions, last: unknown, attempts: number, elapsedMs: number): unknown {
  return o.onDeadline ? o.onDeadline(last, attempts) : new RetryDeadlineError(o.what, attempts, elapsedMs, { cause: last });
}
