/**
 * The contract between core (which decides *when* an expression is evaluated) and src/expr
 * (which parses and evaluates SEL). Core never imports src/expr; the composition root passes an
 * ExpressionEngine in.
 *
 * Determinism: evaluation must depend only on the scope. Time (`System.currentTimeMillis`,
 * `new DateTime()`) comes from `scope.nowMs` and randomness (`UUID.randomUUID`) from
 * `scope.random`, which the engine seeds from the instance and the event being applied, so
 * replaying the journal computes the same values.
 */
import type { ParamType } from './definition/model.js';

/** A value with its declared Maestro type, as stored in params. LONG values are JS numbers. */
export interface TypedValue {
  type: ParamType;
  value: unknown;
}

/** Maestro's `params.*` functions. Each throws an Error with a clear message when the lookup fails. */
export interface ParamFunctions {
  get(name: string): unknown;
  getFromStep(stepId: string, name: string): unknown;
  getFromInstance(name: string): unknown;
  getFromSignal(signalOrParam: string, param?: string): unknown;
  getFromSignalOrDefault(signal: string, param: string, defaultValue: unknown): unknown;
  getFromSignalDependency(index: string, param: string): unknown;
  getFromForeach(foreachStepId: string, innerStepId: string, param: string): unknown;
  getFromSubworkflow(subworkflowStepId: string, innerStepId: string, param: string): unknown;
  nextUniqueId(): number;
}

export interface EvalScope {
  /** A bare identifier: a param visible here (step params shadow workflow params), or undefined. */
  lookup(name: string): TypedValue | undefined;
  params: ParamFunctions;
  nowMs: number;
  /** Uniform in [0, 1); seeded, so replay reproduces the same sequence. */
  random(): number;
}

export interface ExpressionEngine {
  /** Parses (and caches) `source`; throws an ExpressionError (with line and column) when it is not valid SEL. */
  compile(source: string): unknown;
  /**
   * Evaluates `source` (cached parse) in `scope`. Returns plain JS: string, number (long and
   * double), boolean, arrays, plain objects for maps, null. Throws ExpressionError on a runtime
   * error, a sandbox limit, or `throw "message"`.
   */
  evaluate(source: string, scope: EvalScope): unknown;
}
