/**
 * Param errors. All are ValidationErrors (kind `invalid_argument`, never retryable: the same
 * definitions and inputs fail the same way) whose `path` names the param, e.g. `params.foo` or
 * `steps.job1.params.bar.nested`.
 */
import { ValidationError } from '../errors.js';
import type { ParamMode } from '../definition/model.js';

/** A param set by a stage its mode (or the system) forbids: run params on an IMMUTABLE param, ... */
export class ParamModeError extends ValidationError {
  override name = 'ParamModeError';
  readonly param: string;
  readonly mode: ParamMode | 'RESERVED';
  constructor(path: string, param: string, mode: ParamMode | 'RESERVED', message: string) {
    super(path, message);
    this.param = param;
    this.mode = mode;
  }
}

/** A value that cannot be converted to the param's declared type. */
export class ParamTypeError extends ValidationError {
  override name = 'ParamTypeError';
}

/** Params whose expressions or interpolations reference each other in a loop. */
export class ParamCycleError extends ValidationError {
  override name = 'ParamCycleError';
  readonly chain: readonly string[];
  constructor(path: string, chain: readonly string[]) {
    super(path, `cyclic reference between params: ${chain.join(' -> ')}`);
    this.chain = chain;
  }
}

/** An expression, interpolation or system param that failed to evaluate; `cause` holds the engine's error. */
export class ParamEvaluationError extends ValidationError {
  override name = 'ParamEvaluationError';
}

/** A param value that its validator rejects. */
export class ParamValidatorError extends ValidationError {
  override name = 'ParamValidatorError';
}

/** Too many params in a map, or params too large once serialized. */
export class ParamLimitError extends ValidationError {
  override name = 'ParamLimitError';
  readonly limit: number;
  readonly actual: number;
  constructor(path: string, message: string, limit: number, actual: number) {
    super(path, message);
    this.limit = limit;
    this.actual = actual;
  }
}
