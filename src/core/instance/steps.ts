/**
 * The step lifecycle inside a run: which steps are ready (join semantics), starting an attempt
 * (CREATED -> ... -> RUNNING and a dispatch), results, retries and failure modes.
 *
 * Join: a step waits until every predecessor is done. It runs if at least one incoming edge
 * from a completed predecessor has a true condition; if none has, it is UNSATISFIED (and its
 * own outgoing edges count as false). A failed predecessor (not ignored) blocks it: it stays
 * NOT_CREATED and the run ends FAILED once nothing else is running.
 */
import { isStepActive, isStepComplete, isStepFailed, isStepTerminal, type StepStatus } from '../status.js';
import { retryLimit, backoffMs, type RetryKind } from './retry.js';
import { attemptIdOf, currentAttempt, scopeFor, taskOf, DEFAULT_INSTANCE_STEP_CONCURRENCY, type Transition, instanceStepConcurrencyOf } from './transition.js';
import { evaluateCondition, resolveStepParams, mergeOutputs } from '../params/index.js';
import type { StepResult } from '../step-runtime.js';
import type { InstanceState, StepState } from './state.js';
import type { Step } from '../definition/model.js';
import type { InstanceCommand } from './commands.js';
import type { MachineContext } from './transition.js';
import { stepPermitTags } from '../permits/tags.js';
import { depthPermitStatus } from './depth-cap.js';
import { MAESTRO_TAG_PREFIX, type PermitTag } from '../permits/model.js';
import { MaestroError, PreconditionError, ValidationError } from '../errors.js';
import { compositeExtensions, startComposite, stopChildren } from './composite.js';
import { correlationOf } from './composite-launch.js';
import { holdAtInitialized, runtimeIncoming } from './hold.js';
import { announceSignals, signalContextOf, waitForSignals } from './signals.js';


export function isActive(st: StepState): boolean {
  return isStepActive(st.status);
}

/** Shared by every step that has not retried (retries are replaced, never changed in place). */
const NO_RETRIES = Object.freeze({ user: 0, platform: 0, timeout: 0 });

export function newStepState(stepId: string): StepState {
  return { stepId, status: 'NOT_CREATED', attempts: [], retries: NO_RETRIES, params: {} };
}

/** A step is done when it is terminal and no retry is pending for it. */
export function isDone(t: Transition, st: StepState): boolean {
  return isStepTerminal(st.status) && !t.s.timers[`retry:${st.stepId}`];
}

/**
 * Starts every step that became ready, until nothing changes. With `all` every step is looked
 * at (a run begins); otherwise only the steps whose readiness may have changed: successors of
 * steps that ended and, when a permit freed, the steps waiting for one. Definition order decides
 * which of them starts first.
 */
export function advance(t: Transition, all = false): void {
  if (t.s.status !== 'IN_PROGRESS') return;
  const steps = t.ctx.def.steps;
  let ids: readonly string[] = all ? t.ctx.def.order : inOrder(t.takeDirty(), steps);
  while (ids.length > 0) {
    for (const id of ids) {
      const st = t.s.steps[id]!;
      if (st.status === 'WAITING_FOR_PERMITS') {
        // without tag permits, or waiting for an instance-local permit (no manager holder)
        if ((!t.s.permits || !st.permit) && hasPermit(t)) dispatchAttempt(t, id);
        continue;
      }
      if (st.status !== 'NOT_CREATED') continue;
      const verdict = readiness(t, id);
      if (verdict === 'wait' || verdict === 'blocked') continue;
      if (verdict === 'unsatisfied') t.setStepStatus(id, 'UNSATISFIED');
      else if (verdict === 'run') startAttempt(t, id);
      else failBeforeStart(t, id, verdict.error);
    }
    if (t.s.status !== 'IN_PROGRESS') return;
    ids = inOrder(t.takeDirty(), steps);
  }
}

function inOrder(ids: Set<string>, steps: ReadonlyMap<string, { index: number }>): string[] {
  const out = [...ids];
  if (out.length > 1) out.sort((a, b) => steps.get(a)!.index - steps.get(b)!.index);
  return out;
}

/**
 * An incoming edge's condition that fails to evaluate (e.g. a param that does not exist at run
 * time) fails the step it leads to, with the error; it must not refuse the predecessor's result
 * (that would leave the predecessor RUNNING for ever).
 */
