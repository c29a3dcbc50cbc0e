/** Shared plumbing of the SEL class library: the call context and argument checking. */
import type { EvalScope } from '../../core/expr-port.js';
import { SelFault } from '../errors.js';
import type { Budget } from '../budget.js';
import { SelArray, SelMap, typeNameOf, type SelValue } from '../values.js';

export interface LibContext extends Budget {
  readonly scope: EvalScope;
}

/** A library method; `self` is the receiver (the class reference for static methods). */
export type LibFn = (ctx: LibContext, args: SelValue[], self: SelValue) => SelValue;
export type MethodTable = ReadonlyMap<string, LibFn>;

export function arity(args: SelValue[], sig: string, min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new SelFault(`${sig} takes ${want} argument(s), got ${args.length}`);
  }
}

function wrong(sig: string, i: number, want: string, v: SelValue | undefined): never {
  throw new SelFault(`${sig}: argument ${i + 1} must be ${want}, got ${v === undefined ? 'nothing' : typeNameOf(v)}`);
}

export function str(args: SelValue[], i: number, sig: string): string {
  const v = args[i];
  return typeof v === 'string' ? v : wrong(sig, i, 'a String', v);
}

export function long(args: SelValue[], i: number, sig: string): bigint {
  const v = args[i];
  return typeof v === 'bigint' ? v : wrong(sig, i, 'a long', v);
}

/** A Java int argument: a long within the 32-bit range. */
export function int(args: SelValue[], i: number, sig: string): number {
  const v = long(args, i, sig);
  if (v < -2147483648n || v > 2147483647n) throw new SelFault(`${sig}: argument ${i + 1} (${v}) is out of the int range`);
  return Number(v);
}

/** A numeric argument (long widened to double). */
export function num(args: SelValue[], i: number, sig: string): number {
  const v = args[i];
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return wrong(sig, i, 'a number', v);
}

export function bool(args: SelValue[], i: number, sig: string): boolean {
  const v = args[i];
  return typeof v === 'boolean' ? v : wrong(sig, i, 'a boolean', v);
}

export function array(args: SelValue[], i: number, sig: string): SelArray {
  const v = args[i];
  return v instanceof SelArray ? v : wrong(sig, i, 'an array', v);
}

export function map(args: SelValue[], i: number, sig: string): SelMap {
  const v = args[i];
  return v instanceof SelMap ? v : wrong(sig, i, 'a Map', v);
}

export function instance<C>(args: SelValue[], i: number, sig: string, cls: abstract new (...a: never[]) => C, name: string): C {
  const v = args[i];
  return v instanceof cls ? v : wrong(sig, i, `a ${name}`, v);
}

/** Maestro's SelString.create: a String, or a long rendered in decimal. */
export function stringish(args: SelValue[], i: number, sig: string): string {
  const v = args[i];
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  return wrong(sig, i, 'a String or long', v);
}

/** Maestro's SelLong.create: a long, or a String parsed as one. */
export function longish(args: SelValue[], i: number, sig: string): bigint {
  const v = args[i];
  if (typeof v === 'bigint') return v;
  if (typeof v === 'string') return parseJavaLong(v);
  return wrong(sig, i, 'a long or String', v);
}

/** Java's Long.parseLong (decimal, optional sign, no whitespace). */
export function parseJavaLong(s: string, min = -(2n ** 63n), max = 2n ** 63n - 1n): bigint {
  if (!/^[+-]?\d+$/.test(s)) throw new SelFault(`NumberFormatException: For input string: "${s}"`);
  const v = BigInt(s);
  if (v < min || v > max) throw new SelFault(`NumberFormatException: For input string: "${s}" (out of range)`);
  return v;
}

/** Java's Double.parseDouble (surrounding whitespace allowed, f/d suffixes, NaN, Infinity). */
export function parseJavaDouble(s: string): number {
  const t = s.trim();
  const m = /^([+-]?)(NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[fFdD]?$/.exec(t);
  if (!m) throw new SelFault(`NumberFormatException: For input string: "${s}"`);
  const v = m[2] === 'NaN' ? NaN : Number(m[2]);
  return m[1] === '-' ? -v : v;
}

export function table<K extends string>(entries: { [P in K]: LibFn }): MethodTable {
  return new Map<string, LibFn>(Object.entries<LibFn>(entries));
}
