/**
 * The param maps of a step's signals (Maestro's ParamEvaluator
 * `evaluateSignalDependenciesOrOutputsParameters`): a signal dependency's match params and a
 * signal output's params and payload, each evaluated as one small param graph over what the
 * step sees at that point.
 *
 * - Dependencies are evaluated before the step's own params exist: bare names read the workflow
 *   params, `stepId__param` reads upstream steps (pass no `own`).
 * - Outputs are evaluated in FINISHING: bare names read the step's own params first (`own`).
 */
import type { ParamDefinitions } from '../definition/model.js';
import type { TypedValue } from '../expr-port.js';
import { cleanup, mergeDefinitions } from './assemble.js';
import { ParamGraph } from './evaluate.js';
import { resolveReference } from './functions.js';
import { interpolate } from './interpolate.js';
import type { ParamSpec } from './spec.js';
import type { EvalEnv, ParamExtensions, ParamValues, SignalContext, SystemContext } from './types.js';

export interface SignalParamContext {
  env: EvalEnv;
  system: SystemContext;
  stepId: string;
  workflowParams: ParamValues;
  stepParams(stepId: string): ParamValues | undefined;
  /** The step's own evaluated params (outputs only). */
  own?: ParamValues;
  signals?: SignalContext;
  extensions?: ParamExtensions;
}

/** A bare name as a signal's params see it: own params (outputs), workflow params, then `step__param`. */
function lookupOf(ctx: SignalParamContext): (name: string) => TypedValue | undefined {
  const own = ctx.own;
  return (name) =>
    own?.[name] ??
    ctx.workflowParams[name] ??
    resolveReference(name, { ownStepId: own ? ctx.stepId : undefined, own: own ? (n) => own[n] : undefined, stepParams: ctx.stepParams, signals: ctx.signals });
}

/** A signal name with its `${}` / `$name` references replaced (Maestro interpolates names). */
export function interpolateSignalName(name: string, ctx: SignalParamContext, path: string): string {
  return interpolate(name, lookupOf(ctx), path);
}

/** Evaluates one param map of a signal; throws a ValidationError naming `path.<param>` on failure. */
export function evaluateSignalParams(defs: ParamDefinitions, ctx: SignalParamContext, path: string): ParamValues {
  const specs = new Map<string, ParamSpec>();
  mergeDefinitions(specs, defs, path);
  cleanup(specs, path);
  const outer = lookupOf(ctx);
  const own = ctx.own;
  const fields: Record<string, unknown> = {};
  for (const f of ['step_id', 'step_instance_uuid', 'step_attempt_id']) if (own?.[f]) fields[f] = own[f].value;
  const graph = new ParamGraph({
    specs,
    path,
    env: ctx.env,
    system: ctx.system,
    outer,
    functions: {
      workflowLevel: false,
      step: own ? { id: ctx.stepId, fields } : undefined,
      stepParams: ctx.stepParams,
      signals: ctx.signals,
      extensions: ctx.extensions,
    },
  });
  return graph.evaluateAll();
}
