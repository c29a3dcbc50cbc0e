/**
 * Dry run (Maestro's DryRunValidator, reduced to what can be known without running anything):
 * every typed step, nested ones included, must have a step runtime in this deployment, and a
 * subworkflow step must say which workflow to run.
 */
import type { Step, WorkflowCreateRequest } from './model.js';
import { assertNever } from '../errors.js';
import { fail, join } from './reader.js';

/** Whether some executor can run steps of `type` (and `subType`, when the step has one). */
export type KnownStepTypes = (type: string, subType?: string) => boolean;

export function validateForRuntime(req: WorkflowCreateRequest, knownStepTypes: KnownStepTypes): void {
  checkSteps(req.workflow.steps, 'workflow.steps', knownStepTypes);
}

function checkSteps(steps: readonly Step[], path: string, known: KnownStepTypes): void {
  steps.forEach((step, i) => {
    const p = join(join(path, i), step.kind);
    switch (step.kind) {
      case 'step':
        if (!known(step.type, step.subType)) {
          const sub = step.subType === undefined ? '' : ` (sub_type ${step.subType})`;
          fail(join(p, 'type'), `no runtime for step type ${step.type}${sub} in this deployment`);
        }
        return;
      case 'foreach':
      case 'while':
        checkSteps(step.steps, join(p, 'steps'), known);
        return;
      case 'subworkflow':
        if (!Object.hasOwn(step.params, 'subworkflow_id')) {
          fail(join(p, 'params'), "a subworkflow step needs a 'subworkflow_id' param naming the workflow to run");
        }
        return;
      case 'template':
        fail(p, 'no runtime for template steps (Maestro has none either)');
        return;
      default:
        assertNever(step, 'step kind');
    }
  });
}
