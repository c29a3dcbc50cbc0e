/** Scopes for expressions outside param evaluation: transition conditions, while conditions. */
import { ValidationError } from '../errors.js';
import type { EvalScope, ExpressionEngine, TypedValue } from '../expr-port.js';
import { describe } from './coerce.js';
import { paramFunctions, resolveReference } from './functions.js';
import type { ParamValues, StepParamContext, WorkflowScopeContext } from './types.js';

function isStepContext(ctx: StepParamContext | WorkflowScopeContext): ctx is StepParamContext {
  return 'attemptId' in ctx;
}

/**
 * An EvalScope where bare names resolve to `own` (a step's evaluated params), then the workflow
 * params, then `stepId__param` references to other steps' params.
 */
export function makeScope(own: ParamValues | undefined, ctx: StepParamContext | WorkflowScopeContext): EvalScope {
  const ownStepId = typeof own?.['step_id']?.value === 'string' ? (own['step_id'].value as string) : undefined;
  const lookup = (name: string): TypedValue | undefined =>
    own?.[name] ??
    ctx.workflowParams[name] ??
    resolveReference(name, { ownStepId, own: own ? (n) => own[n] : undefined, stepParams: ctx.stepParams, signals: ctx.signals });
  const fields: Record<string, unknown> = {};
  for (const f of ['step_id', 'step_instance_uuid', 'step_attempt_id']) if (own?.[f]) fields[f] = own[f].value;
  if (isStepContext(ctx)) {
    fields['step_instance_uuid'] ??= ctx.stepInstanceUuid;
    fields['step_attempt_id'] ??= ctx.attempt;
  }
  const params = paramFunctions({
    env: ctx.env,
    system: ctx.system,
    lookup,
    workflowLevel: own === undefined,
    step: ownStepId === undefined ? undefined : { id: ownStepId, fields },
    stepParams: ctx.stepParams ? (id) => ctx.stepParams!(id) : undefined,
    stepFacts: ctx.stepFacts ? (id) => ctx.stepFacts!(id) : undefined,
    signals: ctx.signals,
    extensions: ctx.extensions,
  });
  return { lookup, params, nowMs: ctx.env.nowMs, random: ctx.env.random };
}

/** Evaluates a condition to a boolean; `"true"`/`"false"` skip the engine (and building the scope, when given lazily). */
export function evaluateCondition(expr: string, scope: EvalScope | (() => EvalScope), engine: ExpressionEngine): boolean {
  const src = expr.trim();
  if (src === 'true') return true;
  if (src === 'false') return false;
  if (src === '') throw new ValidationError('condition', 'a condition must not be empty');
  let result: unknown;
  try {
    result = engine.evaluate(src, typeof scope === 'function' ? scope() : scope);
  } catch (e) {
    throw new ValidationError('condition', `condition ${JSON.stringify(expr)} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (typeof result !== 'boolean') {
    throw new ValidationError('condition', `condition ${JSON.stringify(expr)} must evaluate to a boolean, got ${describe(result)}`);
  }
  return result;
}
