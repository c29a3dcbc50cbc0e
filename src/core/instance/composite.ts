/**
 * foreach, while and subworkflow steps: steps whose work is other workflow instances.
 *
 * Each iteration of a loop, and a subworkflow's child, is an instance of its own — an actor
 * placed by hashing like any instance — so no actor holds every iteration's state. The parent
 * step keeps only what Maestro's artifacts keep: counts, compressed id ranges per status,
 * the iterations running now, leaf rollups, and the few values its workflow reads back
 * (getFromForeach / getFromSubworkflow / while loop params).
 *
 * Parent -> child: a `launch` command, run by the actor after the parent's event is durable and
 * idempotent at the child (an iteration's key is fixed; a subworkflow child's start carries a
 * request id derived from the parent step's identity, Maestro's dedup key). A crash between the
 * journal write and the launch is repaired by `compositeResume`, which re-issues the launches
 * of every child the state says is running: a child that exists answers with what it is (and
 * reports again if it already ended), so nothing is lost or doubled.
 * Child -> parent: a ChildEnded message when the child's run ends, journaled by the parent as a
 * `child-ended` event. Notices for an attempt, run or iteration the parent no longer waits for
 * are ignored, so resends are harmless.
 *
 * foreach lives in foreach.ts, what all three share to launch children in composite-launch.ts.
 *
 * Semantics: ../../../shared/design/maestro-semantics.md §1-3 (ForeachStepRuntime,
 * WhileStepRuntime, SubworkflowStepRuntime). Deliberate differences: wake-ups are event-driven
 * (Maestro polls every 3 s), and a stopped composite step ends at once while its children stop
 * asynchronously (Maestro waits for them).
 */
import { isStepActive, isStepComplete, isWorkflowTerminal } from '../status.js';
import type { SubworkflowStep, WhileStep } from '../definition/model.js';
import type { TypedValue } from '../expr-port.js';
import { inferType } from '../params/coerce.js';
import { makeScope } from '../params/scope.js';
import type { ParamExtensions } from '../params/types.js';
import type { ChildLaunch, InstanceCommand } from './commands.js';
import type { InstanceEvent } from './events.js';
import { inlineWorkflowId } from './inline.js';
import type { CompiledWorkflow } from './compiled.js';
import type { ForeachState, InstanceState, IterationRestart, Rollup, StepState, SubworkflowState, WhileState } from './state.js';
import { currentAttempt, type Transition } from './transition.js';
import { addRollup, emptyRollup, rollupOf } from './rollup.js';
import { ITERATION_LIMIT, childLaunch, inheritedParams, inheritedWorkflowParams, ownLoop, ownerOf, restartLaunch, type Ended, type Owner } from './composite-launch.js';
import { getFromForeach, iterationLaunch, iterationRunId, onForeachEnded, pathNode, startForeach } from './foreach.js';

/** A child must have fewer ancestors than this (Maestro's WORKFLOW_DEPTH_LIMIT). */
export const DEPTH_LIMIT = 10;

/**
 * The step just went RUNNING: begin its children. `previous` is the composite state of the
 * step's earlier run (a restart of the parent), which decides what is kept and re-run.
 */
export function startComposite(t: Transition, id: string, previous: StepState['loop'], end: Ended): void {
  const def = t.definition(id);
  const st = t.step(id);
  const depth = (t.s.depth ?? 0) + 1;
  if (depth >= DEPTH_LIMIT) {
    return end(t, id, 'FATALLY_FAILED', `step ${id}: a child here would have ${depth} ancestors; the limit is ${DEPTH_LIMIT - 1} (recursive subworkflows end this way)`);
  }
  try {
    if (def.kind === 'foreach') return startForeach(t, id, def, st, previous?.kind === 'foreach' ? previous : undefined, end);
    if (def.kind === 'while') return startWhile(t, id, st, previous?.kind === 'while' ? previous : undefined, end);
    if (def.kind === 'subworkflow') return startSubworkflow(t, id, st, previous?.kind === 'subworkflow' ? previous : undefined);
  } catch (e) {
    return end(t, id, 'FATALLY_FAILED', (e as Error).message);
  }
}

// ---------------------------------------------------------------------------------------------
// while

