/**
 * Step actions on the latest run [Maestro Actions.STEP_INSTANCE_STATUS_TO_ACTION_MAP,
 * StepInstanceActionHandler, MaestroStepInstanceActionDao]: stop, kill, skip, bypass of signal
 * dependencies, resume of a paused attempt, restart of a step; and the plan of a restart run
 * (which steps re-run, which are carried over).
 *
 * Every action is allowed only in the step statuses of Maestro's table (STEP_ACTIONS); otherwise
 * a PreconditionError names the status and the actions it allows. Actions apply at once, inside
 * the one event that carries them (the actor applies events one at a time), so there is never an
 * action pending on a step and no second one to refuse.
 *
 * One deliberate reading: this engine leaves a step that used up its retries in USER_FAILED /
 * PLATFORM_FAILED / TIMEOUT_FAILED (Maestro moves it to FATALLY_FAILED). For actions such a step
 * counts as FATALLY_FAILED, so it can be restarted and skipped as Maestro's would.
 */
import { PreconditionError, ValidationError, assertNever } from '../errors.js';
import { isStepActive, isStepTerminal, isWorkflowTerminal, isStepComplete, type StepStatus } from '../status.js';
import type { InstanceEvent, RestartNode, RestartPolicy, StepActionKind } from './events.js';
import type { CompiledWorkflow } from './compiled.js';
import type { InstanceState, IterationRestart } from './state.js';
import { currentAttempt, type Transition } from './transition.js';
import { continueAttempt, endAttempt, evaluateAndStart, startAttempt } from './steps.js';
import { endStepAs } from './hold.js';
import { stopChildren } from './composite.js';
import { bypassSignals } from './signals.js';

export type MaestroStepAction = 'PAUSE' | 'RESUME' | 'STOP' | 'KILL' | 'SKIP' | 'BYPASS_STEP_DEPENDENCIES' | 'RESTART';

const RUNNING_LIKE: readonly MaestroStepAction[] = ['STOP', 'KILL', 'SKIP'];
const DONE_LIKE: readonly MaestroStepAction[] = ['RESTART', 'SKIP'];

/** Maestro's table, status by status (NOT_CREATED: none). */
export const STEP_ACTIONS: Readonly<Record<StepStatus, readonly MaestroStepAction[]>> = {
  NOT_CREATED: [],
  CREATED: ['PAUSE', 'STOP', 'KILL'],
  INITIALIZED: ['PAUSE', 'STOP', 'KILL', 'SKIP'],
  PAUSED: ['RESUME', 'STOP', 'KILL', 'SKIP'],
  WAITING_FOR_SIGNALS: ['STOP', 'KILL', 'SKIP', 'BYPASS_STEP_DEPENDENCIES'],
  EVALUATING_PARAMS: RUNNING_LIKE,
  WAITING_FOR_PERMITS: RUNNING_LIKE,
  STARTING: RUNNING_LIKE,
  RUNNING: RUNNING_LIKE,
  FINISHING: RUNNING_LIKE,
  USER_FAILED: RUNNING_LIKE,
  PLATFORM_FAILED: RUNNING_LIKE,
  TIMEOUT_FAILED: RUNNING_LIKE,
  DISABLED: ['RESTART'],
  UNSATISFIED: ['RESTART'],
  SKIPPED: DONE_LIKE,
  SUCCEEDED: DONE_LIKE,
  COMPLETED_WITH_ERROR: DONE_LIKE,
  FATALLY_FAILED: DONE_LIKE,
  INTERNALLY_FAILED: DONE_LIKE,
  STOPPED: DONE_LIKE,
  TIMED_OUT: DONE_LIKE,
};

const MAESTRO_NAME = {
  stop: 'STOP',
  kill: 'KILL',
  skip: 'SKIP',
  bypass: 'BYPASS_STEP_DEPENDENCIES',
  restart: 'RESTART',
  resume: 'RESUME',
} as const;