function readiness(t: Transition, id: string): 'wait' | 'blocked' | 'run' | 'unsatisfied' | { error: string } {
  const incoming = runtimeIncoming(t, id);
  if (incoming.length === 0) return 'run';
  let satisfied = false;
  for (const edge of incoming) {
    const pred = t.s.steps[edge.from]!;
    if (!isDone(t, pred)) return 'wait';
    if (isStepFailed(pred.status)) return 'blocked';
    if (!isStepComplete(pred.status) || satisfied) continue;
    try {
      satisfied = t.decideIfSel('edge', () => evaluateCondition(edge.condition, () => scopeFor(t, pred.params, compositeExtensions(t)), t));
    } catch (e) {
      return { error: `condition of the edge from ${edge.from}: ${(e as Error).message}` };
    }
  }
  return satisfied ? 'run' : 'unsatisfied';
}

/** An attempt of a step that cannot start, ended INTERNALLY_FAILED (failure mode applies). */
function failBeforeStart(t: Transition, id: string, error: string): void {
  createAttempt(t, id);
  endAttempt(t, id, 'INTERNALLY_FAILED', error);
}

function hasPermit(t: Transition): boolean {
  return t.runningSteps() < t.localPermitLimit();
}

/** Adds attempt N+1 of a step, CREATED. */
function createAttempt(t: Transition, id: string): StepState {
  const st = t.step(id);
  const attempt = st.attempts.length + 1;
  st.attempts.push({ attempt, attemptId: attemptIdOf(t.key, t.s.runId, id, attempt), status: 'CREATED', createdAtMs: t.atMs });
  st.startedAtMs ??= t.atMs;
  st.endedAtMs = undefined;
  return t.setStepStatus(id, 'CREATED');
}

/** Creates attempt N+1 of a step and takes it as far as it can go now. */
export function startAttempt(t: Transition, id: string): void {
  createAttempt(t, id);
  t.setStepStatus(id, 'INITIALIZED');
  if (holdAtInitialized(t, id)) return; // skipped by a restart, or PAUSED at a breakpoint
  continueAttempt(t, id);
}

/** From INITIALIZED (or PAUSED, resumed) on: the signal wait, then params and the start. */
export function continueAttempt(t: Transition, id: string): void {
  const wait = waitForSignals(t, id); // signals.ts: WAITING_FOR_SIGNALS until all are matched or skipped
  if (wait === 'wait') return;
  if (wait !== 'go') return endAttempt(t, id, 'INTERNALLY_FAILED', wait.error);
  evaluateAndStart(t, id);
}

/** EVALUATING_PARAMS on: the step's params, its runtime, a permit and the dispatch. */
export function evaluateAndStart(t: Transition, id: string): void {
  const def = t.definition(id);
  const st = t.setStepStatus(id, 'EVALUATING_PARAMS');
  const attempt = st.attempts.length;
  try {
    const a = currentAttempt(st)!;
    const stepInstanceUuid = t.uuid();
    st.params = t.decideIfSel('stepParams', () =>
      resolveStepParams(def, {
        env: t.env(),
        system: t.system(),
        workflowParams: t.s.params,
        stepParams: (sid: string) => t.s.steps[sid]?.params,
        attempt,
        attemptId: a.attemptId,
        stepInstanceUuid,
        extensions: compositeExtensions(t),
        signals: signalContextOf(t.s, st),
      }),
    );
  } catch (e) {
    return endAttempt(t, id, 'FATALLY_FAILED', `param evaluation failed: ${(e as Error).message}`);
  }
  if (def.kind === 'template') {
    return endAttempt(t, id, 'INTERNALLY_FAILED', 'template steps are placeholders with no runtime (as in Maestro)');
  }
  if (def.kind === 'step' && !t.decide('runtime', () => t.ctx.hasRuntime(def.type.toLowerCase()))) {
    return endAttempt(t, id, 'FATALLY_FAILED', `no runtime for step type ${def.type}`);
  }
  t.setStepStatus(id, 'WAITING_FOR_PERMITS');
  if (t.s.permits) return acquirePermits(t, id, def);
  if (hasPermit(t)) dispatchAttempt(t, id);
}

/**
 * Tag permits (core/permits): the step's tags are asked of the permit manager, and a
 * `permit-granted` event moves it on. An instant runtime (NoOp) holds a permit for no time: when
 * the node knows none of its tags saturated it skips the round trip (a recorded decision).
 */
