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
 * Semantics: ../../../shared/design/maestro-semantics.md §1-3 (ForeachStepRuntime,
 * WhileStepRuntime, SubworkflowStepRuntime). Deliberate differences: wake-ups are event-driven
 * (Maestro polls every 3 s), and a stopped composite step ends at once while its children stop
 * asynchronously (Maestro waits for them).
 */
import { PreconditionError } from '../errors.js';
import { isStepActive, isStepComplete, isWorkflowTerminal, type StepStatus } from '../status.js';
import type { ForeachStep, SubworkflowStep, WhileStep } from '../definition/model.js';
import type { TypedValue } from '../expr-port.js';
import { inferType } from '../params/coerce.js';
import { makeScope } from '../params/scope.js';
import type { ParamExtensions } from '../params/types.js';
import { RESERVED_PARAM_NAMES } from '../definition/limits.js';
import type { ChildLaunch, InstanceCommand } from './commands.js';
import type { InstanceEvent } from './events.js';
import { inlineWorkflowId } from './inline.js';
import type { CompiledWorkflow } from './compiled.js';
import type { ForeachState, InstanceState, ParentRef, Rollup, StepState, SubworkflowState, WhileState } from './state.js';
import { currentAttempt, type Transition } from './transition.js';
import { addRollup, addToRanges, emptyRollup, formatRanges, inRanges, removeFromRanges, rollupOf, subtractRollup, union } from './rollup.js';

/** Maestro's ITERATION_LIMIT, for foreach and while. */
export const ITERATION_LIMIT = 25_000;
/** A child must have fewer ancestors than this (Maestro's WORKFLOW_DEPTH_LIMIT). */
export const DEPTH_LIMIT = 10;
/** Maestro's DEFAULT_STEP_CONCURRENCY: a foreach's concurrency when nothing else bounds it. */
export const DEFAULT_FOREACH_CONCURRENCY = 20;

type Ended = (t: Transition, id: string, status: StepStatus, error?: string) => void;

/** Workflow params a child gets from its parent: every one except those each instance computes itself. */
const NOT_PASSED = new Set<string>([...RESERVED_PARAM_NAMES, 'workflow_id', 'workflow_instance_id', 'workflow_run_id', 'workflow_uuid', 'owner', 'initiator', 'workflow_version_id', 'workflow_run_policy', 'INITIATOR_RUNNER_NAME']);

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
// foreach

function startForeach(t: Transition, id: string, def: ForeachStep, st: StepState, prev: ForeachState | undefined, end: Ended): void {
  const arrays = loopArrays(st, id);
  let total = 1;
  for (const [, arr] of arrays) total *= arr.length;
  if (arrays.length === 0) total = 0;
  if (total > ITERATION_LIMIT) {
    return end(t, id, 'FATALLY_FAILED', `foreach ${id} has ${total} iterations; the limit is ${ITERATION_LIMIT}`);
  }
  const concurrency = def.concurrency === undefined ? DEFAULT_FOREACH_CONCURRENCY : t.number(def.concurrency, `steps.${id}.concurrency`, st.params);
  const loop: ForeachState = {
    kind: 'foreach',
    workflowId: inlineWorkflowId('foreach', t.s.workflowId, t.s.instanceId, id),
    runId: prev ? prev.runId + 1 : 1,
    total,
    limit: Math.max(1, Math.min(concurrency, derivedStepConcurrency(t))),
    strict: def.strictOrdering === true,
    next: 0,
    running: [],
    done: {},
    existing: prev ? Math.max(prev.existing, prev.next) : 0, // iterations that exist: re-run, not created
    rollup: emptyRollup(),
    failed: false,
  };
  if (prev) {
    if (prev.total !== total) return end(t, id, 'FATALLY_FAILED', `foreach ${id}: a restart must keep the iteration count (${prev.total}), got ${total}`);
    if (t.s.runPolicy !== 'RESTART_FROM_BEGINNING') {
      const kept = union(prev.kept ?? [], prev.done.SUCCEEDED ?? []);
      if (kept.length > 0) {
        loop.kept = kept;
        loop.done = { SUCCEEDED: kept };
        loop.rollup = prev.rollup; // counts of kept iterations (approximate across runs, as Maestro's)
      }
      loop.rerun = 'RESTART_FROM_INCOMPLETE';
    } else {
      loop.rerun = 'RESTART_FROM_BEGINNING';
    }
  }
  const reads = foreachReads(t.ctx.def, id);
  if (reads.length > 0) loop.values = {};
  st.loop = loop;
  pumpForeach(t, id, end);
}

