/** java.lang.String: instance methods and the static String class (valueOf, format, join). */
import { SelFault } from '../errors.js';
import type { SelLimits } from '../limits.js';
import { chargeArray, checkSize, type Budget } from '../budget.js';
import { javaString, SelArray, type SelValue } from '../values.js';
import { arity, int, str, table, type LibFn, type MethodTable } from './args.js';
import { javaFormat } from './java-format.js';
import { javaMatches, javaReplaceRegex, javaSplit } from './java-regex.js';

/** Java's String.compareTo: first differing UTF-16 unit, else the length difference. */
export function javaCompare(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

const foldCase = (s: string): string => [...s].map((c) => c.toUpperCase().toLowerCase()).join('');

/** Java's trim: strips characters <= U+0020 at both ends. */
function javaTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 32) start++;
  while (end > start && s.charCodeAt(end - 1) <= 32) end--;
  return s.substring(start, end);
}

function outOfBounds(detail: string): never {
  throw new SelFault(`StringIndexOutOfBoundsException: ${detail}`);
}

/** Java's literal String.replace: every occurrence; an empty target inserts between all chars. */
function replaceLiteral(s: string, target: string, replacement: string, limits: SelLimits): string {
  const estimate = target === '' ? s.length + (s.length + 1) * replacement.length : s.length;
  checkSize(limits, 'stringLength', estimate);
  const out = target === '' ? replacement + [...s].join(replacement) + (s.length > 0 ? replacement : '') : s.split(target).join(replacement);
  checkSize(limits, 'stringLength', out.length);
  return out;
}

/** Maestro's String.escape: Java string escaping of backslash, quotes and control characters. */
function escapeJava(s: string): string {
  return s
    .replaceAll('\\', '\\\\')
    .replaceAll('\t', '\\t')
    .replaceAll('\b', '\\b')
    .replaceAll('\n', '\\n')
    .replaceAll('\r', '\\r')
    .replaceAll('\f', '\\f')
    .replaceAll('"', '\\"');
}

const self = (v: SelValue): string => v as string;
const sig = (name: string): string => `String.${name}`;

function charArg(args: SelValue[], i: number, name: string): string {
  const v = args[i];
  if (typeof v === 'bigint') return String.fromCharCode(Number(BigInt.asUintN(16, v)));
  return str(args, i, sig(name));
}

function stringArray(parts: string[], budget: Budget): SelArray {
  chargeArray(budget, parts.length);
  return new SelArray('STRING', parts);
}

