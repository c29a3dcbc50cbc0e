/**
 * A request_id is remembered as long as its instance: when retention forgets a finished instance
 * (partition-host.ts checkpoint, `retainFinishedPerPartition`), its request id is dropped from
 * its workflow's queue owner (`~queue/<wf>` `ForgetRequests`), which holds the dedup map.
 *
 * Sent only after the checkpoint that forgets the instances is durable, one message per workflow.
 * A send that fails is kept for the host's next checkpoint; one lost with its host (the partition
 * moved meanwhile) leaves the id remembered, which only means a repeat of that very request_id
 * still answers the (now forgotten, so NOT_FOUND) instance instead of starting a new one.
 */
import { bypassesQueue, queueKeyOf } from '../core/queue/model.js';
import type { InstanceState } from '../core/instance/state.js';
import type { Transport } from '../transport/port.js';
import type { Logger } from '../log/logger.js';
import type { ForgetRequestsMessage } from './queue-messages.js';

export interface ForgottenRequest {
  workflowId: string;
  instanceId: number;
  requestId: string;
}

/** The dedup entry a forgotten instance leaves at its queue owner, if any (inline loop iterations have none). */
export function forgottenRequestOf(s: InstanceState | undefined): ForgottenRequest | undefined {
  if (s?.requestId === undefined || bypassesQueue(s.workflowId, s.initiator)) return undefined;
  return { workflowId: s.workflowId, instanceId: s.instanceId, requestId: s.requestId };
}

/** Tells each workflow's queue owner to drop these request ids; resolves with those not delivered. */
export async function forgetRequests(transport: Transport, items: readonly ForgottenRequest[], log: Logger): Promise<ForgottenRequest[]> {
  const byWorkflow = new Map<string, ForgottenRequest[]>();
  for (const it of items) {
    const list = byWorkflow.get(it.workflowId);
    if (list) list.push(it);
    else byWorkflow.set(it.workflowId, [it]);
  }
  const failed: ForgottenRequest[] = [];
  await Promise.all(
    [...byWorkflow].map(async ([workflowId, list]) => {
      const msg: ForgetRequestsMessage = { type: 'ForgetRequests', requests: list.map((r) => ({ requestId: r.requestId, instanceId: r.instanceId })) };
      try {
        await transport.request(queueKeyOf(workflowId), msg);
      } catch (err) {
        log.warn({ err, workflowId, requests: list.length }, 'dropping request ids of forgotten instances failed; the next checkpoint retries');
        failed.push(...list);
      }
    }),
  );
  return failed;
}
