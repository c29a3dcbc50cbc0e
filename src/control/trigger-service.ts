/**
 * maestro.v1.TriggerService over the EngineApi: a workflow's time triggers (subscription,
 * jitter, watermarks, next fires) and its signal triggers' definitions, and a Sync of its time
 * triggers. Signal trigger checkpoints come from the workflow's signal-trigger actor (empty: not subscribed).
 */
import { signalTriggerUuid } from '../workflow/signal-trigger-service.js';
import type { EngineApi } from '../workflow/engine-api.js';
import type { TimeTriggersReply, TimeTriggerSyncReply } from '../workflow/time-trigger-messages.js';
import { MAX_UPCOMING_FIRES } from '../workflow/time-trigger-messages.js';
import type { GetTriggersResponse, TriggerServiceServer } from '../gen/maestro/v1/triggers.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { renderSignalTrigger } from '../core/definition/render.js';
import { requireString, unaryHandlers } from './handlers.js';
import type { Logger } from '../log/logger.js';

export const TRIGGER_SERVICE = 'maestro.v1.TriggerService';

export interface SignalTriggerView {
  index: number;
  definitionJson: string;
  /** Signal name -> seq consumed up to (empty when the trigger is not subscribed: inactive, disabled). */
  checkpoints: Record<string, number>;
}

/** What `maestro triggers` shows: the time triggers' state and the signal triggers. */
export interface WorkflowTriggers {
  time: TimeTriggersReply;
  signal: SignalTriggerView[];
}

export function checkUpcoming(n: number | undefined): number | undefined {
  if (n === undefined) return undefined;
  if (!Number.isInteger(n) || n < 0 || n > MAX_UPCOMING_FIRES) throw new ValidationError('upcoming', `must be an integer in 0..${MAX_UPCOMING_FIRES}, got ${n}`);
  return n;
}

/** The workflow's triggers through the engine (time triggers from `~cron/<id>`, signal triggers from the active version). */
export async function workflowTriggers(api: EngineApi, workflowId: string, upcoming?: number): Promise<WorkflowTriggers> {
  const time = await api.getTimeTriggers(workflowId, checkUpcoming(upcoming));
  let signal: SignalTriggerView[] = [];
  try {
    const def = await api.getWorkflow(workflowId);
    const defs = def.definition.workflow.signalTriggers;
    const subscribed = defs.length > 0 ? new Map((await api.signalTriggers(workflowId)).triggers.map((s) => [s.uuid, s.checkpoints])) : new Map<string, Record<string, number>>();
    signal = defs.map((t, index) => ({ index, definitionJson: JSON.stringify(renderSignalTrigger(t)), checkpoints: subscribed.get(signalTriggerUuid(t)) ?? {} }));
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    if (time.triggers.length === 0) throw err; // neither kind: the workflow is unknown
  }
  return { time, signal };
}

export function triggersToProto(v: WorkflowTriggers): GetTriggersResponse {
  const t = v.time;
  const out: GetTriggersResponse = {
    workflowId: t.workflowId,
    timeSubscribed: t.subscribed,
    timeTriggerUuid: t.triggerUuid ?? '',
    version: t.version ?? 0,
    reason: t.reason ?? '',
    pending: t.pending,
    nowMs: t.nowMs,
    timeTriggers: t.triggers.map((x) => {
      const p: GetTriggersResponse['timeTriggers'][number] = { index: x.index, definitionJson: x.definitionJson, text: x.text, timezone: x.timezone, jitterMs: x.jitterMs, nextFiresMs: x.nextFiresMs };
      if (x.watermarkMs !== undefined) p.watermarkMs = x.watermarkMs;
      return p;
    }),
    signalTriggers: v.signal.map((s) => ({ index: s.index, definitionJson: s.definitionJson, checkpoints: s.checkpoints })),
  };
  if (t.subscribedAtMs !== undefined) out.subscribedAtMs = t.subscribedAtMs;
  return out;
}

export function triggersFromProto(p: GetTriggersResponse): WorkflowTriggers {
  const time: TimeTriggersReply = {
    workflowId: p.workflowId,
    subscribed: p.timeSubscribed,
    pending: Number(p.pending),
    nowMs: Number(p.nowMs),
    triggers: p.timeTriggers.map((x) => {
      const v: TimeTriggersReply['triggers'][number] = {
        index: x.index,
        definitionJson: x.definitionJson,
        text: x.text,
        timezone: x.timezone,
        jitterMs: Number(x.jitterMs),
        nextFiresMs: x.nextFiresMs.map(Number),
      };
      if (x.watermarkMs !== undefined) v.watermarkMs = Number(x.watermarkMs);
      return v;
    }),
  };
  if (p.timeTriggerUuid) time.triggerUuid = p.timeTriggerUuid;
  if (p.version) time.version = Number(p.version);
  if (p.subscribedAtMs !== undefined) time.subscribedAtMs = Number(p.subscribedAtMs);
  if (p.reason) time.reason = p.reason;
  const signal = p.signalTriggers.map((s) => ({ index: s.index, definitionJson: s.definitionJson, checkpoints: Object.fromEntries(Object.entries(s.checkpoints).map(([k, n]) => [k, Number(n)])) }));
  return { time, signal };
}

export function triggerService(api: EngineApi, log: Logger): TriggerServiceServer {
  const unary = unaryHandlers(log);
  return {
    getTriggers: unary(async (req) => triggersToProto(await workflowTriggers(api, requireString(req.workflowId, 'workflow_id'), req.upcoming))),
    syncTimeTriggers: unary(async (req): Promise<TimeTriggerSyncReply> => api.syncTimeTriggers(requireString(req.workflowId, 'workflow_id'))),
  };
}