function acquirePermits(t: Transition, id: string, def: Step): void {
  const tags = stepPermitTags(t.ctx.def.request, t.s.workflowId, correlationOf(t.s), def, t.instanceStepConcurrency());
  // replay reads the flag whatever the replaying node's cache says (or whether it has one)
  if (def.kind === 'step' && t.decideFlag('permitFast', () => t.ctx.permitFastPath?.(def.type, tags) ?? false)) return dispatchAttempt(t, id);
  if (t.decideFlag('permitLocal', () => instanceLocalTags(t, id, tags))) {
    // Only this instance can hold these permits: it counts them itself (no round trip).
    if (tags[0]!.name === `${MAESTRO_TAG_PREFIX}${t.s.workflowId}`) t.s.localWorkflowPermits = true;
    if (hasPermit(t)) dispatchAttempt(t, id);
    return;
  }
  const st = t.step(id);
  const a = currentAttempt(st)!;
  st.permit = { holder: a.attemptId, held: false };
  t.commands.push({ c: 'acquire', req: { holder: a.attemptId, instanceKey: t.key, stepId: id, attempt: a.attempt, tags } });
}

/**
 * Whether a step's only tag is its root instance's correlation tag (`instance_step_concurrency`
 * set, no step_concurrency, no user tags) while nothing but this instance can hold it: a root
 * whose definition starts no children. Its running steps are then exactly that tag's holders, so
 * the instance's own count is the tag's count. A limit set through the API on the tag makes the
 * manager publish it saturated when full; a tag the node knows saturated takes the manager path.
 *
 * The same holds for Maestro's default tags (`maestro_<wf>` limited by step_concurrency 20 and
 * `maestro_<wf>:<step>`: no instance_step_concurrency, no step_concurrency, no user tags) on a
 * root of a workflow whose run strategy runs one instance at a time (anything but PARALLEL with
 * workflow_concurrency above 1): its queue owner never runs a second instance beside it, so its
 * running steps are the workflow tag's holders and a step has one attempt at a time.
 */
function instanceLocalTags(t: Transition, id: string, tags: readonly PermitTag[]): boolean {
  if (t.s.parent !== undefined) return false;
  if (t.ctx.def.order.some((sid) => t.ctx.def.steps.get(sid)!.step.kind !== 'step')) return false;
  const hot = t.ctx.permitTagHot;
  if (hot === undefined || tags.some((tag) => hot(tag.name))) return false;
  if (tags.length === 1) return tags[0]!.name === `${MAESTRO_TAG_PREFIX}${correlationOf(t.s)}`;
  const props = t.ctx.def.request.properties;
  const rs = props.runStrategy;
  const oneAtATime = rs.rule !== 'PARALLEL' || rs.workflowConcurrency === 1;
  const wf = `${MAESTRO_TAG_PREFIX}${t.s.workflowId}`;
  return (
    oneAtATime &&
    t.s.source === undefined &&
    props.stepConcurrency === undefined &&
    t.instanceStepConcurrency() === undefined &&
    tags.length === 2 &&
    tags[0]!.name === wf &&
    tags[1]!.name === `${wf}:${id}`
  );
}

/** The permit manager granted attempt `attempt` of step `id` its permits: it starts (a stale grant does nothing). */
export function onPermitGranted(t: Transition, id: string, attempt: number): void {
  const cur = t.s.steps[id];
  if (!cur || cur.status !== 'WAITING_FOR_PERMITS' || currentAttempt(cur)?.attempt !== attempt || !cur.permit || cur.permit.held) return;
  const st = t.step(id);
  st.permit = { holder: st.permit!.holder, held: true };
  dispatchAttempt(t, id);
}

/** What an instance says of a permit holder: it holds the permits, waits for them, or neither. */
export function permitStatusOf(s: InstanceState, holder: string): 'held' | 'waiting' | 'none' {
  const depth = depthPermitStatus(s, holder);
  if (depth) return depth;
  for (const st of Object.values(s.steps)) {
    if (st.permit?.holder === holder) return st.permit.held ? 'held' : 'waiting';
  }
  return 'none';
}

/** Acquires to issue again after recovery: steps waiting for their permits. */
export function permitResume(s: InstanceState, ctx: MachineContext): InstanceCommand[] {
  const out: InstanceCommand[] = [];
  if (!s.permits) return out;
  for (const st of Object.values(s.steps)) {
    const a = currentAttempt(st);
    const def = ctx.def.steps.get(st.stepId)?.step;
    if (!st.permit || st.permit.held || !a || !def) continue;
    out.push({ c: 'acquire', req: { holder: st.permit.holder, instanceKey: `${s.workflowId}/${s.instanceId}`, stepId: st.stepId, attempt: a.attempt, tags: stepPermitTags(ctx.def.request, s.workflowId, correlationOf(s), def, instanceStepConcurrencyOf(s, ctx.def)) } });
  }
  return out;
}

