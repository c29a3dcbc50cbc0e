/**
 * The queue owner's reducer (core/service): run strategies on arrival and on dequeue, exactly
 * as maestro-semantics §5.3 says, with one difference: Maestro dequeues when a job event
 * arrives; here every event that can free a slot (an arrival, a run's end, an unblock, a
 * strategy change) dequeues in the same fold, and LAST_ONLY's waiting run is dequeued when the
 * run it stopped has ended (Maestro's TerminateThenRun processor polls for that).
 *
 * `apply` owns the state it is given (the service actor holds the only reference) and updates
 * it in place: a PARALLEL workflow with a thousand running instances must not copy them per
 * start.
 */
import type { RunStrategy } from '../definition/model.js';
import type { ServiceReducer } from '../service/reducer.js';
import { isWorkflowTerminal } from '../status.js';
import { workflowIdOfQueueKey, type QueueEffect, type QueueEntry, type QueueEvent, type QueueState, type RunningEntry } from './model.js';

/** Maestro dequeues at most this many runs at a time (PARALLEL). */
export const MAX_DEQUEUE = 50;

const DEFAULT_STRATEGY: RunStrategy = { rule: 'SEQUENTIAL', workflowConcurrency: 1 };

/**
 * How many queued runs a dequeue starts (Maestro's dequeue query): none while STRICT_SEQUENTIAL
 * is blocked; one for the serial rules when nothing runs; up to min(50, concurrency - running)
 * for PARALLEL.
 */
export function dequeueCount(strategy: RunStrategy, running: number, queued: number, blocked: boolean): number {
  let n: number;
  switch (strategy.rule) {
    case 'PARALLEL':
      n = Math.min(MAX_DEQUEUE, strategy.workflowConcurrency - running);
      break;
    case 'STRICT_SEQUENTIAL':
      n = blocked ? 0 : 1 - running;
      break;
    default: // SEQUENTIAL, SERIAL_LATEST_ONLY, and the run LAST_ONLY (or FIRST_ONLY) holds back
      n = 1 - running;
  }
  return Math.max(0, Math.min(n, queued));
}

/** Runs handed to their instances and not ended (kept as a count: a PARALLEL queue may run 1,000). */
export function runningCount(s: QueueState): number {
  if (s.runningCount === undefined) {
    let n = 0;
    for (const _ in s.running) n++;
    s.runningCount = n; // derived: a state from before the count gets it on first use
  }
  return s.runningCount;
}

function setRunning(s: QueueState, id: number, r: RunningEntry): void {
  if (s.running[id] === undefined) s.runningCount = runningCount(s) + 1;
  s.running[id] = r;
}

function dropRunning(s: QueueState, id: number): void {
  if (s.running[id] === undefined) return;
  s.runningCount = runningCount(s) - 1;
  delete s.running[id];
}

export function firstOnlyReason(workflowId: string, id: number, runId: number): string {
  return `With FIRST_ONLY run strategy, this run is stopped due to a running one [${workflowId}][${id}][${runId}].`;
}
export const LAST_ONLY_QUEUED_REASON = 'With LAST_ONLY run strategy, this run is stopped due to starting a new run.';
export function lastOnlyStopReason(workflowId: string, id: number, runId: number): string {
  return `Stopped due to LAST_ONLY run strategy to start a new instance: [${workflowId}][${id}][${runId}]`;
}
export function serialLatestOnlyReason(id: number, runId: number): string {
  return `With SERIAL_LATEST_ONLY run strategy, this run is stopped because new instance ${id} with run ${runId} arrived.`;
}

