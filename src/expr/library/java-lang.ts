/**
 * java.lang stand-ins: methods on long/double/boolean values, the boxed-type statics (Long,
 * Integer, Double, Float, Boolean), Math, System, UUID and DateTimeConstants. Time and randomness
 * come from the scope (nowMs, random) so evaluation is deterministic under replay.
 */
import { SelFault } from '../errors.js';
import { doubleToLong, javaEquals } from '../operators.js';
import { javaDouble, javaString, LONG_MAX, LONG_MIN, SelObject, typeNameOf, type SelValue } from '../values.js';
import { arity, bool, long, num, parseJavaDouble, parseJavaLong, str, table, type LibContext, type LibFn, type MethodTable } from './args.js';

const INT_MIN = -2147483648n;
const INT_MAX = 2147483647n;

function compareNumbers(a: number | bigint, b: SelValue, sig: string): bigint {
  if (typeof b !== typeof a) throw new SelFault(`${sig}: argument must be a ${typeof a === 'bigint' ? 'long' : 'double'}, got ${typeNameOf(b)}`);
  return a < (b as number | bigint) ? -1n : a > (b as number | bigint) ? 1n : 0n;
}

export const LONG_METHODS: MethodTable = table({
  toString: (_c, a, s) => (arity(a, 'long.toString()', 0), javaString(s)),
  intValue: (_c, a, s) => (arity(a, 'long.intValue()', 0), BigInt.asIntN(32, s as bigint)),
  longValue: (_c, a, s) => (arity(a, 'long.longValue()', 0), s),
  doubleValue: (_c, a, s) => (arity(a, 'long.doubleValue()', 0), Number(s as bigint)),
  equals: (_c, a, s) => (arity(a, 'long.equals(Object)', 1), javaEquals(s, a[0] ?? null)),
  compareTo: (_c, a, s) => (arity(a, 'long.compareTo(long)', 1), compareNumbers(s as bigint, a[0] ?? null, 'long.compareTo')),
});

export const DOUBLE_METHODS: MethodTable = table({
  toString: (_c, a, s) => (arity(a, 'double.toString()', 0), javaDouble(s as number)),
  intValue: (_c, a, s) => (arity(a, 'double.intValue()', 0), BigInt.asIntN(32, doubleToLong(s as number))),
  longValue: (_c, a, s) => (arity(a, 'double.longValue()', 0), doubleToLong(s as number)),
  doubleValue: (_c, a, s) => (arity(a, 'double.doubleValue()', 0), s),
  isNaN: (_c, a, s) => (arity(a, 'double.isNaN()', 0), Number.isNaN(s)),
  isInfinite: (_c, a, s) => (arity(a, 'double.isInfinite()', 0), s === Infinity || s === -Infinity),
  equals: (_c, a, s) => (arity(a, 'double.equals(Object)', 1), javaEquals(s, a[0] ?? null)),
  compareTo: (_c, a, s) => (arity(a, 'double.compareTo(double)', 1), compareNumbers(s as number, a[0] ?? null, 'double.compareTo')),
});

export const BOOLEAN_METHODS: MethodTable = table({
  toString: (_c, a, s) => (arity(a, 'boolean.toString()', 0), javaString(s)),
  booleanValue: (_c, a, s) => (arity(a, 'boolean.booleanValue()', 0), s),
  equals: (_c, a, s) => (arity(a, 'boolean.equals(Object)', 1), a[0] === s),
});

function toLongValue(v: SelValue, sig: string, min = LONG_MIN, max = LONG_MAX): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'string') return parseJavaLong(v, min, max);
  throw new SelFault(`${sig}: argument must be a String or long, got ${typeNameOf(v)}`);
}

function toDoubleValue(v: SelValue, sig: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return parseJavaDouble(v);
  throw new SelFault(`${sig}: argument must be a String or number, got ${typeNameOf(v)}`);
}

function parseBoolean(v: SelValue): boolean {
  return typeof v === 'string' && v.toLowerCase() === 'true';
}

export const LONG_STATICS: MethodTable = table({
  parseLong: (_c, a) => (arity(a, 'Long.parseLong(String)', 1), parseJavaLong(str(a, 0, 'Long.parseLong'))),
  valueOf: (_c, a) => (arity(a, 'Long.valueOf(String)', 1), toLongValue(a[0] ?? null, 'Long.valueOf')),
  toString: (_c, a) => (arity(a, 'Long.toString(long)', 1), long(a, 0, 'Long.toString').toString()),
});

export const INTEGER_STATICS: MethodTable = table({
  parseInt: (_c, a) => (arity(a, 'Integer.parseInt(String)', 1), parseJavaLong(str(a, 0, 'Integer.parseInt'), INT_MIN, INT_MAX)),
  valueOf: (_c, a) => (arity(a, 'Integer.valueOf(String)', 1), toLongValue(a[0] ?? null, 'Integer.valueOf', INT_MIN, INT_MAX)),
  toString: (_c, a) => (arity(a, 'Integer.toString(int)', 1), long(a, 0, 'Integer.toString').toString()),
});

export const DOUBLE_STATICS: MethodTable = table({
  parseDouble: (_c, a) => (arity(a, 'Double.parseDouble(String)', 1), parseJavaDouble(str(a, 0, 'Double.parseDouble'))),
  parseFloat: (_c, a) => (arity(a, 'Float.parseFloat(String)', 1), parseJavaDouble(str(a, 0, 'Float.parseFloat'))),
  valueOf: (_c, a) => (arity(a, 'Double.valueOf(String)', 1), toDoubleValue(a[0] ?? null, 'Double.valueOf')),
  toString: (_c, a) => (arity(a, 'Double.toString(double)', 1), javaDouble(num(a, 0, 'Double.toString'))),
  isNaN: (_c, a) => (arity(a, 'Double.isNaN(double)', 1), Number.isNaN(num(a, 0, 'Double.isNaN'))),
});