function dispatchAttempt(t: Transition, id: string): void {
  const def = t.definition(id);
  if (def.kind === 'template') return;
  const st = t.setStepStatus(id, 'STARTING');
  const a = currentAttempt(st)!;
  a.startedAtMs = t.atMs;
  let timeoutMs: number | undefined;
  try {
    const timeout = def.timeout;
    timeoutMs = timeout === undefined ? undefined : t.decide('timeout', () => t.durationMs(timeout, `steps.${id}.timeout`, st.params));
  } catch (e) {
    return endAttempt(t, id, 'FATALLY_FAILED', (e as Error).message);
  }
  t.setStepStatus(id, 'RUNNING');
  if (timeoutMs !== undefined) t.setTimer(`step-timeout:${id}`, 'step-timeout', t.atMs + timeoutMs, id, a.attempt);
  if (def.kind !== 'step') {
    const previous = st.loop; // the composite state of an earlier run or attempt (restart semantics)
    st.loop = undefined;
    return startComposite(t, id, previous, endComposite);
  }
  t.commands.push({ c: 'dispatch', task: taskOf(t.s, st, a, def, t.atMs, timeoutMs) });
}

/** A foreach/while/subworkflow step's children are done (composite.ts decides how it ended). */
export function endComposite(t: Transition, id: string, status: StepStatus, error?: string): void {
  const cur = t.s.steps[id];
  if (!cur || cur.status !== 'RUNNING') return;
  t.clearTimer(`step-timeout:${id}`);
  if (status === 'SUCCEEDED') {
    t.setStepStatus(id, 'FINISHING');
    return finishStep(t, id);
  }
  if (status === 'FATALLY_FAILED' || status === 'INTERNALLY_FAILED') return endAttempt(t, id, status, error ?? status);
  const st = t.setStepStatus(id, status);
  const a = currentAttempt(st);
  if (a) {
    if (error !== undefined) a.error = error;
    a.endedAtMs = t.atMs;
  }
  st.endedAtMs = t.atMs;
}

/** A result from an executor. Results for attempts that are not the running one are ignored. */
export function onResult(t: Transition, id: string, attempt: number, result: StepResult): void {
  const cur = t.s.steps[id];
  if (!cur || cur.status !== 'RUNNING' || currentAttempt(cur)?.attempt !== attempt) return;
  t.clearTimer(`step-timeout:${id}`);
  const st = t.step(id);
  const a = currentAttempt(st)!;
  if (result.stdout !== undefined) a.stdout = result.stdout;
  if (result.stderr !== undefined) a.stderr = result.stderr;
  if (result.details !== undefined) a.details = result.details;
  if (result.outputs !== undefined) a.outputs = result.outputs;
  if (result.status !== 'SUCCEEDED') return endAttempt(t, id, result.status, result.error ?? result.status);
  t.setStepStatus(id, 'FINISHING');
  if (result.outputs && Object.keys(result.outputs).length > 0) {
    try {
      st.params = mergeOutputs(st.params, result.outputs, `steps.${id}.outputs`);
    } catch (e) {
      return endAttempt(t, id, 'FATALLY_FAILED', (e as Error).message);
    }
  }
  finishStep(t, id);
}

/** FINISHING: the step's signal outputs are announced (signals.ts), then it SUCCEEDS. */
function finishStep(t: Transition, id: string): void {
  const out = announceSignals(t, id);
  if (out === 'wait') return;
  if (out !== 'go') return endAttempt(t, id, 'INTERNALLY_FAILED', out.error);
  succeedStep(t, id);
}

/** The current attempt of a FINISHING step SUCCEEDED. */
export function succeedStep(t: Transition, id: string): void {
  const st = t.step(id);
  const a = currentAttempt(st)!;
  a.endedAtMs = t.atMs;
  st.endedAtMs = t.atMs;
  t.setStepStatus(id, 'SUCCEEDED');
}

/**
 * External code puts output params for a running step: they are merged into the step's params
 * (visible to successors and in get-instance). Refused unless the step is running.
 */
