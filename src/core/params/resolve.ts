/**
 * Workflow and step params, merged and evaluated (Maestro's ParamsManager + ParamEvaluator).
 *
 * Workflow, at start:   system defaults <- definition params <- run params
 * Workflow, at restart: previous run's values (IMMUTABLE ones re-evaluated) <- restart params
 * Step:                 step system params (+ those of its kind) <- step definition <- step run params
 *
 * Then every param is evaluated lazily in declaration order (see evaluate.ts), and the result
 * is checked against JSONIFIED_PARAMS_STRING_SIZE_LIMIT.
 */
import type { ParamDefinitions, Step } from '../definition/model.js';
import { applyPlain, cleanup, mergeDefinitions, restartSpecs, userStage } from './assemble.js';
import { ParamGraph } from './evaluate.js';
import { resolveReference } from './functions.js';
import { checkTotalSize } from './limits.js';
import { stepDefaults, workflowDefaults } from './system-params.js';
import type { ParamValue, ParamValues, StepParamContext, WorkflowParamContext } from './types.js';

const PATH = 'params';

/**
 * Merges system defaults, definition params, run params (start) and restart params per
 * Maestro's order and modes, and evaluates them. On a restart `runParams` are ignored (the
 * previous values already hold them); only `restart.restartParams` are merged.
 * Throws a ValidationError (path `params.<name>`) on a change a mode forbids, a type mismatch, a
 * failing validator or expression, a cycle, an invalid or reserved name, or a size limit.
 */
export function resolveWorkflowParams(defs: ParamDefinitions | undefined, runParams: Record<string, unknown> | undefined, ctx: WorkflowParamContext): ParamValues {
  let specs = workflowDefaults();
  mergeDefinitions(specs, defs, PATH);
  if (ctx.restart) {
    specs = restartSpecs(specs, ctx.restart.previous);
    applyPlain(specs, ctx.restart.restartParams, userStage(ctx.system.initiatorType, true, 'restart params'), PATH);
  } else {
    applyPlain(specs, runParams, userStage(ctx.system.initiatorType, false, 'run params'), PATH);
  }
  cleanup(specs, PATH);
  const graph = new ParamGraph({
    specs,
    path: PATH,
    env: ctx.env,
    system: ctx.system,
    outer(name) {
      return resolveReference(name, { signals: ctx.signals });
    },
    functions: { workflowLevel: true, signals: ctx.signals, extensions: ctx.extensions },
  });
  const values = graph.evaluateAll();
  checkTotalSize(values, PATH);
  return values;
}

/**
 * Evaluates one step's params: the step system params (workflow_instance_id,
 * step_instance_uuid, step_attempt_id, step_id, and loop_params/loop_index for loops,
 * subworkflow_id/version for subworkflows), the step definition's params, then `ctx.runParams`.
 * Bare names resolve to this step's params, then the workflow params; `stepId__param` and
 * `params.getFromStep` read other steps' params.
 */
export function resolveStepParams(step: Step, ctx: StepParamContext): ParamValues {
  if (step.kind === 'step' && Object.keys(step.params).length === 0 && !ctx.runParams) return systemOnly(step, ctx);
  const path = `steps.${step.id}.params`;
  const specs = stepDefaults(step, ctx);
  mergeDefinitions(specs, step.params, path);
  const restart = ctx.system.runPolicy !== 'START_FRESH_NEW_RUN';
  const stage = userStage(ctx.system.initiatorType, restart, restart ? 'step restart params' : 'step run params');
  applyPlain(specs, ctx.runParams, { ...stage, privileged: false }, path);
  cleanup(specs, path);
  const fields = {
    step_id: step.id,
    step_instance_uuid: ctx.stepInstanceUuid,
    step_attempt_id: ctx.attempt,
    step_type_info: step.kind === 'step' ? step.subType || step.type.toUpperCase() : step.kind.toUpperCase(),
  };
  const graph: ParamGraph = new ParamGraph({
    specs,
    path,
    env: ctx.env,
    system: ctx.system,
    outer(name) {
      return (
        ctx.workflowParams[name] ??
        resolveReference(name, { ownStepId: step.id, own: (n) => graph.lookup(n), stepParams: ctx.stepParams, signals: ctx.signals })
      );
    },
    functions: {
      workflowLevel: false,
      step: { id: step.id, fields },
      stepParams: ctx.stepParams,
      stepFacts: ctx.stepFacts,
      signals: ctx.signals,
      extensions: ctx.extensions,
    },
  });
  const values = graph.evaluateAll();
  checkTotalSize(values, path);
  return values;
}

/**
 * The hot path: a typed step with no params of its own gets exactly its four reserved system
 * params, so it skips the graph (same values as the general path; a test compares them).
 */
function systemOnly(step: Step, ctx: StepParamContext): ParamValues {
  return {
    workflow_instance_id: sys('LONG', ctx.system.instanceId),
    step_instance_uuid: sys('STRING', ctx.stepInstanceUuid),
    step_attempt_id: sys('LONG', ctx.attempt),
    step_id: sys('STRING', step.id),
  };
}

function sys(type: 'LONG' | 'STRING', value: unknown): ParamValue {
  return { type, value, mode: 'CONSTANT', source: 'SYSTEM_DEFAULT' };
}