/** Loop params as [name, values] in definition order; each must be an array (Maestro: FATAL_ERROR otherwise). */
function loopArrays(st: StepState, id: string): Array<[string, unknown[]]> {
  const lp = st.params['loop_params']?.value;
  if (lp === undefined || lp === null || typeof lp !== 'object' || Array.isArray(lp)) {
    throw new Error(`step ${id}: loop_params must be a map of arrays`);
  }
  const out: Array<[string, unknown[]]> = [];
  for (const [name, v] of Object.entries(lp as Record<string, unknown>)) {
    if (!Array.isArray(v)) throw new Error(`step ${id}: loop param ${name} must be an array (STRING/LONG/DOUBLE/BOOLEAN_ARRAY), got ${typeof v}`);
    out.push([name, v]);
  }
  return out;
}

/** min(instance_step_concurrency, step_concurrency) where set, else Maestro's default 20. */
function derivedStepConcurrency(t: Transition): number {
  const inst = t.instanceStepConcurrency();
  const step = t.ctx.def.request.properties.stepConcurrency;
  if (inst !== undefined && step !== undefined) return Math.min(inst, step);
  return inst ?? step ?? DEFAULT_FOREACH_CONCURRENCY;
}

/** Launches iterations while the window allows (Maestro's launchLimit, without its per-poll batch cap). */
function pumpForeach(t: Transition, id: string, end: Ended): void {
  const st = t.step(id);
  let loop = st.loop as ForeachState;
  if (!loop.failed) {
    while (loop.next < loop.total && windowUsed(loop) < loop.limit) {
      loop = ownLoop(t, st) as ForeachState;
      const iteration = ++loop.next;
      if (loop.kept && inRanges(loop.kept, iteration)) continue;
      loop.running = [...loop.running, iteration];
      t.commands.push({ c: 'launch', launch: iterationLaunch(ownerOf(t), st, loop, iteration) });
    }
  }
  if (loop.running.length > 0) return;
  if (!loop.failed && loop.next < loop.total) return;
  const d = loop.done;
  if (loop.failed || (d.FAILED?.length ?? 0) > 0) return end(t, id, 'FATALLY_FAILED', `foreach ${id}: iteration(s) ${formatRanges(d.FAILED ?? [])} failed`);
  if ((d.TIMED_OUT?.length ?? 0) > 0) return end(t, id, 'TIMED_OUT', `foreach ${id}: iteration(s) ${formatRanges(d.TIMED_OUT!)} timed out`);
  if ((d.STOPPED?.length ?? 0) > 0) return end(t, id, 'STOPPED', `foreach ${id}: iteration(s) ${formatRanges(d.STOPPED!)} stopped`);
  end(t, id, 'SUCCEEDED');
}

/** Running iterations, or with strict ordering the span from the lowest running to the highest launched. */
function windowUsed(loop: ForeachState): number {
  if (loop.running.length === 0) return 0;
  return loop.strict ? loop.next - loop.running[0]! + 1 : loop.running.length;
}

/** The instance a composite step belongs to, as launches need it (a Transition's, or a recovered state's). */
interface Owner {
  s: InstanceState;
  def: CompiledWorkflow;
}
const ownerOf = (t: Transition): Owner => ({ s: t.s, def: t.ctx.def });

