/**
 * foreach steps (maestro-semantics §1, Maestro's ForeachStepRuntime): iterations as instances of
 * the loop's inline workflow, launched through a concurrency window (a sliding one with
 * strict_ordering), counted by status in compressed id ranges, restarted one by one while the
 * loop runs, and read back with getFromForeach. composite.ts dispatches to it.
 */
import { PreconditionError } from '../errors.js';
import type { ForeachStep } from '../definition/model.js';
import type { ChildLaunch } from './commands.js';
import type { InstanceEvent, RestartNode } from './events.js';
import type { WorkflowStatus } from '../status.js';
import { inlineWorkflowId } from './inline.js';
import type { CompiledWorkflow } from './compiled.js';
import type { ForeachState, IdRanges, IterationRestart, StepState } from './state.js';
import type { Transition } from './transition.js';
import { addRollup, addToRanges, emptyRollup, formatRanges, inRanges, removeFromRanges, subtractRollup, union } from './rollup.js';
import { ITERATION_LIMIT, childLaunch, inheritedParams, ownLoop, ownerOf, restartLaunch, type Ended, type Owner } from './composite-launch.js';

/** Maestro's DEFAULT_STEP_CONCURRENCY: a foreach's concurrency when nothing else bounds it. */
export const DEFAULT_FOREACH_CONCURRENCY = 20;

export function startForeach(t: Transition, id: string, def: ForeachStep, st: StepState, prev: ForeachState | undefined, end: Ended): void {
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
  const node = prev ? pathNode(t, loop.workflowId) : undefined;
  if (prev) {
    if (prev.total !== total) return end(t, id, 'FATALLY_FAILED', `foreach ${id}: a restart must keep the iteration count (${prev.total}), got ${total}`);
    if (node) {
      const error = keepForSpecific(loop, prev, node, t.s.restartPath!.slice(1));
      if (error) return end(t, id, 'FATALLY_FAILED', `foreach ${id}: ${error}`);
    } else if (t.s.runPolicy !== 'RESTART_FROM_BEGINNING') {
      // The SUCCEEDED iterations as the earlier run ended. (Before restart paths, `kept` was
      // always within done.SUCCEEDED, so older journals fold the same; since, a kept iteration
      // may have been restarted and failed, or kept FAILED by a RESTART_FROM_SPECIFIC.)
      const kept = prev.done.SUCCEEDED ?? [];
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
  if (node) {
    // Maestro's pending RESTART action for the iteration the path names: taken at once, outside the window.
    loop.running = [node.instanceId];
    t.commands.push({ c: 'launch', launch: iterationLaunch(ownerOf(t), st, loop, node.instanceId) });
  }
  pumpForeach(t, id, end);
}

/** The level of this run's restart path that names an iteration of the loop `workflowId` (only the restart step's loop). */
export function pathNode(t: Transition, workflowId: string): RestartNode | undefined {
  const node = t.s.runPolicy === 'RESTART_FROM_SPECIFIC' ? t.s.restartPath?.[0] : undefined;
  return node?.workflowId === workflowId ? node : undefined;
}

/**
 * RESTART_FROM_SPECIFIC through iteration k (maestro-semantics §1.5, Maestro's
 * initiateAndGetByPrevMaxIterationId with an iteration to reset): every terminal iteration of the
 * earlier run is kept as it ended, FAILED and STOPPED ones too; k runs again (a new run of its
 * instance, from the path's step) and leaves the counts, its earlier rollup taken out; iterations
 * never launched are launched as usual. Returns why it cannot, if so.
 */
function keepForSpecific(loop: ForeachState, prev: ForeachState, node: RestartNode, below: RestartNode[]): string | undefined {
  const k = node.instanceId;
  let found: WorkflowStatus | undefined;
  const done: ForeachState['done'] = {};
  let kept: IdRanges = [];
  for (const [status, ranges] of Object.entries(prev.done) as Array<[WorkflowStatus, IdRanges]>) {
    let left = ranges;
    if (inRanges(ranges, k)) {
      found = status;
      left = removeFromRanges(ranges, k);
    }
    if (left.length > 0) done[status] = left;
    kept = union(kept, left);
  }
  if (found === undefined) return `iteration ${k} on the restart path is not an ended iteration of the earlier run (ended: ${formatRanges(kept) || 'none'})`;
  loop.done = done;
  if (kept.length > 0) loop.kept = kept;
  // Maestro's checkpoint: the launch cursor starts past the leading iterations that are kept or k.
  let next = 0;
  while (next < loop.total && (next + 1 === k || inRanges(kept, next + 1))) next++;
  loop.next = next;
  loop.rollup = subtractRollup(prev.rollup, node.prior.rollup);
  loop.failed = (done.FAILED?.length ?? 0) > 0;
  loop.rerun = 'RESTART_FROM_INCOMPLETE'; // iterations of the earlier run that never ended (none, once it ended)
  const again: IterationRestart = { runId: Math.max(loop.runId, node.runId + 1), policy: node.policy };
  if (node.stepId !== undefined) again.stepId = node.stepId;
  if (below.length > 0) again.path = below;
  loop.restarted = { [k]: again };
  return undefined;
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
      if (loop.restarted?.[iteration]) continue; // restarted on its own (launched then), never launched here
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


export function iterationLaunch(o: Owner, st: StepState, loop: ForeachState, iteration: number): ChildLaunch {
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
  if (again) return restartLaunch(childLaunch(o, st, 'foreach', loop.workflowId, iteration, again.runId, params, report, again.policy), again);
  return childLaunch(o, st, 'foreach', loop.workflowId, iteration, loop.runId, params, report, iteration <= loop.existing ? loop.rerun : undefined);
}

/** The run of iteration `n` the loop waits for: its own restart's, else the loop's. */
export function iterationRunId(loop: ForeachState, n: number): number {
  return loop.restarted?.[n]?.runId ?? loop.runId;
}

/**
 * One ended iteration of a running foreach runs again (Maestro allows it while the loop runs,
 * as a pending RESTART action): not under FAIL_IMMEDIATELY, only an iteration already launched
 * (or kept from an earlier run) and ended, and not one being restarted already. It takes no window slot (Maestro's restart
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
  const again: IterationRestart = { runId: ev.runId, policy: ev.policy };
  if (ev.restartStepId !== undefined) again.stepId = ev.restartStepId;
  if (ev.path && ev.path.length > 0) again.path = ev.path;
  loop.restarted = { ...loop.restarted, [ev.iteration]: again };
  t.commands.push({ c: 'launch', launch: iterationLaunch(ownerOf(t), st, loop, ev.iteration) });
}

export function onForeachEnded(t: Transition, id: string, ev: Extract<InstanceEvent, { t: 'child-ended' }>, end: Ended): void {
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
