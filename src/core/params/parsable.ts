/** Parsable fields (retry limits, backoffs, timeouts, concurrency) and plain projections of params. */
import type { Parsable } from '../definition/model.js';
import type { TypedValue } from '../expr-port.js';
import { ValidationError } from '../errors.js';
import { interpolate } from './interpolate.js';
import type { ParamValues } from './types.js';

const NUMBER = /^[+-]?\d+(\.\d+)?$/;

/**
 * A number passes through; a string is interpolated (`"$foo"`, `"${foo}"`, `"${bar}s"`) and
 * returned as a number when the result is one, else as the string (e.g. a duration "15s").
 * Throws a ValidationError naming `path` when a referenced param is missing.
 */
export function resolveParsable(p: Parsable, lookup: (name: string) => TypedValue | undefined, path: string): string | number {
  if (typeof p === 'number') return p;
  if (typeof p !== 'string') throw new ValidationError(path, `expected a number or a string, got ${typeof p}`);
  const s = interpolate(p, lookup, path);
  const t = s.trim();
  return NUMBER.test(t) ? Number(t) : s;
}

/** Name -> plain value, as step runtimes and views see params. */
export function toPlain(values: ParamValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const names = Object.keys(values);
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    out[name] = values[name]!.value;
  }
  return out;
}