export function onOutputs(t: Transition, id: string, outputs: Record<string, unknown>): void {
  const cur = t.s.steps[id];
  if (!cur) throw new ValidationError('step_id', `instance ${t.key} has no step ${id}`);
  if (cur.status !== 'RUNNING') throw new PreconditionError(`step ${id} of ${t.key} is ${cur.status}; outputs are accepted while it is RUNNING`);
  const st = t.step(id);
  st.params = mergeOutputs(st.params, outputs, `steps.${id}.outputs`);
  const a = currentAttempt(st)!;
  a.outputs = { ...(a.outputs ?? {}), ...outputs };
}

const RETRY_KIND: Partial<Record<StepStatus, RetryKind>> = {
  USER_FAILED: 'user',
  PLATFORM_FAILED: 'platform',
  TIMEOUT_FAILED: 'timeout',
};

/** Ends the current attempt with a failure; retries per policy or applies the failure mode. */
export function endAttempt(t: Transition, id: string, status: StepStatus, error: string): void {
  const st = t.setStepStatus(id, status);
  const a = currentAttempt(st);
  if (a) {
    a.error = error;
    a.endedAtMs = t.atMs;
  }
  st.endedAtMs = t.atMs;
  const kind = RETRY_KIND[status];
  const def = t.definition(id);
  if (kind) {
    let limit = 0;
    let delay = 0;
    try {
      const num = (p: number | string, path: string) => t.number(p, `steps.${id}.${path}`, st.params);
      [limit, delay] = t.decide('retry', () => [retryLimit(def.retryPolicy, kind, num), backoffMs(def.retryPolicy, kind, st.retries[kind] + 1, num)]);
    } catch (e) {
      if (a) a.error = `${error}; retry policy invalid: ${(e as MaestroError).message}`;
      limit = 0;
    }
    if (st.retries[kind] < limit) {
      st.retries = { ...st.retries, [kind]: st.retries[kind] + 1 };
      t.setTimer(`retry:${id}`, 'retry', t.atMs + delay, id, (a?.attempt ?? 0) + 1);
      return;
    }
  }
  applyFailureMode(t, id);
}

function applyFailureMode(t: Transition, id: string): void {
  const mode = t.definition(id).failureMode ?? 'FAIL_AFTER_RUNNING';
  if (mode === 'IGNORE_FAILURE') {
    t.setStepStatus(id, 'COMPLETED_WITH_ERROR');
  } else if (mode === 'FAIL_IMMEDIATELY') {
    const a = currentAttempt(t.s.steps[id]!);
    terminateActiveSteps(t, 'STOPPED');
    t.s.endedAtMs = t.atMs;
    t.setWorkflowStatus('FAILED', `step ${id} failed${a?.error ? `: ${a.error}` : ''} (failure_mode FAIL_IMMEDIATELY)`);
    t.commands.push({ c: 'finished' });
  }
}

/** Ends every active step with `status` (cancelling running attempts) and drops pending timers. */
export function terminateActiveSteps(t: Transition, status: StepStatus): void {
  for (const [id, st] of Object.entries(t.s.steps)) {
    if (!isActive(st) && !t.s.timers[`retry:${id}`]) continue;
    const a = currentAttempt(st);
    if (st.status === 'RUNNING' && a) {
      const stop = st.loop ? stopChildren(st, `step ${id} of ${t.key} ended ${status}`) : undefined;
      if (stop) t.commands.push(stop);
      else if (!st.loop) t.commands.push({ c: 'cancel', attemptId: a.attemptId });
    }
    if (isActive(st)) {
      const s2 = t.setStepStatus(id, status);
      const a2 = currentAttempt(s2);
      if (a2) a2.endedAtMs = t.atMs;
      s2.endedAtMs = t.atMs;
    }
  }
  for (const id of Object.keys(t.s.timers)) t.clearTimer(id);
}

/** A retry timer fired: attempt N+1 starts. */
export function onRetryTimer(t: Transition, id: string): void {
  if (t.s.status !== 'IN_PROGRESS') return;
  startAttempt(t, id);
}

export function onStepTimeout(t: Transition, id: string, attempt: number): void {
  const st = t.s.steps[id];
  if (!st || st.status !== 'RUNNING' || currentAttempt(st)?.attempt !== attempt) return;
  if (st.loop) {
    const stop = stopChildren(st, `step ${id} of ${t.key} timed out`);
    if (stop) t.commands.push(stop);
  } else {
    t.commands.push({ c: 'cancel', attemptId: currentAttempt(st)!.attemptId });
  }
  endAttempt(t, id, 'TIMEOUT_FAILED', 'step timed out');
}
