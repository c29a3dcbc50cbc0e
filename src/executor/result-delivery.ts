/**
 * Handing an attempt's result to its instance, wherever the instance lives now.
 *
 * A result is retried with jittered exponential backoff (src/retry) for as long as the transport
 * rejects it with a retryable error (the owner is moving, crashed, or its partition is not
 * served yet) — with no deadline: a verdict must reach the owner, or the attempt must be known
 * dead (`stopped()`: the attempt was cancelled or the executor is closing). Every try carries the
 * same msgId (`<attemptId>#result`), so the owner drops repeats. While it keeps failing, a
 * warning names the attempt at the first failure and then at most once per `warnEveryMs`.
 */
import type { Transport } from '../transport/port.js';
import type { StepResultMessage } from '../protocol/executor.js';
import { fallbackLogger, type Logger } from '../log/logger.js';
import { isRetryable, realClock, retry, RetryAbortedError, type Clock } from '../retry/index.js';
import { ResultDeliveryError } from './errors.js';
import { defaultExecutorOptions } from './options.js';

export interface DeliveryPolicy {
  /** Ignored: delivery no longer gives up on time (kept so existing callers compile). */
  timeoutMs?: number;
  initialPauseMs: number;
  maxPauseMs: number;
  /** Default: the executor option resultWarnEveryMs. */
  warnEveryMs?: number;
  /** Default: the process-wide fallback logger. */
  log?: Logger;
}

/** Thrown inside the retry loop when `stopped()` turned true; never leaves this module. */
const STOPPED = new Error('result delivery stopped: the attempt is cancelled or the executor is closing');


/**
 * Resolves `true` once the owner accepted `msg`, `false` when `stopped()` (checked before every
 * try) turned true or `wake` aborted; rejects ResultDeliveryError on a non-retryable rejection.
 */
export async function deliverResult(
  transport: Transport,
  instanceKey: string,
  msg: StepResultMessage,
  policy: DeliveryPolicy,
  stopped: () => boolean,
  wake: AbortSignal,
  now: () => number = Date.now,
  sleep: Clock['sleep'] = realClock.sleep,
): Promise<boolean> {
  const msgId = `${msg.attemptId}#result`;
  if (stopped() || wake.aborted) return false;
  try {
    await transport.request(instanceKey, msg, { msgId }); // the usual case: the owner takes it at once
    return true;
  } catch (err) {
    if (!isRetryable(err)) throw rejected(msg, err);
    return retryDelivery(transport, instanceKey, msg, msgId, err, policy, stopped, wake, now, sleep);
  }
}

function rejected(msg: StepResultMessage, err: unknown): ResultDeliveryError {
  return new ResultDeliveryError(msg.attemptId, `the transport rejected it: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

async function retryDelivery(
  transport: Transport,
  instanceKey: string,
  msg: StepResultMessage,
  msgId: string,
  first: unknown,
  policy: DeliveryPolicy,
  stopped: () => boolean,
  wake: AbortSignal,
  now: () => number,
  sleep: Clock['sleep'],
): Promise<boolean> {
  const log = policy.log ?? fallbackLogger().child({ module: 'executor' });
  const warnEveryMs = policy.warnEveryMs ?? defaultExecutorOptions().resultWarnEveryMs;
  const fields = { attemptId: msg.attemptId, instanceKey, stepId: msg.stepId };
  let lastWarnMs = -Infinity;
  let failures = 0;
  try {
    await retry(
      async ({ attempt }) => {
        if (attempt === 1) throw first; // the first try, made by deliverResult: the backoff starts after it
        if (stopped()) throw STOPPED;
        await transport.request(instanceKey, msg, { msgId });
      },
      {
        what: `result of attempt ${msg.attemptId}`,
        backoff: { initialMs: policy.initialPauseMs, maxMs: policy.maxPauseMs },
        signal: wake,
        clock: { now, sleep },
        shouldRetry: (err) => err !== STOPPED && isRetryable(err),
        onRetry: ({ error, attempt, elapsedMs }) => {
          failures = attempt;
          if (now() - lastWarnMs < warnEveryMs) return;
          lastWarnMs = now();
          log.warn({ ...fields, tries: attempt, elapsedMs, err: error }, 'result not delivered yet; retrying until the owner takes it');
        },
      },
    );
  } catch (err) {
    if (err === STOPPED || err instanceof RetryAbortedError) {
      if (failures > 0) log.info({ ...fields, tries: failures }, 'result delivery stopped: the attempt is cancelled or the executor is closing');
      return false;
    }
    throw rejected(msg, err);
  }
  if (failures > 0) log.info({ ...fields, tries: failures + 1 }, 'result delivered');
  return true;
}