function iterationLaunch(o: Owner, st: StepState, loop: ForeachState, iteration: number): ChildLaunch {
  const def = o.def.steps.get(st.stepId)!.step as ForeachStep;
  const params = inheritedParams(o.s, st, def);
  params['loop_index'] = iteration - 1;
  let idx = iteration - 1;
  for (const [name, arr] of loopArrays(st, st.stepId)) {
    params[name] = arr[idx % arr.length];
    idx = Math.floor(idx / arr.length);
  }
  const reads = foreachReads(o.def, st.stepId);
  const report: Record<string, string[]> | undefined = reads.length > 0 ? {} : undefined;
  for (const [inner, name] of reads) (report![inner] ??= []).push(name);
  const again = loop.restarted?.[iteration];
  if (again) return childLaunch(o, st, 'foreach', loop.workflowId, iteration, again.runId, params, report, again.policy);
  return childLaunch(o, st, 'foreach', loop.workflowId, iteration, loop.runId, params, report, iteration <= loop.existing ? loop.rerun : undefined);
}

/** The run of iteration `n` the loop waits for: its own restart's, else the loop's. */
export function iterationRunId(loop: ForeachState, n: number): number {
  return loop.restarted?.[n]?.runId ?? loop.runId;
}

/**
 * One ended iteration of a running foreach runs again (Maestro allows it while the loop runs,
 * as a pending RESTART action): not under FAIL_IMMEDIATELY, only an iteration already launched
 * and ended, and not one being restarted already. It takes no window slot (Maestro's restart
 * ignores the concurrency limit); its earlier run leaves the loop's counts.
 */
export function restartIteration(t: Transition, ev: Extract<InstanceEvent, { t: 'iteration-restart' }>): void {
  const cur = t.s.steps[ev.stepId];
  const what = `iteration ${ev.iteration} of foreach ${ev.stepId}`;
  if (!cur || cur.loop?.kind !== 'foreach') throw new PreconditionError(`cannot restart ${what}: ${ev.stepId} is not a foreach step of ${t.key}`);
  if (cur.status !== 'RUNNING') throw new PreconditionError(`cannot restart ${what} on its own: the foreach is ${cur.status}; restart the instance`);
  if ((t.definition(ev.stepId).failureMode ?? 'FAIL_AFTER_RUNNING') === 'FAIL_IMMEDIATELY') {
    throw new PreconditionError(`cannot restart ${what} while the loop runs: its failure_mode is FAIL_IMMEDIATELY`);
  }
  const cl = cur.loop;
  if (ev.iteration < 1 || ev.iteration > cl.next) throw new PreconditionError(`cannot restart ${what}: it was not launched yet`);
  if (cl.running.includes(ev.iteration)) throw new PreconditionError(`cannot restart ${what}: it is running (or being restarted already)`);
  if (cl.kept && inRanges(cl.kept, ev.iteration)) throw new PreconditionError(`cannot restart ${what}: it SUCCEEDED in an earlier run and is kept`);
  if (!inRanges(cl.done[ev.prior.status] ?? [], ev.iteration)) {
    throw new PreconditionError(`cannot restart ${what}: the loop does not know it as ${ev.prior.status}`);
  }
  if (ev.runId <= iterationRunId(cl, ev.iteration)) throw new PreconditionError(`cannot restart ${what}: run ${ev.runId} is not newer than its run ${iterationRunId(cl, ev.iteration)}`);
  const st = t.step(ev.stepId);
  const loop = ownLoop(t, st) as ForeachState;
  const left = removeFromRanges(loop.done[ev.prior.status]!, ev.iteration);
  const done = { ...loop.done };
  if (left.length > 0) done[ev.prior.status] = left;
  else delete done[ev.prior.status];
  loop.done = done;
  loop.rollup = subtractRollup(loop.rollup, ev.prior.rollup);
  loop.failed = (done.FAILED?.length ?? 0) > 0;
  loop.running = [...loop.running, ev.iteration].sort((a, b) => a - b);
  loop.restarted = { ...loop.restarted, [ev.iteration]: { runId: ev.runId, policy: ev.policy } };
  t.commands.push({ c: 'launch', launch: iterationLaunch(ownerOf(t), st, loop, ev.iteration) });
}

