/**
 * Param validators. A validator is either a bean-validation style annotation, as in Maestro's
 * default params (`@NotEmpty`, `@NotBlank`, `@NotNull`, `@Min(0)`, `@Max(10)`,
 * `@Size(min=1, max=3)`), or a SEL expression in which `param` is bound to the evaluated value
 * (`param != null && param.size() > 2`) and which must return true.
 *
 * Validators run on top-level params (including values given as run params), not on the entries
 * of a MAP literal: Maestro itself never evaluates validators, and its own nested-foreach sample
 * declares an entry validator (`loop_params.j`, size > 2) that the entry's value (two items)
 * violates, so enforcing entry validators would reject a workflow Maestro runs.
 */
import type { TypedValue } from '../expr-port.js';
import { describe } from './coerce.js';
import { ParamValidatorError } from './errors.js';

/** Evaluates a SEL validator with `param` bound to `value`. */
export type EvalValidator = (source: string, value: TypedValue) => unknown;

export function checkValidator(validator: string, value: TypedValue, path: string, evalSel: EvalValidator): void {
  const v = validator.trim();
  const passed = v.startsWith('@') ? checkAnnotation(v, value.value, path) : selResult(v, evalSel(v, value), path);
  if (!passed) throw new ParamValidatorError(path, `value ${describe(value.value)} fails validator ${JSON.stringify(validator)}`);
}

function selResult(source: string, result: unknown, path: string): boolean {
  if (typeof result === 'boolean') return result;
  throw new ParamValidatorError(path, `validator ${JSON.stringify(source)} must return a boolean, got ${describe(result)}`);
}

function sizeOf(v: unknown): number | undefined {
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (typeof v === 'object' && v !== null) return Object.keys(v).length;
  return undefined;
}

function number(arg: string | undefined, validator: string, path: string): number {
  const n = Number(arg);
  if (arg === undefined || arg.trim() === '' || !Number.isFinite(n)) {
    throw new ParamValidatorError(path, `validator ${validator} needs a number argument`);
  }
  return n;
}

function checkAnnotation(validator: string, value: unknown, path: string): boolean {
  const m = /^@(\w+)\s*(?:\((.*)\))?$/s.exec(validator);
  if (!m) throw new ParamValidatorError(path, `malformed validator ${JSON.stringify(validator)}`);
  const [, name, arg] = m;
  const needNumber = (): number => {
    if (typeof value !== 'number') throw new ParamValidatorError(path, `validator ${validator} only applies to LONG and DOUBLE params`);
    return value;
  };
  switch (name) {
    case 'NotNull':
      return value !== null && value !== undefined;
    case 'NotEmpty':
      return (sizeOf(value) ?? 1) > 0;
    case 'NotBlank':
      return typeof value === 'string' && value.trim() !== '';
    case 'Min':
      return needNumber() >= number(arg, validator, path);
    case 'Max':
      return needNumber() <= number(arg, validator, path);
    case 'Size': {
      const size = sizeOf(value);
      if (size === undefined) throw new ParamValidatorError(path, `validator ${validator} only applies to strings, arrays and maps`);
      const bound = (key: string): string | undefined => new RegExp(`\\b${key}\\s*=\\s*([^,\\s)]+)`).exec(arg ?? '')?.[1];
      const min = bound('min');
      const max = bound('max');
      return (min === undefined || size >= number(min, validator, path)) && (max === undefined || size <= number(max, validator, path));
    }
    default:
      throw new ParamValidatorError(path, `unsupported validator @${name} (supported: @NotNull, @NotEmpty, @NotBlank, @Min, @Max, @Size, or a SEL expression)`);
  }
}
