import { MaestroError } from '../core/errors.js';

/** A backoff policy that cannot produce sensible delays. */
export class BackoffConfigError extends MaestroError {
  override name = 'BackoffConfigError';
  constructor(policy: { initialMs: number; maxMs: number; factor?: number }) {
    super(
      'invalid_argument',
      `backoff needs 0 < initialMs <= maxMs and factor >= 1 (got initialMs=${policy.initialMs}, maxMs=${policy.maxMs}, factor=${policy.factor ?? 2})`,
      { retryable: false },
    );
  }
}

/** `retry` ran out of time; `cause` is the last failure. Retryable: a later call may succeed. */
export class RetryDeadlineError extends MaestroError {
  override name = 'RetryDeadlineError';
  readonly attempts: number;
  constructor(what: string, attempts: number, elapsedMs: number, options: { cause: unknown }) {
    super('unavailable', `${what}: gave up after ${attempts} tries in ${elapsedMs} ms: ${messageOf(options.cause)}`, { ...options, retryable: true });
    this.attempts = attempts;
  }
}

/** `retry` was stopped through its abort signal; `cause` is the last failure, if any. */
export class RetryAbortedError extends MaestroError {
  override name = 'RetryAbortedError';
  readonly attempts: number;
  constructor(what: string, attempts: number, options: { cause?: unknown }) {
    super('unavailable', `${what}: stopped after ${attempts} tries`, { ...options, retryable: false });
    this.attempts = attempts;
  }
}

/** A bounded wait that ran out (`withTimeout`). */
export class TimeoutError extends MaestroError {
  override name = 'TimeoutError';
  constructor(what: string, ms: number) {
    super('unavailable', `${what}: no answer within ${ms} ms`, { retryable: true });
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
