/**
 * The tags a step acquires in WAITING_FOR_PERMITS (maestro-semantics §7; Maestro's
 * WorkflowSummary.deriveRuntimeTagPermits plus the step's own tags). A pure function of the
 * workflow version and the instance's identity, so replay derives the same tags.
 */
import type { Step, WorkflowCreateRequest } from '../definition/model.js';
import { DEFAULT_STEP_CONCURRENCY, MAESTRO_TAG_PREFIX, type PermitTag } from './model.js';

/**
 * - instance_step_concurrency unset: `maestro_<workflowId>` (step_concurrency, default 20) and
 *   `maestro_<workflowId>:<stepId>` (20);
 * - set: `maestro_<workflowId>` only when step_concurrency is set, and for leaf steps
 *   `maestro_<correlationId>` (instance_step_concurrency: the definition's, or the one a child
 *   inherited from its parent — `isc`);
 * - then the step's own tags, limited only through the API (a definition cannot set a permit).
 */
export function stepPermitTags(request: WorkflowCreateRequest, workflowId: string, correlationId: string, step: Step, isc = request.workflow.instanceStepConcurrency): PermitTag[] {
  const tags: PermitTag[] = [];
  const sc = request.properties.stepConcurrency;
  if (isc === undefined) {
    tags.push({ name: `${MAESTRO_TAG_PREFIX}${workflowId}`, inlineLimit: sc ?? DEFAULT_STEP_CONCURRENCY });
    tags.push({ name: `${MAESTRO_TAG_PREFIX}${workflowId}:${step.id}`, inlineLimit: DEFAULT_STEP_CONCURRENCY });
  } else {
    if (sc !== undefined) tags.push({ name: `${MAESTRO_TAG_PREFIX}${workflowId}`, inlineLimit: sc });
    if (isLeaf(step)) tags.push({ name: `${MAESTRO_TAG_PREFIX}${correlationId}`, inlineLimit: isc });
  }
  for (const t of step.tags) if (!tags.some((x) => x.name === t.name)) tags.push({ name: t.name });
  return tags;
}

/** foreach, while and subworkflow steps are not leaves (they hold their permits while their children run). */
export function isLeaf(step: Step): boolean {
  return step.kind !== 'foreach' && step.kind !== 'while' && step.kind !== 'subworkflow';
}
