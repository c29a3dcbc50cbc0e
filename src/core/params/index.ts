/**
 * Maestro's parameter model: merging system defaults, definitions, run, restart and output
 * params under the param modes, and evaluating literals, interpolations and SEL expressions in
 * dependency order. Pure: time and randomness come from EvalEnv; SEL from the ExpressionEngine
 * passed in.
 */
export { resolveWorkflowParams, resolveStepParams } from './resolve.js';
export { makeScope, evaluateCondition } from './scope.js';
export { mergeOutputs } from './outputs.js';
export { resolveParsable, toPlain } from './parsable.js';
export { interpolate, referencedNames, formatValue } from './interpolate.js';
export { coerce, inferType, javaDouble } from './coerce.js';
export { JSONIFIED_PARAMS_STRING_SIZE_LIMIT, PARAM_MAP_SIZE_LIMIT } from './limits.js';
export {
  ParamCycleError,
  ParamEvaluationError,
  ParamLimitError,
  ParamModeError,
  ParamTypeError,
  ParamValidatorError,
} from './errors.js';
export type {
  EvalEnv,
  InitiatorType,
  ParamExtensions,
  ParamSource,
  ParamValue,
  ParamValues,
  SignalContext,
  StepFacts,
  StepParamContext,
  SystemContext,
  WorkflowParamContext,
  WorkflowScopeContext,
} from './types.js';
