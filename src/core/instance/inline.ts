/**
 * Inline workflows: the body of a foreach or while step runs as a workflow of its own (Maestro's
 * inline workflow), whose instances are the loop's iterations. Its id is derived from the parent
 * instance and step, so every run of the parent shares it (Maestro: `maestro_<type>_<hash>_...`);
 * its definition is the step's body inside the root definition version — nothing is stored for
 * it, a node rebuilds it from (root workflow, version, step path).
 */
import { ValidationError } from '../errors.js';
import type { Step, WorkflowCreateRequest } from '../definition/model.js';
import type { InlineSource } from './state.js';

export const INLINE_PREFIX = 'maestro_';

/** Is this the id of an inline (foreach/while body) workflow? */
export function isInlineWorkflowId(workflowId: string): boolean {
  return workflowId.startsWith('maestro_foreach_') || workflowId.startsWith('maestro_while_');
}

/**
 * `maestro_<foreach|while>_<hash(parent workflow)>_<parent instance>_<hash(step, instance, workflow)>`.
 * Stable across runs of the parent (the run id is not part of it, as in Maestro).
 */
export function inlineWorkflowId(kind: 'foreach' | 'while', parentWorkflowId: string, parentInstanceId: number, stepId: string): string {
  const a = fnv1a(parentWorkflowId, 0x811c9dc5).toString(36);
  const k = `${stepId}\u0000${parentInstanceId}\u0000${parentWorkflowId}`;
  const b = fnv1a(k, 0x811c9dc5).toString(16).padStart(8, '0') + fnv1a(k, 0x01000193).toString(16).padStart(8, '0');
  return `${INLINE_PREFIX}${kind}_${a}_${parentInstanceId}_${b}`;
}

function fnv1a(s: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The loop step at `path` inside a definition (each element names a foreach/while step nested in the previous). */
export function loopStepAt(root: WorkflowCreateRequest, path: readonly string[]): Extract<Step, { kind: 'foreach' | 'while' }> {
  let steps: Step[] = root.workflow.steps;
  let found: Step | undefined;
  for (const id of path) {
    found = steps.find((s) => s.id === id);
    if (!found || (found.kind !== 'foreach' && found.kind !== 'while')) {
      throw new ValidationError('source.path', `workflow ${root.workflow.id} has no foreach/while step ${path.join('/')}`);
    }
    steps = found.steps;
  }
  if (!found) throw new ValidationError('source.path', 'is empty');
  return found as Extract<Step, { kind: 'foreach' | 'while' }>;
}

/**
 * The definition an iteration runs: the loop body as a workflow with no params of its own (all
 * arrive as run params) and no timeout or failure mode from the loop step (Maestro does the same);
 * the root's properties and instance_step_concurrency carry over.
 */
export function inlineRequest(root: WorkflowCreateRequest, source: InlineSource, inlineId: string): WorkflowCreateRequest {
  const step = loopStepAt(root, source.path);
  return {
    properties: root.properties,
    isActive: true,
    workflow: {
      id: inlineId,
      name: `${root.workflow.name ?? root.workflow.id}/${source.path.join('/')}`,
      tags: step.tags,
      params: {},
      steps: step.steps,
      instanceStepConcurrency: root.workflow.instanceStepConcurrency,
      timeTriggers: [],
      signalTriggers: [],
    },
  };
}
