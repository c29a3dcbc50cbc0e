/**
 * The instance state machine: `applyEvent(state, event, seq, ctx) -> { state, commands, decisions }`.
 * Pure: no I/O, no clock, no Math.random — times come from the event, ids from the context (and
 * are recorded). The actor calls it *before* journaling: an event it throws on (an action not
 * allowed now, bad run params) is refused and never written. What the machine decides while
 * applying an event (params, conditions, runtime verdicts, timeouts, retries, ids) is returned
 * as `decisions` and journaled with it; replay passes them back (`recorded`) and the machine
 * folds them instead of deciding again (decisions.ts). `resumeCommands` then re-issues what a
 * crash may have lost (dispatches of running attempts, timers).
 */
import { PreconditionError, ValidationError, assertNever } from '../errors.js';
import { isStepFailed, isWorkflowTerminal } from '../status.js';
import { resolveWorkflowParams } from '../params/index.js';
import type { InstanceEvent, RestartNode, RestartPolicy } from './events.js';
import type { InstanceCommand } from './commands.js';
import type { InstanceState } from './state.js';
import { Transition, currentAttempt, taskOf, type MachineContext } from './transition.js';
import {
  advance,
  isActive,
  isDone,
  newStepState,
  onOutputs,
  onResult,
  onRetryTimer,
  onStepTimeout,
  terminateActiveSteps,
  endComposite,
  onPermitGranted,
  permitResume,
  evaluateAndStart,
  succeedStep,
} from './steps.js';
import { onSignalAnnounced, onSignalMatched, signalResume, triggerSignalContext } from './signals.js';
import type { Decision } from './decisions.js';
import type { RunSummary, StepState } from './state.js';
import { applyUnblocked } from './raw-status.js';
import { compositeResume, onChildEvent } from './composite.js';
import { restartIteration } from './foreach.js';
import { DEPTH_PERMIT_STEP, depthPermitResume, holdForDepthPermit, onDepthPermitGranted } from './depth-cap.js';
import { applyStepAction, checkRestartable, planRestart } from './actions.js';
import { aggregatedStatus, baselineOf } from './aggregate.js';

export type { MachineContext } from './transition.js';

export interface Applied {
  state: InstanceState;
  commands: InstanceCommand[];
  /** What the machine decided applying the event: journal them with it. */
  decisions: Decision[];
}

/** `recorded`: replay — fold these decisions (journaled with the event) instead of deciding. */
export function applyEvent(prev: InstanceState | undefined, ev: InstanceEvent, seq: number, ctx: MachineContext, recorded?: readonly Decision[]): Applied {
  if (ev.t === 'started') {
    if (prev) throw new PreconditionError(`instance ${prev.workflowId}/${prev.instanceId} already started`);
    return start(ev, seq, ctx, recorded);
  }
  if (!prev) throw new PreconditionError(`event ${ev.t} for an instance that was never started`);
  const t = new Transition(prev, ev.atMs, seq, ctx, recorded);
  switch (ev.t) {
    case 'result':
      onResult(t, ev.stepId, ev.attempt, ev.result);
      break;
    case 'timer':
      onTimer(t, ev.timerId);
      break;
    case 'outputs':
      onOutputs(t, ev.stepId, ev.outputs);
      break;
    case 'stop':
    case 'kill':
      terminate(t, ev.t, ev.reason);
      break;
    case 'restart':
      restart(t, ev.policy, ev.runParams, ev.stepId, false, ev.runId, ev.path);
      if (ev.parent) t.s.parent = ev.parent; // re-run by its parent: report to the parent's current run and attempt
      if (!holdOrEnd(t, ev) && !holdForDepthPermit(t)) {
        beginRun(t);
        advance(t, true);
      }
      break;
    case 'run':
      if (t.s.status !== 'CREATED') throw new PreconditionError(`cannot run instance ${t.key}: it is ${t.s.status}, not a queued CREATED run`);
      if (t.s.depthPermit) break; // already waiting for its depth permit (depth-cap.ts)
      if (holdForDepthPermit(t)) break;
      beginRun(t);
      advance(t, true);
      break;
    case 'step-action': {
      const run = applyStepAction(t, ev);
      if (run) {
        restart(t, 'RESTART_FROM_SPECIFIC', undefined, run.stepId, run.skip, undefined, ev.path);
        if (holdForDepthPermit(t)) break;
        beginRun(t);
        advance(t, true);
      }
      break;
    }
    case 'redispatch': {
      const ids = new Set(ev.attemptIds);
      for (const st of Object.values(t.s.steps)) {
        const c = ids.has(currentAttempt(st)?.attemptId ?? '') ? dispatchOf(t.s, t.ctx, st) : undefined;
        if (c) t.commands.push(c);
      }
      break;
    }
    case 'permit-granted':
      if (ev.stepId !== DEPTH_PERMIT_STEP) onPermitGranted(t, ev.stepId, ev.attempt);
      else if (onDepthPermitGranted(t, ev.attempt)) {
        beginRun(t);
        advance(t, true);
      }
      break;
    case 'child-started':
    case 'child-ended':
    case 'child-failed':
      onChildEvent(t, ev, endComposite);
      break;
    case 'iteration-restart':
      restartIteration(t, ev);
      break;
    case 'unblocked':
      applyUnblocked(t);
      break;
    case 'signal-matched':
      onSignalMatched(t, ev, evaluateAndStart);
      break;
    case 'signal-announced':
      onSignalAnnounced(t, ev, succeedStep);
      break;
    default:
      assertNever(ev, 'instance event');
  }
  advance(t);
  complete(t);
  return t.finish();
}