function onForeachEnded(t: Transition, id: string, ev: Extract<InstanceEvent, { t: 'child-ended' }>, end: Ended): void {
  const st = t.step(id);
  const loop = ownLoop(t, st) as ForeachState;
  const at = loop.running.indexOf(ev.instanceId);
  if (at < 0) return;
  loop.running = loop.running.filter((n) => n !== ev.instanceId);
  loop.done = { ...loop.done, [ev.status]: addToRanges(loop.done[ev.status] ?? [], ev.instanceId) };
  loop.rollup = addRollup(loop.rollup, ev.rollup);
  if (loop.values && ev.outputs) {
    const values = { ...loop.values };
    for (const [inner, params] of Object.entries(ev.outputs)) {
      for (const [name, v] of Object.entries(params)) {
        const key = `${inner}.${name}`;
        values[key] = setChunked(values[key] ?? [], ev.instanceId - 1, v);
      }
    }
    loop.values = values;
  }
  if (ev.status === 'FAILED' && !loop.failed) {
    loop.failed = true;
    if ((t.definition(id).failureMode ?? 'FAIL_AFTER_RUNNING') === 'FAIL_IMMEDIATELY' && loop.running.length > 0) {
      t.commands.push({ c: 'stop-children', workflowId: loop.workflowId, instanceIds: loop.running, reason: `foreach ${id} failed (FAIL_IMMEDIATELY)` });
      loop.running = [];
    }
  }
  pumpForeach(t, id, end);
}

/** (innerStepId, param) pairs this workflow reads back with params.getFromForeach('<id>', ...), cached per version. */
function foreachReads(def: CompiledWorkflow, foreachId: string): Array<[string, string]> {
  let all = READS.get(def);
  if (!all) {
    all = new Map();
    const text = JSON.stringify(def.request.workflow.steps);
    const re = /getFromForeach\(\s*\\?['"]([^'"\\]+)\\?['"]\s*,\s*\\?['"]([^'"\\]+)\\?['"]\s*,\s*\\?['"]([^'"\\]+)\\?['"]\s*\)/g;
    for (const m of text.matchAll(re)) {
      const list = all.get(m[1]!) ?? [];
      if (!list.some(([a, b]) => a === m[2] && b === m[3])) list.push([m[2]!, m[3]!]);
      all.set(m[1]!, list);
    }
    READS.set(def, all);
  }
  return all.get(foreachId) ?? [];
}
const READS = new WeakMap<CompiledWorkflow, Map<string, Array<[string, string]>>>();

/** params.getFromForeach: one value per iteration (Java's default where an iteration has none). */
export function getFromForeach(t: Transition, foreachId: string, innerId: string, name: string): unknown[] {
  const st = t.s.steps[foreachId];
  const loop = st?.loop;
  if (!loop || loop.kind !== 'foreach') throw new Error(`getFromForeach: step ${foreachId} is not a foreach step that ran`);
  const chunks = loop.values?.[`${innerId}.${name}`] ?? [];
  const sample = chunks.flat().find((v) => v !== undefined && v !== null);
  const fallback = typeof sample === 'number' ? 0 : typeof sample === 'boolean' ? false : null;
  const out: unknown[] = [];
  for (let i = 0; i < loop.total; i++) out.push(chunks[Math.floor(i / CHUNK)]?.[i % CHUNK] ?? fallback);
  return out;
}

