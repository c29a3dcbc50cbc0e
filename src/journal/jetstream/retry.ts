/**
 * Resending JetStream API calls through leader elections and reconnects, up to a deadline.
 * Shared by the partition writer and the reader.
 */
import { JournalUnavailableError } from './errors.js';

export interface RetryPolicy {
  /** Deadline of the whole call, resends included. */
  deadlineMs: number;
  /** Longest wait for one answer before resending. */
  attemptTimeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

/**
 * Runs `fn` until it resolves, resending on timeouts and "no responders" until the deadline;
 * then rejects JournalUnavailableError naming `what`. An error for which `expected` holds
 * resolves `undefined` (the caller inspects the subject instead).
 */
export async function retrying<T>(
  what: string,
  policy: RetryPolicy,
  fn: (timeoutMs: number) => Promise<T>,
  expected: (e: unknown) => boolean = () => false,
): Promise<T | undefined> {
  const deadline = Date.now() + policy.deadlineMs;
  let backoff = policy.retryBaseMs;
  for (;;) {
    const attemptMs = Math.max(1, Math.min(deadline - Date.now(), policy.attemptTimeoutMs));
    try {
      // `fn` gets the attempt's timeout for its own request; the race is a backstop for calls
      // (such as JetStream manager requests) that use a longer timeout of their own.
      return await withTimeout(fn(attemptMs), attemptMs + 100);
    } catch (e) {
      if (expected(e)) return undefined;
      if (!isTransient(e) || deadline - Date.now() <= 0) throw new JournalUnavailableError(what, { cause: e });
    }
    await sleep(Math.min(backoff, Math.max(0, deadline - Date.now())));
    backoff = Math.min(backoff * 2, policy.retryMaxMs);
  }
}

export function apiErrorCode(e: unknown): number | undefined {
  const code = (e as { api_error?: { err_code?: unknown } } | undefined)?.api_error?.err_code;
  return typeof code === 'number' ? code : undefined;
}

/** JetStream: wrong last sequence (the fence or a CAS did not match). */
export const WRONG_LAST_SEQUENCE = 10071;
/** JetStream: no message found. */
export const NO_MESSAGE = 10037;

/** Worth resending: no responders (leader moving), timeouts, reconnects, "temporarily unavailable". */
function isTransient(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  return (
    code === '503' || code === 'TIMEOUT' || code === 'DISCONNECT' || code === '408' || code === 'REQUEST_ERROR' || apiErrorCode(e) === 10008
  );
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'TIMEOUT' })), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
