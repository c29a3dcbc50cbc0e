/**
 * Typed readers over untrusted JSON/YAML values. Every reader takes the JSON path of the value
 * it reads and throws a ValidationError naming that path. Records built from input keys go
 * through `setOwn`, so a key such as `__proto__` stays an ordinary own property.
 */
import { editDistance } from '../edit-distance.js';
import { ValidationError } from '../errors.js';

export type JsonObject = Record<string, unknown>;

export function fail(path: string, message: string): never {
  throw new ValidationError(path, message);
}

export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string':
      return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)})`;
    case 'number':
      return `a number (${v})`;
    case 'boolean':
      return `a boolean (${v})`;
    case 'object':
      return 'an object';
    default:
      return typeof v;
  }
}

export function setOwn<T>(rec: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(rec, key, { value, enumerable: true, writable: true, configurable: true });
}

export function isPlainObject(v: unknown): v is JsonObject {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function readObject(v: unknown, path: string, what = 'an object'): JsonObject {
  if (!isPlainObject(v)) fail(path, `must be ${what}, got ${describe(v)}`);
  return v;
}

/** Rejects keys outside `allowed`, suggesting the closest allowed key for a likely typo. */
export function checkKeys(o: JsonObject, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(o)) {
    if (allowed.includes(key)) continue;
    // the length check first: most unknown keys are nowhere near an allowed one
    const close = allowed.find((a) => Math.abs(a.length - key.length) <= 2 && editDistance(a, key) <= 2);
    const hint = close ? ` (did you mean '${close}'?)` : ` (allowed: ${allowed.join(', ')})`;
    fail(join(path, key), `unknown field '${key}'${hint}`);
  }
}

/** Reads `o[key]` with `read`; undefined when absent or null. */
export function optional<T>(o: JsonObject, key: string, path: string, read: (v: unknown, p: string) => T): T | undefined {
  const v = o[key];
  return v === undefined || v === null ? undefined : read(v, join(path, key));
}

export function required<T>(o: JsonObject, key: string, path: string, read: (v: unknown, p: string) => T): T {
  const v = o[key];
  if (v === undefined || v === null) fail(join(path, key), 'is required');
  return read(v, join(path, key));
}

export function readString(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, `must be a string, got ${describe(v)}`);
  return v;
}

export function readNonEmptyString(v: unknown, path: string): string {
  const s = readString(v, path);
  if (s.trim() === '') fail(path, 'must not be empty');
  return s;
}

/** A string of at most `max` characters. */
export function readText(max: number) {
  return (v: unknown, path: string): string => {
    const s = readString(v, path);
    if (s.length > max) fail(path, `must be at most ${max} characters, got ${s.length}`);
    return s;
  };
}

export function readBoolean(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, `must be a boolean, got ${describe(v)}`);
  return v;
}

export function readInteger(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(path, `must be an integer, got ${describe(v)}`);
  return v;
}

export function readIntegerIn(min: number, max: number) {
  return (v: unknown, path: string): number => {
    const n = readInteger(v, path);
    if (n < min || n > max) fail(path, `must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

export function readArray(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, `must be an array, got ${describe(v)}`);
  return v;
}

export function readStringArray(v: unknown, path: string): string[] {
  return readArray(v, path).map((e, i) => readString(e, join(path, i)));
}

/** A case-insensitive enum value (Maestro's `valueOf(s.toUpperCase())`), returned upper-case. */
export function readEnum<T extends string>(values: readonly T[], label: string) {
  return (v: unknown, path: string): T => {
    const s = readString(v, path).toUpperCase();
    const found = values.find((x) => x === s);
    if (found === undefined) fail(path, `unknown ${label} '${String(v)}' (expected one of ${values.join(', ')})`);
    return found;
  };
}

const MAX_JSON_DEPTH = 64;

/** A verbatim JSON value (object, array, scalar), deep-copied; rejects non-JSON values. */
export function readJson(v: unknown, path: string, depth = 0): unknown {
  if (depth > MAX_JSON_DEPTH) fail(path, `is nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail(path, `must be a finite number, got ${v}`);
    return v;
  }
  if (Array.isArray(v)) return v.map((e, i) => readJson(e, join(path, i), depth + 1));
  if (isPlainObject(v)) {
    const out: JsonObject = {};
    for (const [k, e] of Object.entries(v)) setOwn(out, k, readJson(e, join(path, k), depth + 1));
    return out;
  }
  return fail(path, `must be a JSON value, got ${describe(v)}`);
}

export function readJsonObject(v: unknown, path: string): JsonObject {
  readObject(v, path);
  return readJson(v, path) as JsonObject;
}
