/** Shared fixtures for the SEL tests: a scope built from plain values, and assertion helpers. */
import type { ExecutionContext } from 'ava';
import type { ParamType } from '../../src/core/definition/model.js';
import type { EvalScope, ParamFunctions, TypedValue } from '../../src/core/expr-port.js';
import { createSelEngine, ExpressionError, type SelLimits } from '../../src/expr/index.js';

export const engine = createSelEngine();

/** A typed param value, for when inference from the JS value is not what the test wants. */
export function typed(type: ParamType, value: unknown): TypedValue {
  return { type, value };
}

function isTyped(v: unknown): v is TypedValue {
  return typeof v === 'object' && v !== null && 'type' in v && 'value' in v && Object.keys(v).length === 2;
}

function infer(v: unknown): TypedValue {
  if (isTyped(v)) return v;
  if (typeof v === 'string') return typed('STRING', v);
  if (typeof v === 'boolean') return typed('BOOLEAN', v);
  if (typeof v === 'number') return typed(Number.isInteger(v) ? 'LONG' : 'DOUBLE', v);
  if (Array.isArray(v)) {
    const [first] = v;
    if (typeof first === 'string') return typed('STRING_ARRAY', v);
    if (typeof first === 'boolean') return typed('BOOLEAN_ARRAY', v);
    return typed(v.every((x) => Number.isInteger(x)) ? 'LONG_ARRAY' : 'DOUBLE_ARRAY', v);
  }
  return typed('MAP', v);
}

export interface ScopeOptions extends Partial<ParamFunctions> {
  nowMs?: number;
  random?: () => number;
}

const notConfigured = (name: string) => () => {
  throw new Error(`${name} is not configured in this test`);
};

/** A scope whose params are `values` (typed by inference unless given as typed(...)). */
export function scope(values: Record<string, unknown> = {}, options: ScopeOptions = {}): EvalScope {
  const params = new Map(Object.entries(values).map(([k, v]) => [k, infer(v)]));
  const { nowMs = 1_700_000_000_000, random = () => 0.25, ...fns } = options;
  return {
    lookup: (name) => params.get(name),
    params: {
      get: (name: string) => {
        const v = params.get(name);
        if (v === undefined) throw new Error(`param [${name}] is not found`);
        return v.value;
      },
      getFromStep: notConfigured('getFromStep'),
      getFromInstance: notConfigured('getFromInstance'),
      getFromSignal: notConfigured('getFromSignal'),
      getFromSignalOrDefault: notConfigured('getFromSignalOrDefault'),
      getFromSignalDependency: notConfigured('getFromSignalDependency'),
      getFromForeach: notConfigured('getFromForeach'),
      getFromSubworkflow: notConfigured('getFromSubworkflow'),
      nextUniqueId: notConfigured('nextUniqueId'),
      ...fns,
    },
    nowMs,
    random,
  };
}

export function run(source: string, values: Record<string, unknown> = {}, options: ScopeOptions = {}): unknown {
  return engine.evaluate(source, scope(values, options));
}

/** Asserts that `fn` throws an ExpressionError whose message contains (or matches) `expected`. */
export function throwsSel(t: ExecutionContext, fn: () => unknown, expected: string | RegExp): ExpressionError {
  const err = t.throws(fn, { instanceOf: ExpressionError });
  if (err === undefined) throw new Error('unreachable: t.throws failed');
  if (typeof expected === 'string') t.true(err.message.includes(expected), `message was: ${err.message}`);
  else t.regex(err.message, expected);
  return err;
}

export function withLimits(limits: Partial<SelLimits>) {
  const e = createSelEngine(limits);
  return (source: string, values: Record<string, unknown> = {}, options: ScopeOptions = {}): unknown =>
    e.evaluate(source, scope(values, options));
}