function start(ev: Extract<InstanceEvent, { t: 'started' }>, seq: number, ctx: MachineContext, recorded?: readonly Decision[]): Applied {
  const blank: InstanceState = {
    workflowId: ev.workflowId,
    instanceId: ev.instanceId,
    version: ev.version,
    runId: ev.runId ?? 1,
    uuid: '',
    status: 'CREATED',
    runPolicy: 'START_FRESH_NEW_RUN',
    requestId: ev.requestId,
    initiator: ev.initiator,
    runParams: ev.runParams,
    params: {},
    steps: {},
    timers: {},
    createdAtMs: ev.atMs,
    runs: [],
    seq,
  };
  if (ev.parent) blank.parent = ev.parent;
  if (ev.source) blank.source = ev.source;
  if (ev.depth) blank.depth = ev.depth;
  if (ev.correlationId) blank.correlationId = ev.correlationId;
  if (ev.instanceStepConcurrency !== undefined) blank.instanceStepConcurrency = ev.instanceStepConcurrency;
  if (ev.permits) blank.permits = true;
  if (ev.trigger) blank.trigger = ev.trigger;
  const t = new Transition(blank, ev.atMs, seq, ctx, recorded);
  t.s.uuid = t.uuid();
  // Recorded when set (journals from before it was read fold as they ran: DSL_DEFAULT_TZ in UTC).
  const firstTz = ctx.def.request.workflow.timeTriggers[0]?.timezone;
  if (t.decideFlag('firstTz', () => firstTz !== undefined)) t.s.firstTimeTriggerTimezone = firstTz;
  const signals = triggerSignalContext(t.s);
  t.s.params = t.decideIfSel('params', () =>
    resolveWorkflowParams(ctx.def.request.workflow.params, ev.runParams, { env: t.env(), system: t.system(), ...(signals ? { signals } : {}) }),
  );
  if (holdOrEnd(t, ev) || holdForDepthPermit(t)) return t.finish();
  t.s.startedAtMs = ev.atMs;
  beginRun(t);
  advance(t, true);
  complete(t);
  return t.finish();
}

/**
 * A run its queue holds back (stays CREATED until a `run` event) or ends at once (created
 * STOPPED/FAILED, start = end = now, Maestro's timeline reason as the error). True when so.
 */
function holdOrEnd(t: Transition, ev: { hold?: boolean; ended?: { status: 'STOPPED' | 'FAILED'; reason: string } }): boolean {
  if (ev.ended) {
    t.s.startedAtMs = t.atMs;
    t.s.endedAtMs = t.atMs;
    t.setWorkflowStatus(ev.ended.status, ev.ended.reason);
    t.commands.push({ c: 'finished' }); // a subworkflow child created STOPPED tells its parent
    return true;
  }
  if (!ev.hold) return false;
  t.s.startedAtMs = undefined;
  t.s.endedAtMs = undefined;
  t.s.error = undefined;
  t.setWorkflowStatus('CREATED');
  return true;
}

function beginRun(t: Transition): void {
  t.anyTerminal = true; // a run that begins may already be complete (e.g. a restart with nothing left)
  t.s.startedAtMs = t.atMs;
  t.s.endedAtMs = undefined;
  t.s.error = undefined;
  for (const id of t.ctx.def.order) t.s.steps[id] ??= newStepState(id);
  t.setWorkflowStatus('IN_PROGRESS');
  const timeout = t.ctx.def.request.workflow.timeout;
  if (timeout !== undefined) {
    const ms = t.decide('timeout', () => t.durationMs(timeout, 'workflow.timeout'));
    if (ms !== undefined) t.setTimer('workflow-timeout', 'workflow-timeout', t.atMs + ms);
  }
}