/** Values by index in chunks, so that setting one copies a chunk and the chunk list, not every value (a 25,000-iteration loop). */
const CHUNK = 256;
function setChunked(chunks: unknown[][], index: number, value: unknown): unknown[][] {
  const out = chunks.slice();
  const c = Math.floor(index / CHUNK);
  while (out.length <= c) out.push([]);
  const chunk = out[c]!.slice();
  while (chunk.length < index % CHUNK) chunk.push(null);
  chunk[index % CHUNK] = value;
  out[c] = chunk;
  return out;
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
  if (prev && t.s.runPolicy !== 'RESTART_FROM_BEGINNING' && prev.iterations > 0) {
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
  const rerun = iteration <= loop.existing ? (o.s.runPolicy === 'RESTART_FROM_BEGINNING' ? 'RESTART_FROM_BEGINNING' : 'RESTART_FROM_INCOMPLETE') : undefined;
  const launch = childLaunch(o, st, 'while', loop.workflowId, iteration, loop.runId, params, undefined, rerun);
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
  }
  st.loop = loop;
  t.commands.push({ c: 'launch', launch: subworkflowLaunch(ownerOf(t), st, loop) });
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
  const launch = childLaunch(o, st, 'subworkflow', loop.workflowId, loop.instanceId, loop.runId ?? 1, params, loop.sync ? {} : undefined, loop.rerun);
  launch.version = loop.version ?? loop.versionSpec;
  launch.requestId = `[${s.workflowId}][${s.instanceId}][${s.runId}][${st.stepId}][${a.attempt}][${uuid}]`;
  return launch;
}

function onSubworkflowStarted(t: Transition, id: string, ev: Extract<InstanceEvent, { t: 'child-started' }>, end: Ended): void {
  const st = t.step(id);
  const loop = ownLoop(t, st) as SubworkflowState;
  if (loop.instanceId !== undefined && loop.runId === ev.runId) return;
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
    if ((cur.loop as WhileState).runId === ev.runId) onWhileEnded(t, ev.stepId, ev, end);
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

/**
 * The tree an instance belongs to: its root's correlation id. A root's own is Maestro's
 * "<wf>:<instance>:<run>" of the run that created it.
 */
export function correlationOf(s: InstanceState): string {
  return s.correlationId ?? `${s.workflowId}:${s.instanceId}:${s.runs[0]?.runId ?? s.runId}`;
}

function inheritedWorkflowParams(s: InstanceState): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s.params)) if (!NOT_PASSED.has(k)) out[k] = v.value;
  return out;
}

/** Loop iterations: the parent's workflow params, then the loop step's own user params (loop_params excluded). */
function inheritedParams(s: InstanceState, st: StepState, def: ForeachStep | WhileStep): Record<string, unknown> {
  const out = inheritedWorkflowParams(s);
  for (const name of Object.keys(def.params)) {
    if (name === 'loop_params') continue;
    const v = st.params[name];
    if (v) out[name] = v.value;
  }
  return out;
}

function childLaunch(
  o: Owner,
  st: StepState,
  kind: ChildLaunch['kind'],
  workflowId: string,
  instanceId: number | undefined,
  runId: number,
  params: Record<string, unknown>,
  report: Record<string, string[]> | undefined,
  restart: ChildLaunch['restart'],
): ChildLaunch {
  const s = o.s;
  const a = currentAttempt(st)!;
  const def = o.def.steps.get(st.stepId)!.step;
  const parent: ParentRef = { workflowId: s.workflowId, instanceId: s.instanceId, runId: s.runId, stepId: st.stepId, attempt: a.attempt, sync: def.kind === 'subworkflow' ? def.sync : true };
  if (report) parent.report = report;
  const launch: ChildLaunch = {
    kind,
    workflowId,
    runId,
    version: s.source?.version ?? o.def.version,
    params,
    parent,
    depth: (s.depth ?? 0) + 1,
    correlationId: correlationOf(s),
  };
  const isc = s.instanceStepConcurrency ?? o.def.request.workflow.instanceStepConcurrency;
  if (isc !== undefined) launch.instanceStepConcurrency = isc; // Maestro passes it down the tree
  if (instanceId !== undefined) launch.instanceId = instanceId;
  if (kind !== 'subworkflow') launch.source = { workflowId: s.source?.workflowId ?? s.workflowId, version: s.source?.version ?? s.version, path: [...(s.source?.path ?? []), st.stepId] };
  if (restart) launch.restart = restart;
  return launch;
}

/** The step's composite state, copied once per transition before it changes. */
function ownLoop(t: Transition, st: StepState): NonNullable<StepState['loop']> {
  const loop = st.loop!;
  if (t.owns(loop)) return loop;
  const copy = { ...loop } as NonNullable<StepState['loop']>;
  t.own(copy);
  st.loop = copy;
  return copy;
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
