/**
 * The `params` object: Maestro's SelParams plus its param extension (getFromStep, getFromSignal,
 * ...). Every call goes to the scope's ParamFunctions; a failure there becomes an ExpressionError
 * naming the call. `params` is read-only: there is no way to write back into the caller's params.
 */
import type { EvalScope } from '../../core/expr-port.js';
import { boxTyped, inferBox, unbox } from '../boundary.js';
import { SelFault } from '../errors.js';
import { SelObject, type SelValue } from '../values.js';
import { arity, str, stringish, table, type LibContext, type MethodTable } from './args.js';

export class SelParams extends SelObject {
  readonly kind = 'PARAMS';
  toJavaString(): string {
    return 'params';
  }
}

export const PARAMS = new SelParams();

function invoke(c: LibContext, call: string, fn: () => unknown): SelValue {
  let value: unknown;
  try {
    value = fn();
  } catch (e) {
    throw new SelFault(`${call} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return inferBox(value, `the result of ${call}`, c);
}

const quote = (args: string[]): string => args.map((a) => `'${a}'`).join(', ');

/** `params.get(name)` / `params[name]` / `params.name`: typed when the scope knows the param. */
export function getParam(c: LibContext, name: string): SelValue {
  const scope: EvalScope = c.scope;
  let value: unknown;
  try {
    value = scope.params.get(name);
  } catch (e) {
    throw new SelFault(`params.get('${name}') failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const typed = scope.lookup(name);
  if (typed !== undefined && typed.value === value) return boxTyped(typed, name, c);
  return inferBox(value, `params.get('${name}')`, c);
}

export const PARAMS_METHODS: MethodTable = table({
  get: (c, a) => (arity(a, 'params.get(String)', 1), getParam(c, str(a, 0, 'params.get'))),
  containsKey: (c, a) => (arity(a, 'params.containsKey(String)', 1), c.scope.lookup(str(a, 0, 'params.containsKey')) !== undefined),
  getFromStep: (c, a) => {
    arity(a, 'params.getFromStep(stepId, name)', 2);
    const [step, name] = [str(a, 0, 'params.getFromStep'), str(a, 1, 'params.getFromStep')];
    return invoke(c, `params.getFromStep(${quote([step, name])})`, () => c.scope.params.getFromStep(step, name));
  },
  getFromInstance: (c, a) => {
    arity(a, 'params.getFromInstance(name)', 1);
    const name = str(a, 0, 'params.getFromInstance');
    return invoke(c, `params.getFromInstance(${quote([name])})`, () => c.scope.params.getFromInstance(name));
  },
  getFromSignal: (c, a) => {
    arity(a, 'params.getFromSignal(signal[, param])', 1, 2);
    const signal = str(a, 0, 'params.getFromSignal');
    if (a.length === 1) return invoke(c, `params.getFromSignal(${quote([signal])})`, () => c.scope.params.getFromSignal(signal));
    const param = str(a, 1, 'params.getFromSignal');
    return invoke(c, `params.getFromSignal(${quote([signal, param])})`, () => c.scope.params.getFromSignal(signal, param));
  },
  getFromSignalOrDefault: (c, a) => {
    arity(a, 'params.getFromSignalOrDefault(signal, param, default)', 3);
    const [signal, param] = [str(a, 0, 'params.getFromSignalOrDefault'), str(a, 1, 'params.getFromSignalOrDefault')];
    const fallback = unbox(a[2] ?? null);
    return invoke(c, `params.getFromSignalOrDefault(${quote([signal, param])}, ...)`, () => c.scope.params.getFromSignalOrDefault(signal, param, fallback));
  },
  getFromSignalDependency: (c, a) => {
    arity(a, 'params.getFromSignalDependency(index, param)', 2);
    const [index, param] = [stringish(a, 0, 'params.getFromSignalDependency'), str(a, 1, 'params.getFromSignalDependency')];
    return invoke(c, `params.getFromSignalDependency(${quote([index, param])})`, () => c.scope.params.getFromSignalDependency(index, param));
  },
  getFromForeach: (c, a) => {
    arity(a, 'params.getFromForeach(foreachStepId, stepId, param)', 3);
    const args = [0, 1, 2].map((i) => str(a, i, 'params.getFromForeach')) as [string, string, string];
    return invoke(c, `params.getFromForeach(${quote(args)})`, () => c.scope.params.getFromForeach(...args));
  },
  getFromSubworkflow: (c, a) => {
    arity(a, 'params.getFromSubworkflow(subworkflowStepId, stepId, param)', 3);
    const args = [0, 1, 2].map((i) => str(a, i, 'params.getFromSubworkflow')) as [string, string, string];
    return invoke(c, `params.getFromSubworkflow(${quote(args)})`, () => c.scope.params.getFromSubworkflow(...args));
  },
  nextUniqueId: (c, a) => (arity(a, 'params.nextUniqueId()', 0), invoke(c, 'params.nextUniqueId()', () => c.scope.params.nextUniqueId())),
});