function onTimer(t: Transition, timerId: string): void {
  const timer = t.s.timers[timerId];
  if (!timer) return; // cleared before it fired: nothing to do
  t.clearTimer(timerId);
  switch (timer.kind) {
    case 'retry':
      onRetryTimer(t, timer.stepId!);
      break;
    case 'step-timeout':
      onStepTimeout(t, timer.stepId!, timer.attempt!);
      break;
    case 'workflow-timeout':
      if (t.s.status !== 'IN_PROGRESS') return;
      terminateActiveSteps(t, 'TIMED_OUT');
      finishRun(t, 'TIMED_OUT', 'workflow timed out');
      break;
    default:
      assertNever(timer.kind, 'timer kind');
  }
}

function terminate(t: Transition, action: 'stop' | 'kill', reason?: string): void {
  if (isWorkflowTerminal(t.s.status)) {
    throw new PreconditionError(`cannot ${action} instance ${t.key}: it is already ${t.s.status}`);
  }
  terminateActiveSteps(t, 'STOPPED');
  finishRun(t, action === 'stop' ? 'STOPPED' : 'FAILED', reason ?? (action === 'stop' ? 'stopped by user' : 'killed by user'));
}

/**
 * A new run of a terminal instance (actions.ts plans which steps re-run). `stepId`: the restart
 * step of RESTART_FROM_SPECIFIC; `skip`: it is skipped instead of run (a skip of a terminal step).
 * `runId`: the new run's id (a loop iteration re-runs as its loop's run); default the next one.
 */
function restart(t: Transition, policy: RestartPolicy, runParams?: Record<string, unknown>, stepId?: string, skip = false, runId?: number, path?: RestartNode[]): void {
  const s = t.s;
  if (!isWorkflowTerminal(s.status)) {
    throw new PreconditionError(`cannot restart instance ${t.key}: it is ${s.status}; stop it first`);
  }
  if (runId !== undefined && runId <= s.runId) throw new PreconditionError(`cannot restart instance ${t.key} as run ${runId}: it is at run ${s.runId}`);
  if (policy === 'RESTART_FROM_SPECIFIC') {
    if (stepId === undefined) throw new ValidationError('restart_step_id', 'is required with RESTART_FROM_SPECIFIC');
    if (!skip) checkRestartable(t, stepId);
  } else if (stepId !== undefined) {
    throw new ValidationError('restart_step_id', `is only taken with RESTART_FROM_SPECIFIC, not ${policy}`);
  }
  if (path && path.length > 0) checkRestartPath(t, policy, stepId, path);
  const plan = planRestart(s, t.ctx.def, policy, stepId);
  s.aggregated = baselineOf(s, t.ctx.def);
  const ended: RunSummary = { runId: s.runId, status: s.runStatus ?? s.status, startedAtMs: s.startedAtMs, endedAtMs: s.endedAtMs };
  if (s.unblocked) ended.unblocked = true; // raw FAILED_1 stays FAILED_1; a FAILED run restarted is raw FAILED_2
  delete s.unblocked;
  s.runs = [...s.runs, ended];
  s.runId = runId ?? s.runId + 1;
  s.runPolicy = policy;
  delete s.runStatus;
  delete s.skipSteps;
  delete s.restartPath;
  if (skip) s.skipSteps = [stepId!];
  if (path && path.length > 0) s.restartPath = path;
  if (plan.carried.length > 0) s.carried = plan.carried;
  else delete s.carried;
  const previous = s.params;
  for (const id of plan.reset) {
    const fresh = newStepState(id);
    const loop = s.steps[id]?.loop;
    if (loop) fresh.loop = loop; // what a foreach/while/subworkflow restart continues from
    const deps = s.steps[id]?.signalDependencies;
    if (deps) fresh.signalDependencies = deps; // restarted runs keep matched dependencies (signals.ts)
    s.steps[id] = fresh;
  }
  s.startedAtMs = t.atMs;
  const signals = triggerSignalContext(s);
  s.params = t.decideIfSel('params', () =>
    resolveWorkflowParams(t.ctx.def.request.workflow.params, s.runParams, {
      env: t.env(),
      system: t.system(),
      restart: { previous, restartParams: runParams },
      ...(signals ? { signals } : {}),
    }),
  );
}

/** A restart path goes through the restart step, which must be a loop or subworkflow step, and ends with a step or a policy. */
function checkRestartPath(t: Transition, policy: RestartPolicy, stepId: string | undefined, path: RestartNode[]): void {
  if (policy !== 'RESTART_FROM_SPECIFIC') throw new ValidationError('restart_path', `is only taken with RESTART_FROM_SPECIFIC, not ${policy}`);
  const kind = t.ctx.def.steps.get(stepId!)?.step.kind;
  if (kind !== 'foreach' && kind !== 'while' && kind !== 'subworkflow') {
    throw new ValidationError('restart_path', `goes through step ${stepId} of ${t.key}, which is not a foreach, while or subworkflow step`);
  }
  path.forEach((n, i) => {
    if (n.policy === 'RESTART_FROM_SPECIFIC' && n.stepId === undefined) throw new ValidationError(`restart_path[${i}].step_id`, 'is required with RESTART_FROM_SPECIFIC');
    if (n.policy !== 'RESTART_FROM_SPECIFIC' && n.stepId !== undefined) throw new ValidationError(`restart_path[${i}].step_id`, `is only taken with RESTART_FROM_SPECIFIC, not ${n.policy}`);
    if (i < path.length - 1 && n.policy !== 'RESTART_FROM_SPECIFIC') throw new ValidationError(`restart_path[${i}].policy`, 'must be RESTART_FROM_SPECIFIC above the end of the path');
  });
}

