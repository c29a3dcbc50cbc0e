import { abortableDelay } from './runtimes/abortable-delay.js';
import { ResultDeliveryError } from './errors.js';
import type { Transport } from '../transport/port.js';
import type { StepResultMessage } from '../protocol/executor.js';

export interface DeliveryPolicy {
  timeoutMs: number;
  initialPauseMs: number;
  maxPauseMs: number;
}

/**
 * Hands `msg` to the instance actor `instanceKey`, retrying with jittered exponential backoff
 * while the transport rejects with a retryable error (the owner may be moving) and until
 * `policy.timeoutMs` has passed. Resolves `true` when delivered and `false` when `stopped()`
 * (checked before every try) turned true; `wake` cuts a pause short. Rejects with
 * ResultDeliveryError on a non-retryable rejection or when time runs out. The msgId is the same
 * on every try (`<attemptId>#result`), so the owner can drop repeats.
 */
export async function deliverResult(
  transport: Transport,
  instanceKey: string,
  msg: StepResultMessage,
  policy: DeliveryPolicy,
  stopped: () => boolean,
  wake: AbortSignal,
  now: () => number = Date.now,
): Promise<boolean> {
  const deadlineMs = now() + policy.timeoutMs;
  const msgId = `${msg.attemptId}#result`;
  let pauseMs = policy.initialPauseMs;
  for (let tries = 1; ; tries++) {
    if (stopped()) return false;
    try {
      await transport.request(instanceKey, msg, { msgId });
      return true;
    } catch (err) {
      if (!isRetryable(err)) {
        throw new ResultDeliveryError(msg.attemptId, `the transport rejected it: ${messageOf(err)}`, { cause: err });
      }
      const leftMs = deadlineMs - now();
      if (leftMs <= 0) {
        throw new ResultDeliveryError(
          msg.attemptId,
          `gave up after ${tries} tries in ${policy.timeoutMs} ms (executor option resultDeliveryTimeoutMs): ${messageOf(err)}`,
          { cause: err },
        );
      }
      const pause = Math.min(leftMs, pauseMs * (0.5 + Math.random() / 2));
      await abortableDelay(pause, wake);
      pauseMs = Math.min(policy.maxPauseMs, pauseMs * 2);
    }
  }
}

export function isRetryable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === true;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
