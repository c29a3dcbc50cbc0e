/**
 * Resending JetStream API calls through leader elections and reconnects, up to a deadline
 * (src/retry does the loop). Shared by the partition writer and the reader.
 */
import { retry, TimeoutError, withTimeout } from '../../retry/index.js';
import { JournalUnavailableError } from './errors.js';

export interface RetryPolicy {
  /** Deadline of the whole call, resends included. */
  deadlineMs: number;
  /** Longest wait for one answer before resending. */
  attemptTimeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

/** Returned by `retrying` when `expected` held for the error (the caller inspects the subject instead). */
const EXPECTED = Symbol('expected');

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
  const out = await retry<T | typeof EXPECTED>(
    async ({ remainingMs }) => {
      const attemptMs = Math.max(1, Math.min(remainingMs, policy.attemptTimeoutMs));
      try {
        // `fn` gets the attempt's timeout for its own request; the race is a backstop for calls
        // (such as JetStream manager requests) that use a longer timeout of their own.
        return await withTimeout(fn(attemptMs), attemptMs + 100, what);
      } catch (e) {
        if (expected(e)) return EXPECTED;
        if (!isTransient(e)) throw new JournalUnavailableError(what, { cause: e });
        throw e;
      }
    },
    {
      what,
      backoff: { initialMs: policy.retryBaseMs, maxMs: policy.retryMaxMs },
      deadlineMs: policy.deadlineMs,
      shouldRetry: isTransient,
      onDeadline: (last) => new JournalUnavailableError(what, { cause: last }),
    },
  );
  return out === EXPECTED ? undefined : out;
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
  if (e instanceof TimeoutError) return true;
  const code = (e as { code?: unknown } | undefined)?.code;
  return (
    code === '503' || code === 'TIMEOUT' || code === 'DISCONNECT' || code === '408' || code === 'REQUEST_ERROR' || apiErrorCode(e) === 10008
  );
}
