/**
 * Plain JS values <-> the typed `maestro.v1.Value` of the public API (proto/maestro/v1/value.proto).
 *
 * - Outbound (`toValue`): a declared param type decides (LONG -> long_value, DOUBLE -> double_value
 *   even for 3.0, *_ARRAY -> a list of that element type); without one, an integer is a LONG, any
 *   other number a DOUBLE. A bigint within the safe range is a LONG; beyond it, a string (ts-proto
 *   carries int64 as a JS number, exact up to 2^53). undefined and null are null_value, except
 *   that a map entry whose value is undefined is left out (as JSON does). A Date is its ISO string,
 *   a JS Map a map_value.
 * - Inbound (`fromValue`): each case to its JS value; an unset Value is null. The engine coerces run
 *   params to their declared types afterwards, as it does for JSON.
 * - Anything else (a function, a symbol) is refused with a ValidationError naming the path.
 */
import type { ParamType } from '../core/definition/model.js';
import { ValidationError } from '../core/errors.js';
import { NullValue, type Value } from '../gen/maestro/v1/value.js';

const ELEMENT: Partial<Record<ParamType, ParamType>> = {
  LONG_ARRAY: 'LONG',
  DOUBLE_ARRAY: 'DOUBLE',
  STRING_ARRAY: 'STRING',
  BOOLEAN_ARRAY: 'BOOLEAN',
};

export function toValue(js: unknown, type?: ParamType, path = 'value'): Value {
  if (js === undefined || js === null) return { nullValue: NullValue.NULL_VALUE_UNSPECIFIED };
  switch (typeof js) {
    case 'string':
      return { stringValue: js };
    case 'boolean':
      return { boolValue: js };
    case 'number':
      if (type === 'DOUBLE' || !Number.isInteger(js)) return { doubleValue: js };
      return { longValue: js };
    case 'bigint':
      return Number.isSafeInteger(Number(js)) ? { longValue: Number(js) } : { stringValue: js.toString() };
    case 'object': {
      if (js instanceof Date) return { stringValue: js.toISOString() };
      if (js instanceof Map) return { mapValue: { fields: toValueMap(Object.fromEntries(js) as Record<string, unknown>, path) } };
      if (Array.isArray(js)) {
        const element = type === undefined ? undefined : ELEMENT[type];
        return { listValue: { values: js.map((e, i) => toValue(e, element, `${path}[${i}]`)) } };
      }
      return { mapValue: { fields: toValueMap(js as Record<string, unknown>, `${path}`) } };
    }
    default:
      throw new ValidationError(path, `a ${typeof js} has no maestro.v1.Value form`);
  }
}

/** A record of plain values as a map of Values; `types` gives a declared type per key. */
export function toValueMap(
  js: Readonly<Record<string, unknown>>,
  path = 'value',
  types?: Readonly<Record<string, ParamType | undefined>>,
): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const [k, v] of Object.entries(js)) if (v !== undefined) out[k] = toValue(v, types?.[k], `${path}.${k}`);
  return out;
}

export function fromValue(v: Value | undefined): unknown {
  if (v === undefined) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.longValue !== undefined) return v.longValue;
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.mapValue !== undefined) return fromValueMap(v.mapValue.fields);
  if (v.listValue !== undefined) return v.listValue.values.map(fromValue);
  return null;
}

export function fromValueMap(fields: Readonly<Record<string, Value>> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields ?? {})) out[k] = fromValue(v);
  return out;
}