function startWhile(t: Transition, id: string, st: StepState, prev: WhileState | undefined, end: Ended): void {
  const lp = st.params['loop_params']?.value;
  const initial = lp !== null && typeof lp === 'object' && !Array.isArray(lp) ? (lp as Record<string, unknown>) : {};
  for (const [name, v] of Object.entries(initial)) {
    if (v === null || typeof v === 'object') throw new Error(`step ${id}: while loop param ${name} must be a scalar (STRING/LONG/DOUBLE/BOOLEAN)`);
  }
  const loop: WhileState = {
    kind: 'while',
    workflowId: inlineWorkflowId('while', t.s.workflowId, t.s.instanceId, id),
    runId: prev ? prev.runId + 1 : 1,
    iterations: 0,
    values: Object.fromEntries(Object.entries(initial).map(([k, v]) => [k, [v]])),
    rollup: emptyRollup(),
    existing: prev ? prev.iterations : 0,
  };
  const node = prev ? pathNode(t, loop.workflowId) : undefined;
  if (prev && node) {
    // RESTART_FROM_SPECIFIC through iteration k (Maestro's first_iteration = k): k runs again with
    // the values it had, the rollup is that of iterations 1..k-1 (read by the engine).
    const k = node.instanceId;
    if (k > prev.iterations) {
      return end(t, id, 'FATALLY_FAILED', `while ${id}: the iteration to restart (${k}) is over the earlier run's last iteration (${prev.iterations})`);
    }
    loop.iterations = k - 1;
    loop.values = Object.fromEntries(Object.entries(prev.values).map(([name, vs]) => [name, vs.slice(0, k)]));
    loop.rollup = node.before ?? emptyRollup();
    const from: NonNullable<WhileState['from']> = { iteration: k, runId: loop.runId, policy: node.policy };
    if (node.stepId !== undefined) from.stepId = node.stepId;
    const below = t.s.restartPath!.slice(1);
    if (below.length > 0) from.path = below;
    loop.from = from;
  } else if (prev && t.s.runPolicy === 'RESTART_FROM_SPECIFIC' && t.decideFlag('whileFromStart', () => true)) {
    // A RESTART_FROM_SPECIFIC whose path names no iteration of this loop (the while step itself
    // is restarted, or re-runs as an incomplete step): Maestro starts again from iteration 1,
    // the existing iterations running anew. Recorded (a flag), so journals from before it fold
    // as they were written (resuming at the last iteration, below).
    loop.from = { iteration: 1, runId: loop.runId, policy: 'RESTART_FROM_BEGINNING' };
  } else if (prev && t.s.runPolicy !== 'RESTART_FROM_BEGINNING' && prev.iterations > 0) {
    // Resume at the last iteration (re-run it) with the values it had as input.
    loop.iterations = prev.iterations - 1;
    loop.values = Object.fromEntries(Object.entries(prev.values).map(([k, vs]) => [k, vs.slice(0, prev.iterations)]));
  }
  st.loop = loop;
  nextWhile(t, id, end);
}

function latest(loop: WhileState): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, vs] of Object.entries(loop.values)) out[k] = vs[vs.length - 1];
  return out;
}

/** Evaluates the condition (before every iteration, the first included) and launches the next iteration or ends. */
function nextWhile(t: Transition, id: string, end: Ended): void {
  const st = t.step(id);
  const def = t.definition(id) as WhileStep;
  const loop = ownLoop(t, st) as WhileState;
  const values = latest(loop);
  const own: Record<string, TypedValue> = { ...st.params };
  for (const [k, v] of Object.entries(values)) own[k] = { type: inferType(v, `steps.${id}.loop_params.${k}`), value: v };
  let go: boolean;
  try {
    go = t.decideIfSel('loop', () => {
      const scope = makeScope(own, { env: t.env(), system: t.system(), workflowParams: t.s.params });
      const v = t.evaluate(def.condition, scope);
      if (typeof v !== 'boolean') throw new Error(`while ${id}: condition must be a boolean, got ${JSON.stringify(v)}`);
      return v;
    });
  } catch (e) {
    return end(t, id, 'FATALLY_FAILED', `condition of while ${id}: ${(e as Error).message}`);
  }
  if (!go) return end(t, id, 'SUCCEEDED');
  if (loop.iterations >= ITERATION_LIMIT) return end(t, id, 'FATALLY_FAILED', `while ${id} reached the iteration limit ${ITERATION_LIMIT}`);
  const iteration = ++loop.iterations;
  loop.running = iteration;
  t.commands.push({ c: 'launch', launch: whileLaunch(ownerOf(t), st, loop, iteration) });
}

