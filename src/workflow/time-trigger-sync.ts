/**
 * Keeping `~cron/<workflowId>` in step with the definitions: a Sync after every change of a
 * workflow's active version (create, activate, delete) and, at node start, for every workflow
 * whose active version has time triggers. A Sync that fails is logged: the actor's own timer
 * (at most 900 s) re-reads the definitions anyway.
 */
import { NotFoundError } from '../core/errors.js';
import { timeTriggerKeyOf } from '../core/signals/model.js';
import type { Logger } from '../log/logger.js';
import type { Transport } from '../transport/port.js';
import type { DefinitionRegistry } from './definitions.js';
import { timeTriggerSyncReply, timeTriggersReply, type TimeTriggerSyncReply, type TimeTriggersReply } from './time-trigger-messages.js';

/** Whether the workflow's active version has time triggers (false when it is gone or has none active). */
export async function activeHasTimeTriggers(definitions: DefinitionRegistry, workflowId: string): Promise<boolean> {
  try {
    const h = await definitions.header(workflowId);
    if (!h.activeVersion) return false;
    return (await definitions.compiledVersion(workflowId, h.activeVersion)).request.workflow.timeTriggers.length > 0;
  } catch (err) {
    if (err instanceof NotFoundError) return false;
    throw err;
  }
}

/** Sends Sync to the workflow's time-trigger actor; answers once this round's starts were answered. */
export async function syncTimeTriggers(transport: Transport, workflowId: string, timeoutMs: number): Promise<TimeTriggerSyncReply> {
  return timeTriggerSyncReply.parse(await transport.request(timeTriggerKeyOf(workflowId), { type: 'Sync' }, { timeoutMs }));
}

/** As syncTimeTriggers, but a failure is logged, not thrown (a definition change already succeeded). */
export async function syncTimeTriggersLogged(transport: Transport, workflowId: string, timeoutMs: number, log: Logger): Promise<void> {
  try {
    await syncTimeTriggers(transport, workflowId, timeoutMs);
  } catch (err) {
    log.warn({ err, workflowId }, 'time triggers not synced with the definition change; the trigger actor re-reads it at its next tick');
  }
}

/** The time triggers of a workflow, with jitter, watermarks and the next `upcoming` fires. */
export async function timeTriggerInfo(transport: Transport, workflowId: string, upcoming: number | undefined, timeoutMs: number): Promise<TimeTriggersReply> {
  const msg = upcoming === undefined ? { type: 'TimeTriggerInfo' } : { type: 'TimeTriggerInfo', upcoming };
  return timeTriggersReply.parse(await transport.request(timeTriggerKeyOf(workflowId), msg, { timeoutMs }));
}

/** At node start: Sync every workflow whose active version has time triggers. Returns how many were synced. */
export async function syncAllTimeTriggers(definitions: DefinitionRegistry, transport: Transport, timeoutMs: number, log: Logger): Promise<number> {
  let n = 0;
  for (const wf of await definitions.list()) {
    try {
      if (!(await activeHasTimeTriggers(definitions, wf.workflowId))) continue;
      await syncTimeTriggers(transport, wf.workflowId, timeoutMs);
      n++;
    } catch (err) {
      log.warn({ err, workflowId: wf.workflowId }, 'time triggers not synced at start; the trigger actor re-reads them at its next tick');
    }
  }
  return n;
}
