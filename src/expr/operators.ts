/**
 * Java operator semantics on SEL values. long arithmetic wraps at 64 bits and divides by
 * truncation; long op double widens to double; `+` concatenates when either side is a String;
 * no other implicit conversion is made (`"a" - 1`, `1 == "1"`, `true + 1` are errors).
 */
import type { BinaryOp, CastType } from './ast.js';
import { SelFault } from './errors.js';
import { checkSize, type Budget } from './budget.js';
import { javaString, kindOf, typeNameOf, type SelValue } from './values.js';

function badOperands(op: string, a: SelValue, b: SelValue): never {
  throw new SelFault(`operator ${op} cannot be applied to ${typeNameOf(a)} and ${typeNameOf(b)}`);
}

export function concat(a: SelValue, b: SelValue, budget: Budget): string {
  const sa = javaString(a);
  const sb = javaString(b);
  const length = sa.length + sb.length;
  checkSize(budget.limits, 'stringLength', length);
  budget.charge(2 * length + 32);
  return sa + sb;
}

export function binary(op: BinaryOp, a: SelValue, b: SelValue, budget: Budget): SelValue {
  if (op === '==') return equalsOp(a, b);
  if (op === '!=') return !equalsOp(a, b);
  if (op === '+' && (typeof a === 'string' || typeof b === 'string')) return concat(a, b, budget);
  if (typeof a === 'bigint' && typeof b === 'bigint') return longOp(op, a, b);
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    return doubleOp(op, Number(a), Number(b));
  }
  return badOperands(op, a, b);
}

function longOp(op: BinaryOp, a: bigint, b: bigint): SelValue {
  switch (op) {
    case '+':
      return BigInt.asIntN(64, a + b);
    case '-':
      return BigInt.asIntN(64, a - b);
    case '*':
      return BigInt.asIntN(64, a * b);
    case '/':
      if (b === 0n) throw new SelFault('ArithmeticException: / by zero');
      return BigInt.asIntN(64, a / b);
    case '%':
      if (b === 0n) throw new SelFault('ArithmeticException: / by zero');
      return a % b;
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '>=':
      return a >= b;
    default:
      return a === b;
  }
}

function doubleOp(op: BinaryOp, a: number, b: number): SelValue {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '>=':
      return a >= b;
    default:
      return a === b;
  }
}

/**
 * `==`: numbers by value (long and double compare numerically), Strings by value (as Maestro
 * does, unlike Java's reference comparison), booleans by value, null only equals null, other
 * objects by reference. Comparing unrelated types is an error, as in Java.
 */
export function equalsOp(a: SelValue, b: SelValue): boolean {
  if (a === null || b === null) return a === b;
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === 'bigint' || ta === 'number') && (tb === 'bigint' || tb === 'number')) {
    return ta === tb ? a === b : Number(a) === Number(b);
  }
  if (ta !== tb || (ta === 'object' && kindOf(a) !== kindOf(b))) {
    throw new SelFault(`incomparable types: ${typeNameOf(a)} and ${typeNameOf(b)}`);
  }
  return a === b;
}

/** Java's Object.equals for SEL values (no numeric widening: Long(1).equals(Double(1.0)) is false). */
export function javaEquals(a: SelValue, b: SelValue): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b));
  return a === b;
}

export function unary(op: '-' | '+' | '!', v: SelValue): SelValue {
  if (op === '!') {
    if (typeof v !== 'boolean') throw new SelFault(`operator ! cannot be applied to ${typeNameOf(v)}`);
    return !v;
  }
  if (typeof v === 'bigint') return op === '-' ? BigInt.asIntN(64, -v) : v;
  if (typeof v === 'number') return op === '-' ? -v : v;
  throw new SelFault(`operator ${op} cannot be applied to ${typeNameOf(v)}`);
}

const LONG_MIN_D = -(2 ** 63);
const LONG_MAX_D = 2 ** 63;

/** Java's (long) of a double: truncation, NaN to 0, saturating at the long range. */
export function doubleToLong(d: number): bigint {
  if (Number.isNaN(d)) return 0n;
  if (d <= LONG_MIN_D) return -(2n ** 63n);
  if (d >= LONG_MAX_D) return 2n ** 63n - 1n;
  return BigInt(Math.trunc(d));
}

/** Java's (int) of a double: truncation, NaN to 0, saturating at the int range. */
function doubleToInt(d: number): bigint {
  if (Number.isNaN(d)) return 0n;
  return BigInt(Math.max(-2147483648, Math.min(2147483647, Math.trunc(d))));
}

export function cast(type: CastType, v: SelValue): SelValue {
  switch (type) {
    case 'boolean':
      if (typeof v === 'boolean') return v;
      break;
    case 'double':
    case 'float':
      if (typeof v === 'number') return v;
      if (typeof v === 'bigint') return Number(v);
      break;
    case 'long':
      if (typeof v === 'bigint') return v;
      if (typeof v === 'number') return doubleToLong(v);
      break;
    case 'int':
      if (typeof v === 'bigint') return BigInt.asIntN(32, v);
      if (typeof v === 'number') return doubleToInt(v);
      break;
  }
  throw new SelFault(`cannot cast ${typeNameOf(v)} to ${type}`);
}
