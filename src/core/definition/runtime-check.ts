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
  checkSteps(req.workflow.steps, 'workflow.steps', knownStepTypes, true);
}

/**
 * What a definition that passed the dry run will still fail at, said up front (validate and
 * push show it): steps of a type accepted without a runtime here (`runsHere` false), and
 * template steps nested in a loop (Maestro's dry run checks only top-level ones).
 */
export function runtimeWarnings(req: WorkflowCreateRequest, runsHere: KnownStepTypes): string[] {
  const out: string[] = [];
  const walk = (steps: readonly Step[], path: string): void => {
    steps.forEach((step, i) => {
      const p = join(join(path, i), step.kind);
      if (step.kind === 'step' && !runsHere(step.type, step.subType)) out.push(`${p} (${step.id}): no runtime for step type ${step.type} here; its runs will fail${disabledHint(step.type)}`);
      else if (step.kind === 'template') out.push(`${p} (${step.id}): template steps have no runtime; its runs will fail`);
      else if (step.kind === 'foreach' || step.kind === 'while') walk(step.steps, join(p, 'steps'));
    });
  };
  walk(req.workflow.steps, 'workflow.steps');
  return out;
}

/** Step types whose runtime is off unless a node enables it, and how to enable it. */
const DISABLED_BY_DEFAULT: Record<string, string> = {
  shell: 'Shell steps run only on nodes started with --shell (setting shellEnabled; `cluster/start-local.sh`: MAESTRO_NODE_ARGS=--shell)',
};

function disabledHint(type: string): string {
  const hint = DISABLED_BY_DEFAULT[type.toLowerCase()];
  return hint === undefined ? '' : `; ${hint}`;
}

function checkSteps(steps: readonly Step[], path: string, known: KnownStepTypes, topLevel: boolean): void {
  steps.forEach((step, i) => {
    const p = join(join(path, i), step.kind);
    switch (step.kind) {
      case 'step':
        if (!known(step.type, step.subType)) {
          const sub = step.subType === undefined ? '' : ` (sub_type ${step.subType})`;
          fail(join(p, 'type'), `no runtime for step type ${step.type}${sub} in this deployment${disabledHint(step.type)}`);
        }
        return;
      case 'foreach':
      case 'while':
        checkSteps(step.steps, join(p, 'steps'), known, false);
        return;
      case 'subworkflow':
        if (!Object.hasOwn(step.params, 'subworkflow_id')) {
          fail(join(p, 'params'), "a subworkflow step needs a 'subworkflow_id' param naming the workflow to run");
        }
        return;
      case 'template':
        // Maestro's dry run checks top-level steps only: a nested template fails when it runs.
        if (topLevel) fail(p, 'no runtime for template steps (Maestro has none either)');
        return;
      default:
        assertNever(step, 'step kind');
    }
  });
}
