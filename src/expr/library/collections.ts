/**
 * Arrays and Maps. Like Maestro, `Arrays.asList(a)` returns the array itself, so arrays also
 * answer the List methods scripts use (size, get, contains, indexOf, isEmpty). Maps have String
 * keys and keep insertion order; every growth is checked against the arraySize limit.
 */
import { SelFault } from '../errors.js';
import { chargeArray, checkSize, MAP_ENTRY_BYTES, type Budget } from '../budget.js';
import { javaEquals } from '../operators.js';
import { javaString, SelArray, SelMap, typeNameOf, type ElemKind, type SelValue } from '../values.js';
import { array, arity, str, table, type LibFn, type MethodTable } from './args.js';
import { javaCompare } from './java-string.js';

/** Builds an array from loose values (Arrays.asList(a, b, c)), inferring one element kind. */
export function arrayOf(values: SelValue[], sig: string, budget: Budget): SelArray {
  chargeArray(budget, values.length);
  let elem: ElemKind | undefined;
  for (const v of values) {
    const k: ElemKind | undefined =
      typeof v === 'string' || v === null ? 'STRING'
      : typeof v === 'bigint' ? 'LONG'
      : typeof v === 'number' ? 'DOUBLE'
      : typeof v === 'boolean' ? 'BOOLEAN'
      : undefined;
    if (k === undefined) throw new SelFault(`${sig}: SEL arrays cannot hold a ${typeNameOf(v)}`);
    if (elem === undefined || elem === k) elem = k;
    else if ((elem === 'LONG' && k === 'DOUBLE') || (elem === 'DOUBLE' && k === 'LONG')) elem = 'DOUBLE';
    else throw new SelFault(`${sig}: cannot mix ${elem.toLowerCase()} and ${k.toLowerCase()} elements in one array`);
  }
  const kind = elem ?? 'STRING';
  return new SelArray(kind, kind === 'DOUBLE' ? values.map((v) => (typeof v === 'bigint' ? Number(v) : v)) : values);
}

export function arrayIndex(arr: SelArray, index: SelValue): number {
  if (typeof index !== 'bigint') throw new SelFault(`an array index must be a long, got ${typeNameOf(index)}`);
  if (index < 0n || index >= BigInt(arr.items.length)) {
    throw new SelFault(`ArrayIndexOutOfBoundsException: index ${index} out of bounds for length ${arr.items.length}`);
  }
  return Number(index);
}

const self = (v: SelValue): SelArray => v as SelArray;

export const ARRAY_METHODS: MethodTable = table({
  size: (_c, a, s) => (arity(a, 'size()', 0), BigInt(self(s).items.length)),
  isEmpty: (_c, a, s) => (arity(a, 'isEmpty()', 0), self(s).items.length === 0),
  get: (_c, a, s) => (arity(a, 'get(int)', 1), self(s).items[arrayIndex(self(s), a[0] ?? null)] ?? null),
  contains: (_c, a, s) => (arity(a, 'contains(Object)', 1), self(s).items.some((x) => javaEquals(x, a[0] ?? null))),
  indexOf: (_c, a, s) => (arity(a, 'indexOf(Object)', 1), BigInt(self(s).items.findIndex((x) => javaEquals(x, a[0] ?? null)))),
  toString: (_c, a, s) => (arity(a, 'toString()', 0), javaString(s)),
});

