/**
 * A restart of an ended child instance — a foreach/while iteration or a subworkflow child — or
 * of a step in one (maestro-semantics §0.2, §1.5, §2.2, §3.2, §6.7; Maestro's
 * WorkflowInstanceActionHandler.restartRecursively, RunRequest.updateForUpstream /
 * updateForDownstreamIfNeeded and RestartConfig's restart_path): children (initiator FOREACH,
 * WHILE or SUBWORKFLOW, sync or async alike, as Maestro's UpstreamInitiator) are not restarted
 * on their own. The walk goes up the parents while they have ended, adding a level to the path
 * at each, and restarts the topmost ended one (a root: MANUAL, TIME or SIGNAL) with
 * RESTART_FROM_SPECIFIC from the step that leads down, carrying the path down to the child.
 * Each level on the path re-runs only what leads down (a foreach keeps its other iterations as
 * they ended, a while restarts from that iteration, a subworkflow step re-runs the same child
 * instance as a new run); the child at the end of the path runs from the step given, or with
 * the user's policy.
 *
 * What the levels' folds need from outside (each child's latest run, status and rollup; for a
 * while, the rollup of the iterations before it) is read here and carried in the path, so the
 * journaled event holds it and replay reads nothing.
 *
 * When the walk reaches a parent that has not ended: a running foreach runs its iteration again
 * at once (Maestro's pending RESTART action on the running foreach); a subworkflow step gets a
 * new attempt in the same run (Maestro's DELEGATED step restart: the step must have ended and
 * not be complete, FAIL_AFTER_RUNNING — an async child's step, SUCCEEDED, refuses), which
 * re-runs the same child along the path; a running while refuses.
 */
import { PreconditionError } from '../core/errors.js';
import type { RestartNode, RestartPolicy } from '../core/instance/events.js';
import { isInlineWorkflowId } from '../core/instance/inline.js';
import { addRollup, emptyRollup } from '../core/instance/rollup.js';
import type { Rollup } from '../core/instance/state.js';
import type { InstanceView } from '../core/instance/view.js';
import { isWorkflowTerminal } from '../core/status.js';
import type { InstanceMessage } from './messages.js';

export interface RestartPathDeps {
  getInstance(workflowId: string, instanceId: number): Promise<InstanceView>;
  /** Sends a message to an instance; answers its view. */
  call(workflowId: string, instanceId: number, msg: InstanceMessage): Promise<InstanceView>;
  /** A new run of a non-inline instance (through its queue): RESTART_FROM_SPECIFIC from `stepId` with `path` below. */
  restartRoot(workflowId: string, instanceId: number, stepId: string, path: RestartNode[]): Promise<InstanceView>;
}

/** How many iteration views are read at once (the rollup before a while iteration). */
const READ_BATCH = 32;

/** A child its parent re-runs (Maestro's UpstreamInitiator): a loop iteration or a subworkflow child. */
export function isChildView(v: InstanceView): boolean {
  return v.parent !== undefined && (isInlineWorkflowId(v.workflowId) || v.initiator === 'SUBWORKFLOW' || v.initiator === 'FOREACH' || v.initiator === 'WHILE');
}

/** `stepId`: restart the child from that step (RESTART_FROM_SPECIFIC); else with `policy`. */
export async function restartThroughIterations(
  d: RestartPathDeps,
  workflowId: string,
  instanceId: number,
  policy: RestartPolicy,
  stepId?: string,
): Promise<InstanceView> {
  let v = await d.getInstance(workflowId, instanceId);
  const path: RestartNode[] = [];
  let levelPolicy = policy;
  let levelStep = stepId;
  while (isChildView(v)) {
    const p = v.parent!;
    const what = isInlineWorkflowId(v.workflowId) ? 'iteration' : 'subworkflow child';
    if (!isWorkflowTerminal(v.status)) throw new PreconditionError(`cannot restart ${what} ${v.workflowId}/${v.instanceId}: it is ${v.status}`);
    const node: RestartNode = { workflowId: v.workflowId, instanceId: v.instanceId, runId: v.runId, policy: levelPolicy, prior: { status: v.status, rollup: v.rollup } };
    if (levelStep !== undefined) node.stepId = levelStep;
    const isWhile = v.workflowId.startsWith('maestro_while_');
    const isForeach = v.workflowId.startsWith('maestro_foreach_');
    const parent = await d.getInstance(p.workflowId, p.instanceId);
    if (!isWorkflowTerminal(parent.status)) {
      if (isWhile) {
        throw new PreconditionError(
          `cannot restart ${workflowId}/${instanceId}: it is an iteration of while step ${p.stepId} of ${p.workflowId}/${p.instanceId}, which is ${parent.status}; a while loop's iteration runs again only with a restart of the loop once it ended`,
        );
      }
      if (!isForeach) {
        // Maestro's DELEGATED restart: a new attempt of the subworkflow step re-runs the same child along the path.
        await d.call(p.workflowId, p.instanceId, { type: 'StepAction', stepId: p.stepId, action: 'restart', path: [node, ...path] });
        return d.getInstance(workflowId, instanceId);
      }
      // A new run of the iteration, newer than its own and than the loop's (a kept iteration's run is older than the loop's).
      const loopRun = (parent.steps.find((s) => s.stepId === p.stepId)?.overview as { runId?: number } | undefined)?.runId ?? 0;
      const msg: InstanceMessage = { type: 'RestartIteration', stepId: p.stepId, iteration: v.instanceId, runId: Math.max(v.runId, loopRun) + 1, policy: node.policy, prior: node.prior };
      if (node.stepId !== undefined) msg.restartStepId = node.stepId;
      if (path.length > 0) msg.path = path;
      await d.call(p.workflowId, p.instanceId, msg);
      return d.getInstance(workflowId, instanceId);
    }
    if (isWhile) node.before = await rollupBefore(d, v.workflowId, v.instanceId);
    path.unshift(node);
    levelPolicy = 'RESTART_FROM_SPECIFIC';
    levelStep = p.stepId;
    v = parent;
  }
  if (path.length === 0) throw new PreconditionError(`${workflowId}/${instanceId} is not a loop iteration or subworkflow child`);
  await d.restartRoot(v.workflowId, v.instanceId, levelStep!, path);
  return d.getInstance(workflowId, instanceId);
}

/** Maestro's name for the walk (restartRecursively); the same function. */
export const restartThroughAncestors = restartThroughIterations;

/** The rollup of while iterations 1..k-1 as they ended (Maestro re-aggregates them on a restart from iteration k). */
async function rollupBefore(d: RestartPathDeps, loopWorkflowId: string, k: number): Promise<Rollup> {
  let sum = emptyRollup();
  for (let first = 1; first < k; first += READ_BATCH) {
    const ids: number[] = [];
    for (let i = first; i < Math.min(k, first + READ_BATCH); i++) ids.push(i);
    const views = await Promise.all(ids.map((i) => d.getInstance(loopWorkflowId, i)));
    for (const w of views) sum = addRollup(sum, w.rollup);
  }
  return sum;
}