export const BOOLEAN_STATICS: MethodTable = table({
  parseBoolean: (_c, a) => (arity(a, 'Boolean.parseBoolean(String)', 1), parseBoolean(a[0] ?? null)),
  valueOf: (_c, a) => (arity(a, 'Boolean.valueOf(String)', 1), typeof a[0] === 'boolean' ? a[0] : parseBoolean(a[0] ?? null)),
  toString: (_c, a) => (arity(a, 'Boolean.toString(boolean)', 1), String(bool(a, 0, 'Boolean.toString'))),
});

export const LONG_FIELDS = new Map<string, SelValue>([['MAX_VALUE', LONG_MAX], ['MIN_VALUE', LONG_MIN]]);
export const INTEGER_FIELDS = new Map<string, SelValue>([['MAX_VALUE', INT_MAX], ['MIN_VALUE', INT_MIN]]);
export const DOUBLE_FIELDS = new Map<string, SelValue>([
  ['MAX_VALUE', Number.MAX_VALUE], ['MIN_VALUE', Number.MIN_VALUE],
  ['POSITIVE_INFINITY', Infinity], ['NEGATIVE_INFINITY', -Infinity], ['NaN', NaN],
]);
export const BOOLEAN_FIELDS = new Map<string, SelValue>([['TRUE', true], ['FALSE', false]]);

export const constructLong: LibFn = (_c, a) => (arity(a, 'new Long(String)', 1), toLongValue(a[0] ?? null, 'new Long'));
export const constructDouble: LibFn = (_c, a) => (arity(a, 'new Double(String)', 1), toDoubleValue(a[0] ?? null, 'new Double'));
export const constructBoolean: LibFn = (_c, a) => {
  arity(a, 'new Boolean(String)', 1);
  return typeof a[0] === 'boolean' ? a[0] : parseBoolean(str(a, 0, 'new Boolean'));
};

function minMax(a: SelValue[], name: 'min' | 'max'): SelValue {
  arity(a, `Math.${name}(a, b)`, 2);
  const [x, y] = a;
  if (typeof x === 'bigint' && typeof y === 'bigint') return (name === 'min' ? x < y : x > y) ? x : y;
  return Math[name](num(a, 0, `Math.${name}`), num(a, 1, `Math.${name}`));
}

/** Java's Math.round(double): floor(x + 0.5), NaN to 0, saturating at the long range. */
function javaRound(d: number): bigint {
  return doubleToLong(Math.floor(d + 0.5));
}

export const MATH_STATICS: MethodTable = table({
  abs: (_c, a) => {
    arity(a, 'Math.abs(x)', 1);
    const [x] = a;
    if (typeof x === 'bigint') return BigInt.asIntN(64, x < 0n ? -x : x);
    return Math.abs(num(a, 0, 'Math.abs'));
  },
  min: (_c, a) => minMax(a, 'min'),
  max: (_c, a) => minMax(a, 'max'),
  pow: (_c, a) => (arity(a, 'Math.pow(a, b)', 2), Math.pow(num(a, 0, 'Math.pow'), num(a, 1, 'Math.pow'))),
  sqrt: (_c, a) => (arity(a, 'Math.sqrt(x)', 1), Math.sqrt(num(a, 0, 'Math.sqrt'))),
  floor: (_c, a) => (arity(a, 'Math.floor(x)', 1), Math.floor(num(a, 0, 'Math.floor'))),
  ceil: (_c, a) => (arity(a, 'Math.ceil(x)', 1), Math.ceil(num(a, 0, 'Math.ceil'))),
  round: (_c, a) => {
    arity(a, 'Math.round(x)', 1);
    const [x] = a;
    return typeof x === 'bigint' ? x : javaRound(num(a, 0, 'Math.round'));
  },
  random: (c, a) => (arity(a, 'Math.random()', 0), c.scope.random()),
});

export const SYSTEM_STATICS: MethodTable = table({
  currentTimeMillis: (c, a) => (arity(a, 'System.currentTimeMillis()', 0), BigInt(Math.floor(c.scope.nowMs))),
});

export class SelUuid extends SelObject {
  readonly kind = 'UUID';
  constructor(readonly text: string) {
    super();
  }
  toJavaString(): string {
    return this.text;
  }
}

/** A version-4 UUID drawn from the scope's seeded random source. */
function randomUuid(c: LibContext): SelUuid {
  const bytes = Array.from({ length: 16 }, () => Math.floor(c.scope.random() * 256) & 0xff);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
  return new SelUuid(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`);
}

export const UUID_STATICS: MethodTable = table({
  randomUUID: (c, a) => (arity(a, 'UUID.randomUUID()', 0), randomUuid(c)),
});

export const UUID_METHODS: MethodTable = table({
  toString: (_c, a, s) => (arity(a, 'UUID.toString()', 0), (s as SelUuid).text),
});

const DAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];
const MONTHS = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'];

export const DATETIME_CONSTANTS = new Map<string, SelValue>([
  ...DAYS.map((d, i): [string, SelValue] => [d, BigInt(i + 1)]),
  ...MONTHS.map((m, i): [string, SelValue] => [m, BigInt(i + 1)]),
  ['MILLIS_PER_SECOND', 1000n],
  ['MILLIS_PER_MINUTE', 60_000n],
  ['MILLIS_PER_HOUR', 3_600_000n],
  ['MILLIS_PER_DAY', 86_400_000n],
]);