function compareElems(x: SelValue, y: SelValue): number {
  if (x === null || y === null) throw new SelFault('NullPointerException: cannot sort an array containing null');
  if (typeof x === 'string' && typeof y === 'string') return javaCompare(x, y);
  if (typeof x === 'boolean' && typeof y === 'boolean') return Number(x) - Number(y);
  if (typeof x === 'number' && typeof y === 'number') {
    if (Number.isNaN(x) || Number.isNaN(y)) return Number(Number.isNaN(x)) - Number(Number.isNaN(y));
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return (x as bigint) < (y as bigint) ? -1 : (x as bigint) > (y as bigint) ? 1 : 0;
}

export const ARRAYS_STATICS: MethodTable = table({
  asList: (c, a) => {
    const [first] = a;
    return a.length === 1 && first instanceof SelArray ? first : arrayOf(a, 'Arrays.asList', c);
  },
  /** Sorts in place like Java; returns the array (Java's is void) so it can be used inline. */
  sort: (_c, a) => {
    arity(a, 'Arrays.sort(array)', 1);
    const arr = array(a, 0, 'Arrays.sort');
    arr.items.sort(compareElems);
    return arr;
  },
  toString: (_c, a) => (arity(a, 'Arrays.toString(array)', 1), a[0] === null ? 'null' : javaString(array(a, 0, 'Arrays.toString'))),
});

const selfMap = (v: SelValue): SelMap => v as SelMap;

function key(a: SelValue[], sig: string): string {
  return str(a, 0, sig);
}

export const MAP_METHODS: MethodTable = table({
  size: (_c, a, s) => (arity(a, 'Map.size()', 0), BigInt(selfMap(s).entries.size)),
  isEmpty: (_c, a, s) => (arity(a, 'Map.isEmpty()', 0), selfMap(s).entries.size === 0),
  get: (_c, a, s) => (arity(a, 'Map.get(String)', 1), selfMap(s).entries.get(key(a, 'Map.get')) ?? null),
  getOrDefault: (_c, a, s) => {
    arity(a, 'Map.getOrDefault(String, Object)', 2);
    const m = selfMap(s).entries;
    const k = key(a, 'Map.getOrDefault');
    return m.has(k) ? (m.get(k) ?? null) : (a[1] ?? null);
  },
  containsKey: (_c, a, s) => (arity(a, 'Map.containsKey(String)', 1), selfMap(s).entries.has(key(a, 'Map.containsKey'))),
  containsValue: (_c, a, s) => {
    arity(a, 'Map.containsValue(Object)', 1);
    for (const v of selfMap(s).entries.values()) if (javaEquals(v, a[0] ?? null)) return true;
    return false;
  },
  put: (c, a, s) => {
    arity(a, 'Map.put(String, Object)', 2);
    const m = selfMap(s).entries;
    const k = key(a, 'Map.put');
    const previous = m.get(k) ?? null;
    if (!m.has(k)) {
      checkSize(c.limits, 'arraySize', m.size + 1);
      c.charge(MAP_ENTRY_BYTES);
    }
    m.set(k, a[1] ?? null);
    return previous;
  },
  remove: (_c, a, s) => {
    arity(a, 'Map.remove(String)', 1);
    const m = selfMap(s).entries;
    const k = key(a, 'Map.remove');
    const previous = m.get(k) ?? null;
    m.delete(k);
    return previous;
  },
  keySet: (c, a, s) => {
    arity(a, 'Map.keySet()', 0);
    chargeArray(c, selfMap(s).entries.size);
    return new SelArray('STRING', [...selfMap(s).entries.keys()]);
  },
  toString: (_c, a, s) => (arity(a, 'Map.toString()', 0), javaString(s)),
});

export const newMap: LibFn = (_c, a) => {
  arity(a, 'new Map()', 0);
  return new SelMap();
};

/** `new long[n]`: Java default elements (0, 0.0, false, null). */
export function newArray(elem: ElemKind, length: SelValue, budget: Budget): SelArray {
  if (typeof length !== 'bigint') throw new SelFault(`an array length must be a long, got ${typeNameOf(length)}`);
  if (length < 0n) throw new SelFault(`NegativeArraySizeException: ${length}`);
  chargeArray(budget, Number(length));
  const fill: SelValue = elem === 'LONG' ? 0n : elem === 'DOUBLE' ? 0 : elem === 'BOOLEAN' ? false : null;
  return new SelArray(elem, new Array<SelValue>(Number(length)).fill(fill));
}
