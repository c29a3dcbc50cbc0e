/**
 * Conversions between plain JS values and Maestro's ten param types, following Maestro's
 * `*Parameter.setEvaluatedResult`: a STRING takes any scalar (`15` -> "15"), a LONG or BOOLEAN
 * takes its string form ("15", "TRUE"), a DOUBLE takes any number or numeric string. On top of
 * that, strings from a command line are accepted for arrays and maps (JSON, or comma-separated
 * items for arrays). LONG values are JS numbers and must be safe integers. Nothing is ever null.
 */
import type { ParamType } from '../definition/model.js';
import { javaDouble } from '../java-format.js';
import { ParamTypeError } from './errors.js';

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

export function describe(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : v === undefined ? 'undefined' : JSON.stringify(v) ?? String(v);
  } catch (e) {
    // JSON.stringify throws TypeError for cycles and BigInts: describe those with String().
    if (!(e instanceof TypeError)) throw e;
    s = String(v);
  }
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}

/** Converts `value` to `type`, or throws ParamTypeError naming `path`. */
export function coerce(type: ParamType, value: unknown, path: string): unknown {
  switch (type) {
    case 'STRING':
      return toStringValue(value) ?? typeError(type, value, path);
    case 'LONG':
      return toLong(value) ?? typeError(type, value, path, typeof value === 'number' ? ' (not a safe integer)' : '');
    case 'DOUBLE':
      return toDouble(value) ?? typeError(type, value, path);
    case 'BOOLEAN':
      return toBoolean(value) ?? typeError(type, value, path);
    case 'STRING_ARRAY':
      return toArray(type, value, path).map((e, i) => toStringValue(e) ?? elementError(type, path, i, e));
    case 'LONG_ARRAY':
      return toArray(type, value, path).map((e, i) => toLong(e) ?? elementError(type, path, i, e));
    case 'DOUBLE_ARRAY':
      return toArray(type, value, path).map((e, i) => toDouble(e) ?? elementError(type, path, i, e));
    case 'BOOLEAN_ARRAY':
      return toArray(type, value, path).map((e, i) => toBoolean(e) ?? elementError(type, path, i, e));
    case 'STRING_MAP': {
      const o = toObject(type, value, path);
      const out: Record<string, string> = {};
      for (const [k, e] of Object.entries(o)) {
        const s = toStringValue(e);
        if (s === undefined) throw new ParamTypeError(`${path}.${k}`, `STRING_MAP values must be strings, got ${describe(e)}`);
        out[k] = s;
      }
      return out;
    }
    case 'MAP': {
      const o = toObject(type, value, path);
      checkJson(o, path);
      return o;
    }
  }
}

function typeError(type: ParamType, value: unknown, path: string, why = ''): never {
  throw new ParamTypeError(path, `expected ${type}, got ${describe(value)}${why}`);
}

/** The Maestro type a plain value most naturally has (for run params a definition does not declare). */
export function inferType(value: unknown, path: string): ParamType {
  if (typeof value === 'string') return 'STRING';
  if (typeof value === 'boolean') return 'BOOLEAN';
  if (typeof value === 'number') return Number.isInteger(value) ? 'LONG' : 'DOUBLE';
  if (Array.isArray(value)) {
    if (value.every((e) => typeof e === 'string')) return 'STRING_ARRAY';
    if (value.every((e) => typeof e === 'boolean')) return 'BOOLEAN_ARRAY';
    if (value.every((e) => typeof e === 'number' && Number.isInteger(e))) return 'LONG_ARRAY';
    if (value.every((e) => typeof e === 'number')) return 'DOUBLE_ARRAY';
  }
  if (isPlainObject(value)) return Object.values(value).every((e) => typeof e === 'string') ? 'STRING_MAP' : 'MAP';
  throw new ParamTypeError(path, `cannot infer a param type for ${describe(value)}`);
}

export { javaDouble };

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((e, i) => deepEqual(e, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

function toStringValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : javaDouble(v);
  return undefined;
}

function toLong(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined;
  if (typeof v === 'bigint') return v >= Number.MIN_SAFE_INTEGER && v <= Number.MAX_SAFE_INTEGER ? Number(v) : undefined;
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

function toDouble(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

function toBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
  }
  return undefined;
}

function toArray(type: ParamType, v: unknown, path: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v !== 'string') return typeError(type, v, path);
  const s = v.trim();
  if (s.startsWith('[')) {
    const parsed = parseJson(s);
    return Array.isArray(parsed) ? parsed : typeError(type, v, path, ' (not a JSON array)');
  }
  return s === '' ? [] : s.split(',').map((e) => e.trim());
}

function toObject(type: ParamType, v: unknown, path: string): Record<string, unknown> {
  if (isPlainObject(v)) return v;
  if (typeof v === 'string' && v.trim().startsWith('{')) {
    const parsed = parseJson(v);
    if (isPlainObject(parsed)) return parsed;
  }
  return typeError(type, v, path);
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch (e) {
    // Not JSON: the caller reports the value as not convertible.
    if (!(e instanceof SyntaxError)) throw e;
    return undefined;
  }
}

function elementError(type: ParamType, path: string, i: number, e: unknown): never {
  throw new ParamTypeError(`${path}[${i}]`, `${type} elements must be ${type.replace('_ARRAY', '')}, got ${describe(e)}`);
}

/** MAP values hold JSON data only: no null, undefined, functions or non-finite numbers. */
function checkJson(v: unknown, path: string): void {
  if (typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number' && Number.isFinite(v)) return;
  if (Array.isArray(v)) return v.forEach((e, i) => checkJson(e, `${path}[${i}]`));
  if (isPlainObject(v)) return Object.entries(v).forEach(([k, e]) => checkJson(e, `${path}.${k}`));
  throw new ParamTypeError(path, `MAP values must be strings, numbers, booleans, arrays or maps, got ${describe(v)}`);
}
