/**
 * The info-level lines that say what an instance does, kept cheap: one line when a run starts,
 * one when it ends (with status and duration), one per failed step attempt (with its error).
 * Successful step attempts are logged at debug only, and so are the start and end of child
 * instances (foreach iterations, while loops, subworkflows: a 25,000-iteration foreach is not
 * 50,000 info lines); their failed attempts are info like any other. Called by the instance actor after a batch
 * is durable, with the state before and after it and the step results the batch applied.
 */
import type { InstanceState } from '../core/instance/state.js';
import { isWorkflowTerminal } from '../core/status.js';
import type { StepResult } from '../core/step-runtime.js';
import type { Logger } from '../log/logger.js';

export interface AppliedResult {
  stepId: string;
  attempt: number;
  result: StepResult;
}

/** The result events of a batch worth a line (every one: successes go to debug). */
export function noteResult(into: AppliedResult[], ev: { t: string }): void {
  if (ev.t !== 'result') return;
  const r = ev as unknown as { stepId: string; attempt: number; result: StepResult };
  into.push({ stepId: r.stepId, attempt: r.attempt, result: r.result });
}

export function logLifecycle(log: Logger | undefined, before: InstanceState | undefined, after: InstanceState | undefined, results: readonly AppliedResult[]): void {
  if (log === undefined || after === undefined) return;
  // the common batch: nothing to say
  if (results.length === 0 && before !== undefined && before.runId === after.runId && before.status === after.status && before.startedAtMs === after.startedAtMs) return;
  const ids = { workflowId: after.workflowId, instanceId: after.instanceId, runId: after.runId };
  const newRun = before === undefined || before.runId !== after.runId;
  const top = after.parent === undefined;
  const wasStarted = !newRun && before.startedAtMs !== undefined;
  if (!wasStarted && after.startedAtMs !== undefined) {
    const msg = after.runId > 1 ? 'instance restarted' : 'instance started';
    if (top) log.info(ids, msg);
    else log.debug(ids, msg);
  }
  for (const r of results) {
    if (r.result.status === 'SUCCEEDED') log.debug({ ...ids, stepId: r.stepId, attempt: r.attempt }, 'step attempt succeeded');
    else log.info({ ...ids, stepId: r.stepId, attempt: r.attempt, status: r.result.status, error: r.result.error }, 'step attempt failed');
  }
  if (isWorkflowTerminal(after.status) && (newRun || !isWorkflowTerminal(before.status))) {
    const from = after.startedAtMs ?? after.createdAtMs;
    const durationMs = after.endedAtMs === undefined ? undefined : after.endedAtMs - from;
    const fields = { ...ids, status: after.status, durationMs, ...(after.error ? { error: after.error } : {}) };
    if (top) log.info(fields, 'instance ended');
    else log.debug(fields, 'instance ended');
  }
}