function finishRun(t: Transition, status: 'SUCCEEDED' | 'FAILED' | 'STOPPED' | 'TIMED_OUT', error?: string): void {
  t.s.endedAtMs = t.atMs;
  for (const id of Object.keys(t.s.timers)) t.clearTimer(id);
  const aggregated = aggregatedStatus(t.s, t.ctx.def, status);
  if (aggregated !== status) {
    t.s.runStatus = status; // Maestro's runtime_overview.run_status; the instance shows the aggregate
    error = `run ${t.s.runId} ${status}; over all runs the instance is ${aggregated}`;
  }
  t.setWorkflowStatus(aggregated, error);
  t.commands.push({ c: 'finished' });
}

/** Ends the run when no step is active and none can start any more (only possible once a step ended). */
function complete(t: Transition): void {
  if (t.s.status !== 'IN_PROGRESS' || !t.anyTerminal) return;
  const failed: string[] = [];
  for (const st of Object.values(t.s.steps)) {
    if (isActive(st) || (isStepFailed(st.status) && !isDone(t, st))) return;
    if (st.status === 'NOT_CREATED' && !blockedForever(t, st.stepId)) return;
    if (isStepFailed(st.status)) failed.push(st.stepId);
  }
  if (failed.length === 0) return finishRun(t, 'SUCCEEDED');
  // Steps only end STOPPED or TIMED_OUT mid-run through step actions: a run whose only failures
  // are those ends STOPPED (or TIMED_OUT), as Maestro's status precedence has it.
  const worst = failed.find((id) => !END_ONLY.has(t.s.steps[id]!.status)) ?? failed.find((id) => t.s.steps[id]!.status === 'TIMED_OUT') ?? failed[0]!;
  const first = t.s.steps[worst]!;
  const runStatus = first.status === 'STOPPED' ? 'STOPPED' : first.status === 'TIMED_OUT' ? 'TIMED_OUT' : 'FAILED';
  finishRun(t, runStatus, `step ${first.stepId} ended ${first.status}${currentAttempt(first)?.error ? `: ${currentAttempt(first)!.error}` : ''}`);
}

const END_ONLY: ReadonlySet<string> = new Set(['STOPPED', 'TIMED_OUT']);

/** A NOT_CREATED step that can never start: some ancestor failed. */
function blockedForever(t: Transition, id: string): boolean {
  const cs = t.ctx.def.steps.get(id)!;
  return cs.incoming.some((e) => {
    const p = t.s.steps[e.from]!;
    return (isStepFailed(p.status) && isDone(t, p)) || (p.status === 'NOT_CREATED' && blockedForever(t, e.from));
  });
}

/** What to re-issue after recovery: dispatches of running attempts, pending timers, children, permit requests. */
export function resumeCommands(s: InstanceState, ctx: MachineContext): InstanceCommand[] {
  const out: InstanceCommand[] = [];
  for (const st of Object.values(s.steps)) {
    const c = dispatchOf(s, ctx, st);
    if (c) out.push(c);
  }
  for (const timer of Object.values(s.timers)) out.push({ c: 'set-timer', timerId: timer.timerId, atMs: timer.atMs });
  for (const c of compositeResume(s, ctx.def)) out.push(c);
  for (const c of permitResume(s, ctx)) out.push(c);
  for (const c of depthPermitResume(s)) out.push(c);
  for (const c of signalResume(s)) out.push(c);
  return out;
}

/** The dispatch of the step's current attempt, if it is running. */
function dispatchOf(s: InstanceState, ctx: MachineContext, st: StepState): InstanceCommand | undefined {
  const a = currentAttempt(st);
  const def = ctx.def.steps.get(st.stepId)?.step;
  if (st.status !== 'RUNNING' || !a || !def || def.kind !== 'step') return undefined;
  const timer = s.timers[`step-timeout:${st.stepId}`];
  const startedAtMs = a.startedAtMs ?? a.createdAtMs;
  const task = taskOf(s, st, a, def, startedAtMs, timer ? timer.atMs - startedAtMs : undefined);
  return { c: 'dispatch', task };
}