function whileLaunch(o: Owner, st: StepState, loop: WhileState, iteration: number): ChildLaunch {
  const def = o.def.steps.get(st.stepId)!.step as WhileStep;
  const values = latest(loop);
  const params = inheritedParams(o.s, st, def);
  params['loop_index'] = iteration - 1;
  Object.assign(params, values);
  params['condition'] = true;
  let launch: ChildLaunch;
  if (loop.from?.iteration === iteration) {
    launch = restartLaunch(childLaunch(o, st, 'while', loop.workflowId, iteration, loop.from.runId, params, undefined, loop.from.policy), loop.from);
  } else {
    // After the iteration a restart path named, the existing ones run anew (new loop values).
    const rerun = iteration > loop.existing ? undefined : loop.from !== undefined || o.s.runPolicy === 'RESTART_FROM_BEGINNING' ? 'RESTART_FROM_BEGINNING' : 'RESTART_FROM_INCOMPLETE';
    launch = childLaunch(o, st, 'while', loop.workflowId, iteration, loop.runId, params, undefined, rerun);
  }
  launch.parent.feedback = Object.keys(values);
  return launch;
}

function onWhileEnded(t: Transition, id: string, ev: Extract<InstanceEvent, { t: 'child-ended' }>, end: Ended): void {
  const st = t.step(id);
  const loop = ownLoop(t, st) as WhileState;
  if (loop.running !== ev.instanceId) return;
  loop.running = undefined;
  loop.lastStatus = ev.status;
  loop.rollup = addRollup(loop.rollup, ev.rollup);
  if (ev.status === 'SUCCEEDED') {
    const values: Record<string, unknown[]> = {};
    for (const [k, vs] of Object.entries(loop.values)) values[k] = [...vs, ev.feedback && Object.hasOwn(ev.feedback, k) ? ev.feedback[k] : vs[vs.length - 1]];
    loop.values = values;
    return nextWhile(t, id, end);
  }
  if (ev.status === 'FAILED') return end(t, id, 'FATALLY_FAILED', `while ${id}: iteration ${ev.instanceId} failed${ev.error ? `: ${ev.error}` : ''}`);
  end(t, id, ev.status === 'TIMED_OUT' ? 'TIMED_OUT' : 'STOPPED', `while ${id}: iteration ${ev.instanceId} ended ${ev.status}`);
}

// ---------------------------------------------------------------------------------------------
// subworkflow

function startSubworkflow(t: Transition, id: string, st: StepState, prev: SubworkflowState | undefined): void {
  const def = t.definition(id);
  if (def.kind !== 'subworkflow') return;
  const subId = st.params['subworkflow_id']?.value;
  if (typeof subId !== 'string' || subId === '') throw new Error(`step ${id}: subworkflow_id must be a non-empty string`);
  const versionSpec = String(st.params['subworkflow_version']?.value ?? 'active');
  const loop: SubworkflowState = { kind: 'subworkflow', workflowId: subId, sync: def.sync, versionSpec };
  const same = prev && prev.workflowId === subId && prev.instanceId !== undefined ? prev : undefined;
  if (same) {
    loop.instanceId = same.instanceId;
    loop.version = same.version;
    loop.runId = (same.runId ?? 1) + 1;
    loop.rerun = t.s.runPolicy === 'RESTART_FROM_BEGINNING' ? 'RESTART_FROM_BEGINNING' : 'RESTART_FROM_INCOMPLETE';
    const from = onRestartPath(t, st, same);
    if (from) {
      loop.from = from;
      loop.runId = from.runId;
    }
  }
  st.loop = loop;
  t.commands.push({ c: 'launch', launch: subworkflowLaunch(ownerOf(t), st, loop) });
}

/**
 * Whether the same child re-runs along a restart path (Maestro's RunRequest.updateForDownstreamIfNeeded):
 * a restart of this step while the instance runs named one (`pending`), or this run is a
 * RESTART_FROM_SPECIFIC from this step whose path starts at this child (its first attempt only).
 * Off the path the child re-runs with `rerun` (the downstream policy).
 */