export const queueReducer: ServiceReducer<QueueState, QueueEvent, QueueEffect> = {
  initial(key: string): QueueState {
    return { workflowId: workflowIdOfQueueKey(key), strategy: DEFAULT_STRATEGY, latestId: 0, requests: {}, queued: [], running: {}, failed: [], seq: 0 };
  },

  apply(s: QueueState, ev: QueueEvent): { state: QueueState; effects: QueueEffect[] } {
    const fx: QueueEffect[] = [];
    switch (ev.t) {
      case 'enqueue': {
        s.strategy = ev.strategy;
        const id = ev.id;
        if (id > s.latestId) s.latestId = id;
        if (ev.start.requestId !== undefined) s.requests[ev.start.requestId] = id;
        arrive(s, { id, runId: 1, start: ev.start }, fx);
        break;
      }
      case 'restart':
        s.strategy = ev.strategy;
        removeFailed(s, ev.id); // FAILED -> FAILED_2: no longer blocks STRICT_SEQUENTIAL
        arrive(s, restartEntry(ev), fx);
        break;
      case 'ended': {
        const r = s.running[ev.id];
        if (r && r.runId === ev.runId) dropRunning(s, ev.id);
        else if (!removeQueued(s, ev.id, ev.runId)) break; // not ours (any more): a late or repeated notice
        if (ev.status === 'FAILED' && !s.failed.includes(ev.id)) s.failed.push(ev.id);
        break;
      }
      case 'forget': {
        const r = s.running[ev.id];
        if (r && r.runId === ev.runId) dropRunning(s, ev.id);
        else removeQueued(s, ev.id, ev.runId);
        break;
      }
      case 'strategy':
        s.strategy = ev.strategy;
        break;
      case 'unblock':
        for (const id of ev.ids) removeFailed(s, id);
        break;
      case 'terminate': {
        const status = ev.action === 'stop' ? 'STOPPED' : 'FAILED';
        for (const q of s.queued) {
          fx.push(launch(q, ev.action, ev.reason));
          if (status === 'FAILED' && !s.failed.includes(q.id)) s.failed.push(q.id);
        }
        s.queued = [];
        for (const [key, r] of Object.entries(s.running)) {
          if (r.stopping === ev.action || r.stopping === 'kill') continue;
          r.stopping = ev.action;
          r.stopReason = ev.reason;
          fx.push({ f: 'terminate', id: Number(key), runId: r.runId, action: ev.action, reason: ev.reason });
        }
        break;
      }
      case 'dequeue':
        break;
      case 'forgetRequests':
        for (const r of ev.requestIds) delete s.requests[r];
        break;
    }
    dequeue(s, fx);
    return { state: s, effects: fx };
  },

  resume(s: QueueState): QueueEffect[] {
    const fx: QueueEffect[] = [];
    for (const q of s.queued) fx.push(launch(q, 'queue'));
    for (const [key, r] of Object.entries(s.running)) {
      const id = Number(key);
      fx.push(r.stopping ? { f: 'terminate', id, runId: r.runId, action: r.stopping, reason: r.stopReason ?? 'stopped' } : launch({ id, runId: r.runId, start: r.start, policy: r.policy, stepId: r.stepId, path: r.path, parent: r.parent }, 'run'));
    }
    if (s.queued.length > 0) fx.push({ f: 'kick' });
    return fx;
  },
};

/** The run strategy's arrival rule (§5.3 "on arrival"); the dequeue follows in `apply`. */
function arrive(s: QueueState, entry: QueueEntry, fx: QueueEffect[]): void {
  switch (s.strategy.rule) {
    case 'FIRST_ONLY': {
      const first = firstNonTerminal(s);
      if (first) {
        fx.push(launch(entry, 'stop', firstOnlyReason(s.workflowId, first.id, first.runId)));
        return;
      }
      break;
    }
    case 'LAST_ONLY':
      stopQueued(s, fx, LAST_ONLY_QUEUED_REASON);
      for (const [key, r] of Object.entries(s.running)) {
        if (r.stopping) continue;
        r.stopping = 'stop';
        r.stopReason = lastOnlyStopReason(s.workflowId, entry.id, entry.runId);
        fx.push({ f: 'terminate', id: Number(key), runId: r.runId, action: 'stop', reason: r.stopReason });
      }
      break;
    case 'SERIAL_LATEST_ONLY':
      stopQueued(s, fx, serialLatestOnlyReason(entry.id, entry.runId));
      break;
    default:
      break;
  }
  insertQueued(s, entry);
  // Created at its instance as CREATED now, unless the dequeue below starts it in this same fold.
  fx.push(launch(entry, 'queue'));
}

function dequeue(s: QueueState, fx: QueueEffect[]): void {
  if (s.queued.length === 0) return;
  const n = dequeueCount(s.strategy, runningCount(s), s.queued.length, s.failed.length > 0);
  if (n === 0) return;
  const taken = s.queued.splice(0, n);
  for (const q of taken) {
    const r: RunningEntry = { runId: q.runId };
    if (q.start) r.start = q.start;
    if (q.policy) r.policy = q.policy;
    if (q.stepId) r.stepId = q.stepId;
    if (q.path) r.path = q.path;
    if (q.parent) r.parent = q.parent;
    setRunning(s, q.id, r);
    // the arrival's 'queue' launch of this very run is superseded: send one 'run' launch instead
    const i = fx.findIndex((f) => f.f === 'launch' && f.id === q.id && f.runId === q.runId && f.mode === 'queue');
    if (i >= 0) fx.splice(i, 1);
    fx.push(launch(q, 'run'));
  }
  if (n === MAX_DEQUEUE && s.queued.length > 0 && dequeueCount(s.strategy, runningCount(s), s.queued.length, s.failed.length > 0) > 0) {
    fx.push({ f: 'kick' });
  }
}

