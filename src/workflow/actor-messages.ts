/**
 * What instance messages from other actors mean to an instance actor, as pure functions of its
 * state: whether a parent step still waits for a child's notice, the event a child notice or a
 * queue owner's Launch becomes, and the error a stale owner answers with.
 */
import { MaestroError, NotFoundError, type StaleEpochError } from '../core/errors.js';
import { iterationRunId, type InstanceEvent, type InstanceState } from '../core/instance/index.js';
import type { ChildEndedMessage, LaunchMessage, RestartIterationMessage } from './messages.js';

/** Whether step `stepId` attempt `attempt` waits on a child (and on this one: iteration/run given). */
export function waitsFor(s: InstanceState | undefined, stepId: string, attempt: number, instanceId?: number, runId?: number): boolean {
  const st = s?.steps[stepId];
  const loop = st?.loop;
  if (!st || !loop || st.status !== 'RUNNING' || st.attempts[st.attempts.length - 1]?.attempt !== attempt) return false;
  if (instanceId === undefined) return true;
  if (loop.kind === 'foreach') return runId === iterationRunId(loop, instanceId) && loop.running.includes(instanceId);
  if (loop.kind === 'while') return loop.runId === runId && loop.running === instanceId;
  return loop.instanceId === instanceId;
}

/** A running subworkflow step whose child is launched but not yet journaled (no ChildStarted). */
export function awaitsChildId(s: InstanceState | undefined, stepId: string, attempt: number): boolean {
  const loop = s?.steps[stepId]?.loop;
  return loop?.kind === 'subworkflow' && loop.instanceId === undefined && waitsFor(s, stepId, attempt);
}

export function childEnded(msg: ChildEndedMessage, atMs: number): InstanceEvent {
  const ev: Extract<InstanceEvent, { t: 'child-ended' }> = {
    t: 'child-ended',
    atMs,
    stepId: msg.stepId,
    attempt: msg.attempt,
    instanceId: msg.instanceId,
    runId: msg.runId,
    status: msg.status,
    rollup: msg.rollup,
  };
  if (msg.outputs) ev.outputs = msg.outputs;
  if (msg.feedback) ev.feedback = msg.feedback;
  if (msg.error !== undefined) ev.error = msg.error;
  return ev;
}

/** The event a queue owner's Launch still needs (see LaunchMessage), or 'get' when it is done. */
export function launchEvent(s: InstanceState | undefined, msg: LaunchMessage, atMs: number, tagPermits: boolean): InstanceEvent | 'get' {
  const ended = msg.mode === 'stop' || msg.mode === 'kill' ? { status: msg.mode === 'stop' ? ('STOPPED' as const) : ('FAILED' as const), reason: msg.reason ?? `${msg.mode === 'stop' ? 'stopped' : 'killed'} by its run strategy` } : undefined;
  if (!s) {
    if (msg.runId !== 1 || !msg.start) throw new NotFoundError(`instance ${msg.workflowId}/${msg.instanceId} not found`);
    const st = msg.start;
    const ev: InstanceEvent = { t: 'started', atMs, workflowId: msg.workflowId, instanceId: msg.instanceId, version: st.version, runParams: st.params, initiator: st.initiator ?? 'MANUAL' };
    if (st.requestId !== undefined) ev.requestId = st.requestId;
    if (st.parent !== undefined) ev.parent = st.parent;
    if (st.depth) ev.depth = st.depth;
    if (st.correlationId !== undefined) ev.correlationId = st.correlationId;
    if (st.instanceStepConcurrency !== undefined) ev.instanceStepConcurrency = st.instanceStepConcurrency;
    if (st.trigger !== undefined) ev.trigger = st.trigger;
    if (msg.mode === 'queue') ev.hold = true;
    if (ended) ev.ended = ended;
    if (tagPermits) ev.permits = true;
    return ev;
  }
  if (s.runId < msg.runId) {
    const ev: InstanceEvent = { t: 'restart', atMs, policy: msg.policy ?? 'RESTART_FROM_INCOMPLETE' };
    if (msg.stepId !== undefined) ev.stepId = msg.stepId;
    if (msg.path) ev.path = msg.path;
    if (msg.parent) ev.parent = msg.parent;
    if (msg.mode === 'queue') ev.hold = true;
    if (ended) ev.ended = ended;
    return ev;
  }
  if (s.runId === msg.runId && s.status === 'CREATED') {
    if (msg.mode === 'run') return { t: 'run', atMs };
    if (ended) return { t: msg.mode as 'stop' | 'kill', atMs, reason: ended.reason };
  }
  return 'get';
}

/** What the senders of a batch a stale owner could not journal get: retry at the new owner. */
export function movedError(key: string, cause: StaleEpochError): MaestroError {
  return new MaestroError('unavailable', `${key} moved to a newer owner (${cause.message}); retry`, { retryable: true, cause });
}

/** A RestartIteration message as the parent's `iteration-restart` event. */
export function iterationRestartEvent(msg: RestartIterationMessage, atMs: number): InstanceEvent {
  const ev: Extract<InstanceEvent, { t: 'iteration-restart' }> = { t: 'iteration-restart', atMs, stepId: msg.stepId, iteration: msg.iteration, runId: msg.runId, policy: msg.policy, prior: msg.prior };
  if (msg.restartStepId !== undefined) ev.restartStepId = msg.restartStepId;
  if (msg.path) ev.path = msg.path;
  return ev;
}
