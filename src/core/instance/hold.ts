/**
 * What can hold a step at INITIALIZED, and the runtime DAG of a RESTART_FROM_SPECIFIC run.
 *
 * - A restart's skip_steps: the step is SKIPPED as it would start (once), and its successors
 *   evaluate normally [Maestro MaestroTask `isStepSkipped`].
 * - A breakpoint on (workflow, step): the attempt goes to PAUSED before the signal wait and param
 *   evaluation; each new attempt pauses again while the breakpoint exists [MaestroTask,
 *   MaestroStepBreakpointDao]. Whether one matched is the node's answer (ctx.breakpoint), kept as
 *   a 'breakpoint' decision recorded only when it matched (Decisions.decideFlag), so replay
 *   never asks and histories without breakpoints fold as before.
 */
import type { Edge } from './compiled.js';
import type { Transition } from './transition.js';
import { currentAttempt } from './transition.js';
import type { StepStatus } from '../status.js';

/** True when the new attempt of `id` stops at INITIALIZED: skipped, or paused at a breakpoint. */
export function holdAtInitialized(t: Transition, id: string): boolean {
  const skip = t.s.skipSteps;
  if (skip?.includes(id)) {
    const rest = skip.filter((x) => x !== id);
    if (rest.length > 0) t.s.skipSteps = rest;
    else delete t.s.skipSteps;
    endStepAs(t, id, 'SKIPPED');
    return true;
  }
  // Inside a foreach/while iteration a breakpoint is set on the root workflow and the inner
  // step (step ids are unique across nesting): it pauses that step in every iteration of every
  // instance, as Maestro's inline-workflow prefix key does.
  const workflowId = t.s.source?.workflowId ?? t.s.workflowId;
  if (t.decideFlag('breakpoint', () => t.ctx.breakpoint?.(workflowId, id) === true)) {
    t.setStepStatus(id, 'PAUSED');
    return true;
  }
  return false;
}

/** Sets a terminal status on the step and its current attempt, with the end time. */
export function endStepAs(t: Transition, id: string, status: StepStatus, error?: string): void {
  const st = t.setStepStatus(id, status);
  const a = currentAttempt(st);
  if (a) {
    a.endedAtMs = t.atMs;
    if (error !== undefined) a.error = error;
  }
  st.endedAtMs = t.atMs;
}

/**
 * The incoming edges that count in this run. A RESTART_FROM_SPECIFIC run's runtime DAG is its
 * start steps and everything downstream of them; edges from steps outside it (carried over from
 * earlier runs) do not count, so a start step runs whatever its old predecessors said
 * [Maestro WorkflowGraph.computeDag]. Other runs use every edge (as they always have).
 */
export function runtimeIncoming(t: Transition, id: string): readonly Edge[] {
  const incoming = t.ctx.def.steps.get(id)!.incoming;
  const carried = t.s.carried;
  if (t.s.runPolicy !== 'RESTART_FROM_SPECIFIC' || !carried || carried.length === 0) return incoming;
  return incoming.filter((e) => !carried.includes(e.from));
}
