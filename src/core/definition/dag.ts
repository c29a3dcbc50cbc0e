/**
 * One step list (the workflow's, or a foreach/while body) compiled into a graph.
 *
 * Invariants of a CompiledDag:
 * - ids are unique within the list and every successor is a sibling in the same list (a nested
 *   list never references the outer one, nor the other way round);
 * - the graph is acyclic, so `order` (a topological order) contains every step exactly once;
 *   among steps that are ready together, the one declared first comes first;
 * - `startSteps` are the steps without predecessors, in declaration order; there is at least
 *   one, since a non-empty acyclic graph has a source.
 * Any violation throws a ValidationError naming the step field at fault under `path`.
 */
import type { Step } from './model.js';
import { MaestroError } from '../errors.js';
import { fail, join } from './reader.js';

export interface DagEdge {
  /** The step at the other end of the edge. */
  stepId: string;
  /** The SEL condition written on the predecessor's transition for this edge. */
  condition: string;
}

export interface CompiledDag {
  /** Step ids in declaration order. */
  stepIds: readonly string[];
  steps: ReadonlyMap<string, Step>;
  /** Outgoing edges per step id (edge.stepId is the successor), in declaration order. */
  successors: ReadonlyMap<string, readonly DagEdge[]>;
  /** Incoming edges per step id (edge.stepId is the predecessor), in declaration order. */
  predecessors: ReadonlyMap<string, readonly DagEdge[]>;
  startSteps: readonly string[];
  /** Steps without successors, in declaration order. */
  endSteps: readonly string[];
  /** Topological order. */
  order: readonly string[];
}

export function compileDag(steps: readonly Step[], path = 'workflow.steps'): CompiledDag {
  const stepPath = (i: number): string => join(join(path, i), steps[i]!.kind);
  const index = new Map<string, number>();
  steps.forEach((s, i) => {
    if (index.has(s.id)) fail(join(stepPath(i), 'id'), `duplicate step id '${s.id}'`);
    index.set(s.id, i);
  });
  const successors = new Map<string, DagEdge[]>();
  const predecessors = new Map<string, DagEdge[]>();
  for (const s of steps) {
    successors.set(s.id, []);
    predecessors.set(s.id, []);
  }
  steps.forEach((s, i) => {
    for (const [to, condition] of Object.entries(s.transition.successors)) {
      if (!index.has(to)) {
        const siblings = steps.map((x) => x.id).join(', ');
        fail(
          join(join(join(stepPath(i), 'transition'), 'successors'), to),
          `successor '${to}' of step '${s.id}' is not a step of this step list (a transition may only reference sibling steps: ${siblings})`,
        );
      }
      successors.get(s.id)!.push({ stepId: to, condition });
      predecessors.get(to)!.push({ stepId: s.id, condition });
    }
  });
  steps.forEach((s, i) => checkPredecessors(s, predecessors.get(s.id)!, join(join(stepPath(i), 'transition'), 'predecessors')));

  const order = topologicalOrder(steps, index, successors, predecessors);
  if (order.length < steps.length) {
    const done = new Set(order);
    const cycle = findCycle(steps.filter((s) => !done.has(s.id)).map((s) => s.id), successors);
    const from = cycle[cycle.length - 2]!;
    const to = cycle[cycle.length - 1]!;
    fail(
      join(join(join(stepPath(index.get(from)!), 'transition'), 'successors'), to),
      `steps form a cycle: ${cycle.join(' -> ')}`,
    );
  }
  return {
    stepIds: steps.map((s) => s.id),
    steps: new Map(steps.map((s) => [s.id, s])),
    successors,
    predecessors,
    startSteps: steps.filter((s) => predecessors.get(s.id)!.length === 0).map((s) => s.id),
    endSteps: steps.filter((s) => successors.get(s.id)!.length === 0).map((s) => s.id),
    order,
  };
}

/** Maestro's rule: an explicit predecessor list must equal the one the successors imply. */
function checkPredecessors(step: Step, incoming: readonly DagEdge[], path: string): void {
  const given = step.transition.predecessors;
  if (given === undefined || given.length === 0) return;
  const computed = incoming.map((e) => e.stepId);
  const same = given.length === computed.length && given.every((id) => computed.includes(id));
  if (!same) {
    fail(path, `predecessors [${given.join(', ')}] of step '${step.id}' do not match the DAG, which gives [${computed.join(', ')}]`);
  }
}

/** Kahn's algorithm, always taking the earliest-declared ready step. */
function topologicalOrder(
  steps: readonly Step[],
  index: ReadonlyMap<string, number>,
  successors: ReadonlyMap<string, readonly DagEdge[]>,
  predecessors: ReadonlyMap<string, readonly DagEdge[]>,
): string[] {
  const pending = new Map(steps.map((s) => [s.id, predecessors.get(s.id)!.length]));
  const ready = steps.filter((s) => pending.get(s.id) === 0).map((s) => index.get(s.id)!);
  const order: string[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const id = steps[ready.shift()!]!.id;
    order.push(id);
    for (const e of successors.get(id)!) {
      const left = pending.get(e.stepId)! - 1;
      pending.set(e.stepId, left);
      if (left === 0) ready.push(index.get(e.stepId)!);
    }
  }
  return order;
}

/** A cycle among `ids` (every one of them lies on or leads into a cycle), closed: [a, b, ..., a]. */
function findCycle(ids: readonly string[], successors: ReadonlyMap<string, readonly DagEdge[]>): string[] {
  const remaining = new Set(ids);
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    state.set(id, 'open');
    stack.push(id);
    for (const e of successors.get(id)!) {
      if (!remaining.has(e.stepId)) continue;
      const st = state.get(e.stepId);
      if (st === 'open') return [...stack.slice(stack.indexOf(e.stepId)), e.stepId];
      if (st === undefined) {
        const found = visit(e.stepId);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of ids) {
    if (state.has(id)) continue;
    const found = visit(id);
    if (found) return found;
  }
  throw new MaestroError('internal', 'compileDag: steps left unordered but no cycle found');
}
