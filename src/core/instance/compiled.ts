/**
 * A workflow version prepared for the state machine: steps by id with their incoming and
 * outgoing edges. Built once per (workflow, version) and shared by every instance (immutable).
 */
import type { Step, WorkflowCreateRequest } from '../definition/model.js';

export interface Edge {
  from: string;
  to: string;
  condition: string;
}

export interface CompiledStep {
  step: Step;
  /** Position in the definition; ties are started in this order. */
  index: number;
  incoming: Edge[];
  outgoing: Edge[];
}

export interface CompiledWorkflow {
  request: WorkflowCreateRequest;
  version: number;
  steps: Map<string, CompiledStep>;
  /** Step ids in definition order. */
  order: string[];
}

export function compileWorkflow(request: WorkflowCreateRequest, version: number): CompiledWorkflow {
  const steps = new Map<string, CompiledStep>();
  request.workflow.steps.forEach((step, index) => {
    steps.set(step.id, { step, index, incoming: [], outgoing: [] });
  });
  for (const cs of steps.values()) {
    for (const [to, condition] of Object.entries(cs.step.transition.successors)) {
      const edge = { from: cs.step.id, to, condition };
      cs.outgoing.push(edge);
      steps.get(to)?.incoming.push(edge);
    }
  }
  return { request, version, steps, order: request.workflow.steps.map((s) => s.id) };
}