export const STRING_METHODS: MethodTable = table({
  length: (_c, a, s) => (arity(a, sig('length()'), 0), BigInt(self(s).length)),
  isEmpty: (_c, a, s) => (arity(a, sig('isEmpty()'), 0), self(s).length === 0),
  isBlank: (_c, a, s) => (arity(a, sig('isBlank()'), 0), self(s).trim() === ''),
  toString: (_c, a, s) => (arity(a, sig('toString()'), 0), self(s)),
  trim: (_c, a, s) => (arity(a, sig('trim()'), 0), javaTrim(self(s))),
  toUpperCase: (_c, a, s) => (arity(a, sig('toUpperCase()'), 0), self(s).toUpperCase()),
  toLowerCase: (_c, a, s) => (arity(a, sig('toLowerCase()'), 0), self(s).toLowerCase()),
  charAt: (_c, a, s) => {
    arity(a, sig('charAt(int)'), 1);
    const i = int(a, 0, sig('charAt'));
    const v = self(s);
    if (i < 0 || i >= v.length) outOfBounds(`index ${i}, length ${v.length}`);
    return v.charAt(i);
  },
  substring: (_c, a, s) => {
    arity(a, sig('substring(int[, int])'), 1, 2);
    const v = self(s);
    const begin = int(a, 0, sig('substring'));
    const end = a.length > 1 ? int(a, 1, sig('substring')) : v.length;
    if (begin < 0 || end > v.length || begin > end) outOfBounds(`begin ${begin}, end ${end}, length ${v.length}`);
    return v.substring(begin, end);
  },
  indexOf: (_c, a, s) => {
    arity(a, sig('indexOf(String[, int])'), 1, 2);
    return BigInt(self(s).indexOf(charArg(a, 0, 'indexOf'), a.length > 1 ? Math.max(0, int(a, 1, sig('indexOf'))) : 0));
  },
  lastIndexOf: (_c, a, s) => {
    arity(a, sig('lastIndexOf(String[, int])'), 1, 2);
    const from = a.length > 1 ? int(a, 1, sig('lastIndexOf')) : Infinity;
    return from < 0 ? -1n : BigInt(self(s).lastIndexOf(charArg(a, 0, 'lastIndexOf'), from));
  },
  contains: (_c, a, s) => (arity(a, sig('contains(String)'), 1), self(s).includes(str(a, 0, sig('contains')))),
  startsWith: (_c, a, s) => {
    arity(a, sig('startsWith(String[, int])'), 1, 2);
    const offset = a.length > 1 ? int(a, 1, sig('startsWith')) : 0;
    return offset >= 0 && self(s).startsWith(str(a, 0, sig('startsWith')), offset);
  },
  endsWith: (_c, a, s) => (arity(a, sig('endsWith(String)'), 1), self(s).endsWith(str(a, 0, sig('endsWith')))),
  equals: (_c, a, s) => (arity(a, sig('equals(Object)'), 1), a[0] === self(s)),
  equalsIgnoreCase: (_c, a, s) => {
    arity(a, sig('equalsIgnoreCase(String)'), 1);
    const o = a[0];
    return typeof o === 'string' && o.length === self(s).length && foldCase(o) === foldCase(self(s));
  },
  compareTo: (_c, a, s) => (arity(a, sig('compareTo(String)'), 1), BigInt(javaCompare(self(s), str(a, 0, sig('compareTo'))))),
  compareToIgnoreCase: (_c, a, s) => {
    arity(a, sig('compareToIgnoreCase(String)'), 1);
    return BigInt(javaCompare(foldCase(self(s)), foldCase(str(a, 0, sig('compareToIgnoreCase')))));
  },
  concat: (c, a, s) => {
    arity(a, sig('concat(String)'), 1);
    const o = str(a, 0, sig('concat'));
    checkSize(c.limits, 'stringLength', self(s).length + o.length);
    return self(s) + o;
  },
  repeat: (c, a, s) => {
    arity(a, sig('repeat(int)'), 1);
    const n = int(a, 0, sig('repeat'));
    if (n < 0) throw new SelFault(`IllegalArgumentException: count is negative: ${n}`);
    checkSize(c.limits, 'stringLength', self(s).length * n);
    return self(s).repeat(n);
  },
  replace: (c, a, s) => (arity(a, sig('replace(String, String)'), 2), replaceLiteral(self(s), charArg(a, 0, 'replace'), charArg(a, 1, 'replace'), c.limits)),
  replaceAll: (c, a, s) => (arity(a, sig('replaceAll(String, String)'), 2), javaReplaceRegex(self(s), str(a, 0, sig('replaceAll')), str(a, 1, sig('replaceAll')), true, c.limits)),
  replaceFirst: (c, a, s) => (arity(a, sig('replaceFirst(String, String)'), 2), javaReplaceRegex(self(s), str(a, 0, sig('replaceFirst')), str(a, 1, sig('replaceFirst')), false, c.limits)),
  matches: (_c, a, s) => (arity(a, sig('matches(String)'), 1), javaMatches(self(s), str(a, 0, sig('matches')))),
  split: (c, a, s) => {
    arity(a, sig('split(String[, int])'), 1, 2);
    return stringArray(javaSplit(self(s), str(a, 0, sig('split')), a.length > 1 ? int(a, 1, sig('split')) : 0, c.limits), c);
  },
  escape: (_c, a, s) => (arity(a, sig('escape([String])'), 0, 1), escapeJava(a.length === 0 ? self(s) : str(a, 0, sig('escape')))),
});

function join(sep: string, args: SelValue[], limits: SelLimits): string {
  const [first] = args;
  const items = args.length === 1 && first instanceof SelArray ? first.items : args;
  const parts = items.map((v, i) => {
    if (typeof v === 'string' || v === null) return javaString(v);
    throw new SelFault(`String.join: element ${i + 1} must be a String, got ${javaString(v)}`);
  });
  const out = parts.join(sep);
  checkSize(limits, 'stringLength', out.length);
  return out;
}

export const STRING_STATICS: MethodTable = table({
  valueOf: (_c, a) => (arity(a, 'String.valueOf(Object)', 1), javaString(a[0] ?? null)),
  format: (c, a) => {
    arity(a, 'String.format(String, Object...)', 1, Infinity);
    const rest = a.slice(1);
    const [only] = rest;
    const varargs = rest.length === 1 && only instanceof SelArray ? only.items : rest;
    return javaFormat(str(a, 0, 'String.format'), varargs, c.limits);
  },
  join: (c, a) => (arity(a, 'String.join(String, String...)', 1, Infinity), join(str(a, 0, 'String.join'), a.slice(1), c.limits)),
  escape: (_c, a) => (arity(a, 'String.escape(String)', 1), escapeJava(str(a, 0, 'String.escape'))),
});

export const newString: LibFn = (_c, a) => {
  arity(a, 'new String([String])', 0, 1);
  const [v] = a;
  if (v === undefined) return '';
  if (typeof v === 'string' || typeof v === 'bigint') return javaString(v);
  return str(a, 0, 'new String');
};
