/** Retry with backoff, and bounded waits: the one implementation every module uses. */
export { Backoff, type BackoffPolicy } from './backoff.js';
export { retry, isRetryable, realClock, type AttemptInfo, type Clock, type RetryEvent, type RetryOptions } from './retry.js';
export { withTimeout, settledWithin } from './timeout.js';
export { BackoffConfigError, RetryAbortedError, RetryDeadlineError, TimeoutError } from './errors.js';