function onRestartPath(t: Transition, st: StepState, prev: SubworkflowState): IterationRestart | undefined {
  if (prev.pending) return prev.pending;
  const node = t.s.runPolicy === 'RESTART_FROM_SPECIFIC' && st.attempts.length === 1 ? t.s.restartPath?.[0] : undefined;
  if (!node || node.workflowId !== prev.workflowId || node.instanceId !== prev.instanceId) return undefined;
  const from: IterationRestart = { runId: Math.max(prev.runId ?? 1, node.runId) + 1, policy: node.policy };
  if (node.stepId !== undefined) from.stepId = node.stepId;
  const below = t.s.restartPath!.slice(1);
  if (below.length > 0) from.path = below;
  return from;
}

function subworkflowLaunch(o: Owner, st: StepState, loop: SubworkflowState): ChildLaunch {
  const def = o.def.steps.get(st.stepId)!.step as SubworkflowStep;
  const params: Record<string, unknown> = def.explicitParams ? {} : inheritedWorkflowParams(o.s);
  for (const name of Object.keys(def.params)) {
    if (name === 'subworkflow_id' || name === 'subworkflow_version') continue;
    const v = st.params[name];
    if (v) params[name] = v.value;
  }
  const a = currentAttempt(st)!;
  const s = o.s;
  const uuid = String(st.params['step_instance_uuid']?.value ?? a.attemptId);
  const launch = childLaunch(o, st, 'subworkflow', loop.workflowId, loop.instanceId, loop.runId ?? 1, params, loop.sync ? {} : undefined, loop.from?.policy ?? loop.rerun);
  if (loop.from) restartLaunch(launch, loop.from);
  launch.version = loop.version ?? loop.versionSpec;
  launch.requestId = `[${s.workflowId}][${s.instanceId}][${s.runId}][${st.stepId}][${a.attempt}][${uuid}]`;
  return launch;
}

function onSubworkflowStarted(t: Transition, id: string, ev: Extract<InstanceEvent, { t: 'child-started' }>, end: Ended): void {
  const st = t.step(id);
  const loop = ownLoop(t, st) as SubworkflowState;
  if (loop.instanceId !== undefined && loop.runId === ev.runId) {
    // The same child re-run by a restart (its launch named the run): an async step is done.
    if (!loop.sync && loop.instanceId === ev.instanceId) end(t, id, 'SUCCEEDED');
    return;
  }
  loop.instanceId = ev.instanceId;
  loop.runId = ev.runId;
  loop.version = ev.version;
  loop.status = 'CREATED';
  if (!loop.sync) end(t, id, 'SUCCEEDED'); // async: done once launched, whatever the child does
}

function onSubworkflowEnded(t: Transition, id: string, ev: Extract<InstanceEvent, { t: 'child-ended' }>, end: Ended): void {
  const st = t.step(id);
  const loop = ownLoop(t, st) as SubworkflowState;
  if (loop.instanceId === undefined && loop.sync) {
    // The child ended before its ChildStarted was journaled here: the notice names it.
    loop.instanceId = ev.instanceId;
    loop.runId = ev.runId;
  }
  if (!loop.sync || loop.instanceId !== ev.instanceId || (loop.runId !== undefined && loop.runId !== ev.runId)) return;
  loop.runId = ev.runId;
  loop.status = ev.status;
  loop.rollup = ev.rollup;
  if (ev.outputs) loop.outputs = ev.outputs;
  if (ev.status === 'SUCCEEDED') return end(t, id, 'SUCCEEDED');
  const where = `subworkflow ${loop.workflowId}/${ev.instanceId}`;
  if (ev.status === 'FAILED') return end(t, id, 'FATALLY_FAILED', `${where} failed${ev.error ? `: ${ev.error}` : ''}`);
  end(t, id, ev.status === 'TIMED_OUT' ? 'TIMED_OUT' : 'STOPPED', `${where} ended ${ev.status}`);
}

/** params.getFromForeach / getFromSubworkflow as this instance's expressions see them. */
export function compositeExtensions(t: Transition): ParamExtensions {
  return {
    getFromForeach: (f, i, p) => getFromForeach(t, f, i, p),
    getFromSubworkflow: (s, i, p) => getFromSubworkflow(t, s, i, p),
  };
}

/** params.getFromSubworkflow: a param of a step of the (ended) child. */
export function getFromSubworkflow(t: Transition, stepId: string, innerId: string, name: string): unknown {
  const loop = t.s.steps[stepId]?.loop;
  if (!loop || loop.kind !== 'subworkflow') throw new Error(`getFromSubworkflow: step ${stepId} is not a subworkflow step that ran`);
  const params = loop.outputs?.[innerId];
  if (!params || !Object.hasOwn(params, name)) {
    throw new Error(`getFromSubworkflow: subworkflow step ${stepId} has no param ${name} of step ${innerId}`);
  }
  return params[name];
}