/** The actions of this engine (StepActionKind) Maestro's table allows in `status` (PAUSE has none: breakpoints pause). */
export function allowedStepActions(status: StepStatus): StepActionKind[] {
  const kinds = Object.keys(MAESTRO_NAME) as StepActionKind[];
  return STEP_ACTIONS[status].flatMap((name) => kinds.filter((k) => MAESTRO_NAME[k] === name)); // in the table's order
}

const RETRYABLE: ReadonlySet<StepStatus> = new Set(['USER_FAILED', 'PLATFORM_FAILED', 'TIMEOUT_FAILED']);

/** Maestro's `isComplete` (UNSATISFIED included, unlike the DAG's isStepComplete). */
export function isMaestroComplete(s: StepStatus): boolean {
  return isStepComplete(s) || s === 'UNSATISFIED';
}

/** A retry of the step is pending (its retry timer is armed). */
function retryPending(s: InstanceState, id: string): boolean {
  return s.timers[`retry:${id}`] !== undefined;
}

/** The status actions see: a retryable failure with no retry left counts as FATALLY_FAILED. */
export function actionStatus(s: InstanceState, id: string): StepStatus {
  const st = s.steps[id];
  if (!st) return 'NOT_CREATED';
  return RETRYABLE.has(st.status) && !retryPending(s, id) ? 'FATALLY_FAILED' : st.status;
}

/** Refuses `action` unless the table allows it in the step's status. */
function checkAllowed(t: Transition, id: string, action: MaestroStepAction, status = actionStatus(t.s, id)): void {
  const allowed = STEP_ACTIONS[status];
  if (allowed.includes(action)) return;
  const real = t.s.steps[id]?.status ?? 'NOT_CREATED';
  const shown = real === status ? status : `${real} with no retry left (as FATALLY_FAILED)`;
  const list = allowed.length > 0 ? `allowed there: ${allowed.join(', ')}` : 'no action is allowed there';
  throw new PreconditionError(`cannot ${action} step ${id} of ${t.key} (run ${t.s.runId}): it is ${shown}; ${list}`);
}

/** A step restart that starts a new run: the machine runs it as a RESTART_FROM_SPECIFIC restart. */
export interface RestartRun {
  stepId: string;
  skip: boolean;
}

/** Applies a step action; returns the new run to start when the action needs one. */
export function applyStepAction(t: Transition, ev: Extract<InstanceEvent, { t: 'step-action' }>): RestartRun | undefined {
  const id = ev.stepId;
  if (!t.ctx.def.steps.has(id)) throw new ValidationError('step_id', `workflow ${t.s.workflowId} has no step ${JSON.stringify(id)}`);
  const reason = ev.reason;
  switch (ev.action) {
    case 'stop':
    case 'kill': {
      const action = MAESTRO_NAME[ev.action];
      if (isWorkflowTerminal(t.s.status)) {
        throw new PreconditionError(`cannot ${action} step ${id}: instance ${t.key} is already ${t.s.status}`);
      }
      checkAllowed(t, id, action);
      const by = reason ?? `${ev.action === 'stop' ? 'stopped' : 'killed'} by user`;
      terminateStep(t, id, ev.action === 'stop' ? 'STOPPED' : 'FATALLY_FAILED', by);
      return undefined;
    }
    case 'skip': {
      const status = actionStatus(t.s, id);
      if (status === 'NOT_CREATED') throw new PreconditionError(`cannot SKIP step ${id} of ${t.key} before it is created; try again later`);
      checkAllowed(t, id, 'SKIP', status);
      const st = t.s.steps[id]!;
      if (!isWorkflowTerminal(t.s.status) && (isStepActive(st.status) || (RETRYABLE.has(st.status) && retryPending(t.s, id)))) {
        terminateStep(t, id, 'SKIPPED', reason ?? 'skipped by user');
        return undefined;
      }
      return restartStep(t, id, true);
    }
    case 'bypass': {
      checkAllowed(t, id, 'BYPASS_STEP_DEPENDENCIES');
      bypassSignals(t, id, reason);
      evaluateAndStart(t, id);
      return undefined;
    }
    case 'resume': {
      checkAllowed(t, id, 'RESUME');
      const a = currentAttempt(t.s.steps[id]!)!;
      if (ev.attempt !== undefined && ev.attempt !== a.attempt) {
        throw new PreconditionError(`cannot RESUME attempt ${ev.attempt} of step ${id} of ${t.key}: the paused attempt is ${a.attempt}`);
      }
      continueAttempt(t, id);
      return undefined;
    }
    case 'restart':
      checkRestartable(t, id);
      if (ev.path && ev.path.length > 0 && t.definition(id).kind !== 'subworkflow') {
        throw new ValidationError('restart_path', `goes through step ${id} of ${t.key}, which is not a subworkflow step`);
      }
      return restartStep(t, id, false, ev.path);
    default:
      return assertNever(ev.action, 'step action');
  }
}

