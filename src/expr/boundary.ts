/**
 * Conversions between plain JS values (params, evaluate() results) and SEL values. Boxing copies
 * arrays and maps, so a script never mutates its caller's data; unboxing copies back out.
 */
import type { TypedValue } from '../core/expr-port.js';
import { SelFault } from './errors.js';
import { chargeArray, MAP_ENTRY_BYTES, type Budget } from './budget.js';
import { typeNameOf, LONG_MAX, LONG_MIN, SelArray, SelMap, SelObject, type ElemKind, type SelValue } from './values.js';

const TWO_63 = 2 ** 63;

function numberToSel(n: number): bigint | number {
  return Number.isInteger(n) && n >= -TWO_63 && n < TWO_63 ? BigInt(n) : n;
}

function bigintToSel(n: bigint, what: string): bigint {
  if (n < LONG_MIN || n > LONG_MAX) throw new SelFault(`${what} ${n} does not fit in a long`);
  return n;
}

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Boxes an untyped JS value (e.g. a `params.getFromStep` result), inferring SEL types from it. */
export function inferBox(v: unknown, what: string, budget: Budget, seen: Set<object> = new Set()): SelValue {
  switch (typeof v) {
    case 'string':
      budget.charge(2 * v.length + 32);
      return v;
    case 'boolean':
      return v;
    case 'number':
      return numberToSel(v);
    case 'bigint':
      return bigintToSel(v, what);
    case 'undefined':
      return null;
    case 'object': {
      if (v === null) return null;
      if (seen.has(v)) throw new SelFault(`${what} contains a cycle`);
      seen.add(v);
      try {
        if (Array.isArray(v)) return inferArray(v, what, budget);
        if (isPlainObject(v)) {
          const entries = Object.entries(v);
          chargeArray(budget, entries.length);
          budget.charge(MAP_ENTRY_BYTES * entries.length);
          const map = new Map<string, SelValue>();
          for (const [k, x] of entries) map.set(k, inferBox(x, `${what}.${k}`, budget, seen));
          return new SelMap(map);
        }
      } finally {
        seen.delete(v);
      }
      break;
    }
    default:
      break;
  }
  throw new SelFault(`${what} has a value SEL cannot represent (${Object.prototype.toString.call(v)})`);
}

function inferArray(v: unknown[], what: string, budget: Budget): SelArray {
  chargeArray(budget, v.length);
  let elem: ElemKind | undefined;
  for (const x of v) {
    const k: ElemKind | undefined =
      typeof x === 'string' ? 'STRING'
      : typeof x === 'boolean' ? 'BOOLEAN'
      : typeof x === 'bigint' ? 'LONG'
      : typeof x === 'number' ? (Number.isInteger(x) ? 'LONG' : 'DOUBLE')
      : undefined;
    if (k === undefined) throw new SelFault(`${what} is an array of values SEL cannot represent (${typeof x})`);
    if (elem === undefined || elem === k) elem = k;
    else if ((elem === 'LONG' && k === 'DOUBLE') || (elem === 'DOUBLE' && k === 'LONG')) elem = 'DOUBLE';
    else throw new SelFault(`${what} is an array mixing ${elem.toLowerCase()} and ${k.toLowerCase()} values`);
  }
  return typedArray(elem ?? 'STRING', v, what);
}

function typedArray(elem: ElemKind, v: readonly unknown[], what: string): SelArray {
  const items = v.map((x, i) => typedScalar(elem, x, `${what}[${i}]`));
  return new SelArray(elem, items);
}

function typedScalar(elem: ElemKind, x: unknown, what: string): SelValue {
  switch (elem) {
    case 'STRING':
      if (typeof x === 'string' || x === null) return x;
      break;
    case 'BOOLEAN':
      if (typeof x === 'boolean') return x;
      break;
    case 'LONG':
      if (typeof x === 'bigint') return bigintToSel(x, what);
      if (typeof x === 'number' && Number.isSafeInteger(x)) return BigInt(x);
      break;
    case 'DOUBLE':
      if (typeof x === 'number') return x;
      if (typeof x === 'bigint') return Number(x);
      break;
  }
  throw new SelFault(`${what} should be a ${elem.toLowerCase()} but is ${x === null ? 'null' : typeof x}`);
}

/** Boxes a param value using its declared Maestro type. */
export function boxTyped(tv: TypedValue, name: string, budget: Budget): SelValue {
  const v = tv.value;
  if (v === null || v === undefined) return null;
  switch (tv.type) {
    case 'STRING':
      if (typeof v === 'string') budget.charge(2 * v.length + 32);
      return typedScalar('STRING', v, `param ${name}`);
    case 'LONG':
      return typedScalar('LONG', v, `param ${name}`);
    case 'DOUBLE':
      return typedScalar('DOUBLE', v, `param ${name}`);
    case 'BOOLEAN':
      return typedScalar('BOOLEAN', v, `param ${name}`);
    case 'STRING_ARRAY':
    case 'LONG_ARRAY':
    case 'DOUBLE_ARRAY':
    case 'BOOLEAN_ARRAY': {
      if (!Array.isArray(v)) throw new SelFault(`param ${name} is declared ${tv.type} but is not an array`);
      chargeArray(budget, v.length);
      return typedArray(tv.type.slice(0, -'_ARRAY'.length) as ElemKind, v, `param ${name}`);
    }
    case 'STRING_MAP':
    case 'MAP':
      return inferBox(v, `param ${name}`, budget);
  }
}

/** Converts a script result to plain JS (longs become numbers, maps plain objects). */
export function unbox(v: SelValue): unknown {
  switch (typeof v) {
    case 'bigint':
      return Number(v);
    case 'object':
      if (v === null) return null;
      if (v instanceof SelArray) return v.items.map(unbox);
      if (v instanceof SelMap) {
        const out: Record<string, unknown> = {};
        for (const [k, x] of v.entries) {
          Object.defineProperty(out, k, { value: unbox(x), enumerable: true, writable: true, configurable: true });
        }
        return out;
      }
      if (v instanceof SelObject) {
        throw new SelFault(
          `a SEL expression cannot produce a ${typeNameOf(v)} value; ` +
            'return a String, number, boolean, array or Map (e.g. call toString())',
        );
      }
      return v;
    default:
      return v;
  }
}