// ---------------------------------------------------------------------------------------------
// shared

/** Events from children, for the step they name (ignored unless that attempt still waits). */
export function onChildEvent(t: Transition, ev: Extract<InstanceEvent, { t: 'child-started' | 'child-ended' | 'child-failed' }>, end: Ended): void {
  const cur = t.s.steps[ev.stepId];
  if (!cur || cur.status !== 'RUNNING' || !cur.loop || currentAttempt(cur)?.attempt !== ev.attempt) return;
  if (ev.t === 'child-failed') return end(t, ev.stepId, 'FATALLY_FAILED', ev.error);
  const kind = cur.loop.kind;
  if (ev.t === 'child-started') {
    if (kind === 'subworkflow') onSubworkflowStarted(t, ev.stepId, ev, end);
    return;
  }
  if (kind === 'foreach') {
    if (iterationRunId(cur.loop as ForeachState, ev.instanceId) === ev.runId) onForeachEnded(t, ev.stepId, ev, end);
  } else if (kind === 'while') {
    const wl = cur.loop as WhileState;
    if ((wl.from?.iteration === ev.instanceId ? wl.from.runId : wl.runId) === ev.runId) onWhileEnded(t, ev.stepId, ev, end);
  } else {
    onSubworkflowEnded(t, ev.stepId, ev, end);
  }
}

/** Stop commands for the sync children a composite step has running (its stop, kill or timeout). */
export function stopChildren(st: StepState, reason: string): InstanceCommand | undefined {
  const loop = st.loop;
  if (!loop || !isStepActive(st.status)) return undefined;
  let ids: number[] = [];
  if (loop.kind === 'foreach') ids = loop.running;
  else if (loop.kind === 'while') ids = loop.running === undefined ? [] : [loop.running];
  else if (loop.sync && loop.instanceId !== undefined && (loop.status === undefined || !isWorkflowTerminal(loop.status))) ids = [loop.instanceId];
  return ids.length > 0 ? { c: 'stop-children', workflowId: loop.workflowId, instanceIds: ids, reason } : undefined;
}

/** After recovery: launch again every child the state says is running (idempotent at the child). */
export function compositeResume(s: InstanceState, def: CompiledWorkflow): InstanceCommand[] {
  const out: InstanceCommand[] = [];
  const o: Owner = { s, def };
  for (const st of Object.values(s.steps)) {
    const loop = st.loop;
    if (!loop || st.status !== 'RUNNING') continue;
    if (loop.kind === 'foreach') {
      for (const n of loop.running) out.push({ c: 'launch', launch: iterationLaunch(o, st, loop, n) });
    } else if (loop.kind === 'while') {
      if (loop.running !== undefined) out.push({ c: 'launch', launch: whileLaunch(o, st, loop, loop.running) });
    } else if (loop.sync || loop.instanceId === undefined) {
      out.push({ c: 'launch', launch: subworkflowLaunch(o, st, loop) });
    }
  }
  return out;
}

/** What a child reports to its parent when its run ends (ChildEnded). */
export function childReport(s: InstanceState, def: CompiledWorkflow): { rollup: Rollup; outputs?: Record<string, Record<string, unknown>>; feedback?: Record<string, unknown> } {
  const out: ReturnType<typeof childReport> = { rollup: rollupOf(s, def) };
  const p = s.parent;
  if (p?.report) {
    const all = Object.keys(p.report).length === 0;
    const outputs: Record<string, Record<string, unknown>> = {};
    for (const id of def.order) {
      const st = s.steps[id];
      if (!st || !isStepComplete(st.status)) continue;
      const names = all ? Object.keys(st.params) : p.report[id];
      if (!names) continue;
      const vals: Record<string, unknown> = {};
      for (const n of names) if (st.params[n]) vals[n] = st.params[n]!.value;
      outputs[id] = vals;
    }
    out.outputs = outputs;
  }
  if (p?.feedback && p.feedback.length > 0) {
    const fb: Record<string, unknown> = {};
    for (const id of def.order) {
      const st = s.steps[id];
      if (!st || st.attempts.length === 0) continue;
      for (const n of p.feedback) if (st.params[n]) fb[n] = st.params[n]!.value;
    }
    out.feedback = fb;
  }
  return out;
}