/** A step restart needs a created step in a status that allows RESTART. */
export function checkRestartable(t: Transition, id: string): void {
  if (!t.ctx.def.steps.has(id)) throw new ValidationError('restart_step_id', `workflow ${t.s.workflowId} has no step ${JSON.stringify(id)}`);
  const status = actionStatus(t.s, id);
  if (status === 'NOT_CREATED') {
    throw new PreconditionError(`cannot RESTART step ${id} of ${t.key}: it does not exist in run ${t.s.runId} (not started, or reset by a restart)`);
  }
  checkAllowed(t, id, 'RESTART', status);
}

/**
 * Restart (or skip, for a terminal step) of a step: a new attempt while the run goes on, which
 * needs the step terminal and not complete, with no retry pending and failure_mode
 * FAIL_AFTER_RUNNING; once the run ended, a new RESTART_FROM_SPECIFIC run (returned).
 */
function restartStep(t: Transition, id: string, skip: boolean, path?: RestartNode[]): RestartRun | undefined {
  if (isWorkflowTerminal(t.s.status)) return { stepId: id, skip };
  const action = skip ? 'SKIP' : 'RESTART';
  const real = t.s.steps[id]!.status;
  if (!isStepTerminal(real) || isMaestroComplete(real)) {
    throw new PreconditionError(`cannot ${action} step ${id} of ${t.key}: it is ${real} (non-terminal or complete) while the instance is still ${t.s.status}`);
  }
  if (retryPending(t.s, id)) throw new PreconditionError(`cannot ${action} step ${id} of ${t.key}: a retry is still pending (${real})`);
  const mode = t.definition(id).failureMode ?? 'FAIL_AFTER_RUNNING';
  if (mode !== 'FAIL_AFTER_RUNNING') {
    throw new PreconditionError(`cannot ${action} step ${id} of ${t.key} while the instance runs: its failure_mode is ${mode}, not FAIL_AFTER_RUNNING`);
  }
  if (skip) t.s.skipSteps = [...(t.s.skipSteps ?? []), id];
  if (path && path.length > 0) markPending(t, id, path);
  startAttempt(t, id);
  return undefined;
}

/**
 * A subworkflow step restarted while the instance runs, on a restart path (its child's restart
 * walked up, restart-path.ts): the next attempt re-runs the same child as the path's first
 * level says (composite.ts startSubworkflow takes it).
 */
