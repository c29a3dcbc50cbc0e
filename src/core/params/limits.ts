/** Maestro's param limits: names, entries per user-supplied map, serialized size. */
import { checkParamName } from '../definition/ids.js';
import { PARAM_MAP_SIZE_LIMIT } from '../definition/limits.js';
import { ParamLimitError } from './errors.js';

export { PARAM_MAP_SIZE_LIMIT };

/** Maestro's JSONIFIED_PARAMS_STRING_SIZE_LIMIT: a workflow's or a step's params, as JSON, in chars. */
export const JSONIFIED_PARAMS_STRING_SIZE_LIMIT = 750_000;

/** Checks a user-supplied params map (run, restart or output params): entry count and names. */
export function checkUserParams(params: Record<string, unknown>, path: string, what: string): void {
  const n = Object.keys(params).length;
  if (n > PARAM_MAP_SIZE_LIMIT) {
    throw new ParamLimitError(path, `${what} have ${n} params, more than the limit of ${PARAM_MAP_SIZE_LIMIT}`, PARAM_MAP_SIZE_LIMIT, n);
  }
  for (const name of Object.keys(params)) checkParamName(name, `${path}.${name}`);
}

/**
 * Checks the serialized size of evaluated params against JSONIFIED_PARAMS_STRING_SIZE_LIMIT.
 * Serializing is only needed when a cheap upper bound of the size reaches the limit.
 */
export function checkTotalSize(values: unknown, path: string): void {
  if (jsonSizeBound(values, 0) <= JSONIFIED_PARAMS_STRING_SIZE_LIMIT) return;
  const size = JSON.stringify(values).length;
  if (size > JSONIFIED_PARAMS_STRING_SIZE_LIMIT) {
    throw new ParamLimitError(
      path,
      `params' total size [${size}] chars is larger than the limit [${JSONIFIED_PARAMS_STRING_SIZE_LIMIT}]`,
      JSONIFIED_PARAMS_STRING_SIZE_LIMIT,
      size,
    );
  }
}

/** The longest JSON a finite double prints as: "-0.0000012345678901234567" has 25 chars. */
const MAX_NUMBER_CHARS = 25;
const MAX_DEPTH = 64;

/**
 * An upper bound of `JSON.stringify(v).length`, or Infinity for what it cannot bound without
 * serializing (a toJSON method, a class instance, a bigint, nesting deeper than MAX_DEPTH,
 * which includes cycles). A string char takes at most 6 (`\u001f`); a value JSON leaves out
 * (undefined, a function) is counted as `null`; a key enumerated but not serialized only
 * makes the bound larger.
 */
function jsonSizeBound(v: unknown, depth: number): number {
  switch (typeof v) {
    case 'string':
      return 2 + 6 * v.length;
    case 'number':
      return MAX_NUMBER_CHARS;
    case 'boolean':
    case 'undefined':
    case 'function':
    case 'symbol':
      return 5;
    case 'bigint':
      return Infinity;
    case 'object':
      break;
  }
  if (v === null) return 4;
  if (depth >= MAX_DEPTH || typeof (v as { toJSON?: unknown }).toJSON === 'function') return Infinity;
  let size = 2;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) size += 1 + jsonSizeBound(v[i], depth + 1);
    return size;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return Infinity;
  const o = v as Record<string, unknown>;
  for (const k in o) size += 4 + 6 * k.length + jsonSizeBound(o[k], depth + 1);
  return size;
}