/** The queued run a restart event adds (policy, and RESTART_FROM_SPECIFIC's step and path). */
function restartEntry(ev: Extract<QueueEvent, { t: 'restart' }>): QueueEntry {
  const q: QueueEntry = { id: ev.id, runId: ev.runId, policy: ev.policy };
  if (ev.stepId !== undefined) q.stepId = ev.stepId;
  if (ev.path) q.path = ev.path;
  if (ev.parent) q.parent = ev.parent;
  return q;
}

function launch(q: QueueEntry, mode: 'queue' | 'run' | 'stop' | 'kill', reason?: string): QueueEffect {
  const f: QueueEffect & { f: 'launch' } = { f: 'launch', id: q.id, runId: q.runId, mode };
  if (q.start) f.start = q.start;
  if (q.policy) f.policy = q.policy;
  if (q.stepId) f.stepId = q.stepId;
  if (q.path) f.path = q.path;
  if (q.parent) f.parent = q.parent;
  if (reason !== undefined) f.reason = reason;
  return f;
}

function stopQueued(s: QueueState, fx: QueueEffect[], reason: string): void {
  for (const q of s.queued) {
    const i = fx.findIndex((f) => f.f === 'launch' && f.id === q.id && f.runId === q.runId && f.mode === 'queue');
    if (i >= 0) fx.splice(i, 1);
    fx.push(launch(q, 'stop', reason));
  }
  s.queued = [];
}

function firstNonTerminal(s: QueueState): { id: number; runId: number } | undefined {
  let best: { id: number; runId: number } | undefined;
  for (const [key, r] of Object.entries(s.running)) {
    const id = Number(key);
    if (!best || id < best.id) best = { id, runId: r.runId };
  }
  return best ?? s.queued[0];
}

function insertQueued(s: QueueState, e: QueueEntry): void {
  const q = s.queued;
  let i = q.length;
  while (i > 0 && (q[i - 1]!.id > e.id || (q[i - 1]!.id === e.id && q[i - 1]!.runId > e.runId))) i--;
  q.splice(i, 0, e);
}

function removeQueued(s: QueueState, id: number, runId: number): boolean {
  const i = s.queued.findIndex((q) => q.id === id && q.runId === runId);
  if (i < 0) return false;
  s.queued.splice(i, 1);
  return true;
}

function removeFailed(s: QueueState, id: number): void {
  const i = s.failed.indexOf(id);
  if (i >= 0) s.failed.splice(i, 1);
}

/** The queue's view of instance `id`: queued, running, or neither (ended, or never). */
export function queueStatusOf(s: QueueState, id: number): { where: 'queued' | 'running'; runId: number } | undefined {
  const r = s.running[id];
  if (r) return { where: 'running', runId: r.runId };
  const q = s.queued.find((e) => e.id === id);
  return q ? { where: 'queued', runId: q.runId } : undefined;
}

/** Non-terminal runs the queue knows of (queued + running): the strategy-change check counts these. */
export function nonTerminalCount(s: QueueState): number {
  return s.queued.length + runningCount(s);
}

/** Why a change to `next` is refused (§5.3 end), or undefined when it is allowed. */
export function strategyChangeRefusal(s: QueueState, next: RunStrategy): string | undefined {
  if (next.rule === s.strategy.rule) return undefined;
  if ((next.rule === 'FIRST_ONLY' || next.rule === 'LAST_ONLY') && nonTerminalCount(s) >= 2) {
    return `cannot change the run strategy of workflow ${s.workflowId} to ${next.rule}: it has ${nonTerminalCount(s)} non-terminal instances (at most 1 allowed)`;
  }
  if (next.rule === 'STRICT_SEQUENTIAL' && s.failed.length > 0) {
    return `cannot change the run strategy of workflow ${s.workflowId} to STRICT_SEQUENTIAL: instance(s) ${s.failed.slice(0, 10).join(', ')} FAILED; unblock or restart them first`;
  }
  return undefined;
}

export function isTerminalStatus(status: string): boolean {
  return isWorkflowTerminal(status as never);
}