function markPending(t: Transition, id: string, path: RestartNode[]): void {
  const st = t.step(id);
  const loop = st.loop;
  const node = path[0]!;
  if (loop?.kind !== 'subworkflow' || loop.instanceId === undefined) {
    throw new PreconditionError(`cannot restart step ${id} of ${t.key} along a restart path: it has no subworkflow child to restart`);
  }
  if (loop.workflowId !== node.workflowId || loop.instanceId !== node.instanceId) {
    throw new ValidationError('restart_path[0]', `names ${node.workflowId}/${node.instanceId}, but step ${id} of ${t.key} ran child ${loop.workflowId}/${loop.instanceId}`);
  }
  path.forEach((n, i) => {
    if (n.policy === 'RESTART_FROM_SPECIFIC' && n.stepId === undefined) throw new ValidationError(`restart_path[${i}].step_id`, 'is required with RESTART_FROM_SPECIFIC');
    if (n.policy !== 'RESTART_FROM_SPECIFIC' && n.stepId !== undefined) throw new ValidationError(`restart_path[${i}].step_id`, `is only taken with RESTART_FROM_SPECIFIC, not ${n.policy}`);
    if (i < path.length - 1 && n.policy !== 'RESTART_FROM_SPECIFIC') throw new ValidationError(`restart_path[${i}].policy`, 'must be RESTART_FROM_SPECIFIC above the end of the path');
  });
  const pending: IterationRestart = { runId: Math.max(loop.runId ?? 1, node.runId) + 1, policy: node.policy };
  if (node.stepId !== undefined) pending.stepId = node.stepId;
  if (path.length > 1) pending.path = path.slice(1);
  st.loop = { ...loop, pending };
}

/**
 * Ends a step by a user's action: STOPPED (stop), FATALLY_FAILED with the step's failure_mode
 * applied (kill), SKIPPED (skip: complete, successors evaluate). The running attempt is
 * cancelled and the step's timers dropped. Steps of other kinds (foreach, while, subworkflow)
 * come through here too: their sync children are stopped (composite.ts).
 */
export function terminateStep(t: Transition, id: string, status: 'STOPPED' | 'FATALLY_FAILED' | 'SKIPPED', reason: string): void {
  const st = t.s.steps[id]!;
  const a = currentAttempt(st);
  if (st.status === 'RUNNING' && a) {
    // A foreach/while/subworkflow step stops its sync children (ancestor actions become STOPPED
    // in descendants, Maestro's rule); a leaf step's running attempt is cancelled.
    const stop = st.loop ? stopChildren(st, `step ${id} of ${t.key}: ${reason}`) : undefined;
    if (stop) t.commands.push(stop);
    else if (!st.loop) t.commands.push({ c: 'cancel', attemptId: a.attemptId });
  }
  t.clearTimer(`step-timeout:${id}`);
  t.clearTimer(`retry:${id}`);
  if (status === 'FATALLY_FAILED') endAttempt(t, id, 'FATALLY_FAILED', reason);
  else endStepAs(t, id, status, reason);
}

/** What a restart run does with each step: re-run (reset) or carry over unchanged. */
export interface RestartPlan {
  reset: Set<string>;
  carried: string[];
}

/**
 * RESTART_FROM_BEGINNING re-runs everything. RESTART_FROM_INCOMPLETE re-runs every step that is
 * not complete (as this engine always did). RESTART_FROM_SPECIFIC [Maestro DagTranslator]: the
 * start steps are every step terminal-and-not-complete or NOT_CREATED, plus `stepId`; the run's
 * DAG is them and everything downstream; the rest is carried over (their outputs stay visible).
 */
export function planRestart(s: InstanceState, def: CompiledWorkflow, policy: RestartPolicy, stepId?: string): RestartPlan {
  const reset = new Set<string>();
  if (policy === 'RESTART_FROM_BEGINNING') {
    for (const id of def.order) reset.add(id);
  } else if (policy === 'RESTART_FROM_INCOMPLETE') {
    for (const id of def.order) {
      const st = s.steps[id];
      if (st === undefined || !isStepComplete(st.status)) reset.add(id);
    }
  } else {
    const queue: string[] = [];
    for (const id of def.order) {
      const status = s.steps[id]?.status ?? 'NOT_CREATED';
      if (id === stepId || status === 'NOT_CREATED' || (isStepTerminal(status) && !isMaestroComplete(status))) queue.push(id);
    }
    while (queue.length > 0) {
      const id = queue.pop()!;
      if (reset.has(id)) continue;
      reset.add(id);
      for (const e of def.steps.get(id)!.outgoing) if (!reset.has(e.to)) queue.push(e.to);
    }
  }
  return { reset, carried: def.order.filter((id) => !reset.has(id)) };
}
