/**
 * Fuzzing: random token soups and mutated real scripts. Whatever the input, the engine must
 * return plain data or throw an ExpressionError, never another error, and never hang.
 */
import test from 'ava';
import { createSelEngine, ExpressionError } from '../../src/expr/index.js';
import { scope } from './helpers.js';

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), a | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = [
  'x', 'y', 's', 'a', 'm', 'params', 'Math', 'Util', 'DateTime', 'String', 'Long', 'Arrays', 'DateTimeZone', 'UUID',
  '0', '1', '2', '-1', '2.5', '1e308', '9223372036854775807', "'a'", '"b,c"', "''", 'true', 'false', 'null',
  '+', '-', '*', '/', '%', '==', '!=', '<', '>', '<=', '>=', '&&', '||', '!', '?', ':', '=', '+=', '-=', '*=', '/=', '%=', '++', '--',
  '(', ')', '{', '}', '[', ']', ';', ',', '.', 'if', 'else', 'while', 'for', 'return', 'throw', 'break', 'continue', 'new',
  'int', 'long', 'double', 'boolean', 'String', 'Map', 'long[]', '.get', '.length', '.size()', '.toString()', ".split(',')",
  '.plusDays(1)', '.put(', 'new long[3]', 'new Map()', 'Util.intsBetween(0, 10, 1)', 'while (true)', 'for (;;)',
  "params.get('x')", "params['y']", 'new DateTime(0)', "DateTimeZone.forID('UTC')", 'Math.max(1, 2)', '(long)', "String.format('%s', ",
];

const SEEDS = [
  "new DateTime(1569018000000).withZone(DateTimeZone.forID('UTC')).monthOfYear().getAsText();",
  'WORKFLOW_RUN_POLICY = params.getFromInstance(\'RUN_POLICY\'); if (WORKFLOW_RUN_POLICY == "START_FRESH_NEW_RUN") return "run"; else throw "Unsupported: " + WORKFLOW_RUN_POLICY;',
  'DateTimeFormatter f = DateTimeFormat.forPattern("yyyyMMddHH").withZone(DateTimeZone.forID("UTC")); DateTime dt = f.parseDateTime(s + "00").minusDays(0); dt.toString("yyyyMMdd");',
  'Util.dateIntsBetween(20200101, 20200110, 1);',
  'x=1; for(i=2; i<10; i+=1) { x+=1; if (x>10) continue; x+=1;} return x;',
  "m = new Map(); m.put('a', 1); m.put('b', new long[]{1,2}); m.get('b')[1] + m.size();",
  "String.format('%05d-%s', x, String.join(',', 'a b c'.split(' ')));",
  'int[] r = new int[3]; for (int i = 0; i < r.length; i++) { r[i] = i * i; } return r;',
  "s.replaceAll('(\\\\d+)', '<$1>') + Util.incrementDateInt(s, 1);",
];

const MUTATION_CHARS = ['(', ')', '{', '}', '[', ']', ';', '.', ',', "'", '"', '\\', '=', '+', '-', '*', '/', '!', '?', ':', '0', '9', 'x', ' ', '\n', '$', '@', '#', '&', '|'];

function mutate(src: string, rnd: () => number): string {
  let s = src;
  const n = 1 + Math.floor(rnd() * 3);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(rnd() * (s.length + 1));
    const op = Math.floor(rnd() * 5);
    if (op === 0) s = s.slice(0, at) + s.slice(at + 1);
    else if (op === 1) s = s.slice(0, at) + (MUTATION_CHARS[Math.floor(rnd() * MUTATION_CHARS.length)] ?? '') + s.slice(at);
    else if (op === 2) s = s.slice(0, at) + s.slice(at, at + 1 + Math.floor(rnd() * 10)).repeat(2) + s.slice(at);
    else if (op === 3) s = s.replace(/\d+/, String(Math.floor(rnd() * 1e6)));
    else s = s.slice(at) + s.slice(0, at);
  }
  return s;
}

function isPlain(v: unknown): boolean {
  if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) return true;
  if (Array.isArray(v)) return v.every(isPlain);
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return Object.values(v as object).every(isPlain);
  return false;
}

function check(inputs: string[], label: string) {
  return (t: import('ava').ExecutionContext) => {
    const engine = createSelEngine({ wallTimeMs: 200, loopIterations: 2000 });
    const sc = scope({ x: 5, y: 'yy', s: '20200101', a: [1, 2, 3], m: { type: 'MAP', value: { k: 'v' } } }, {
      getFromInstance: () => 'START_FRESH_NEW_RUN',
    });
    let ok = 0;
    let failed = 0;
    let slowest = 0;
    for (const src of inputs) {
      const start = Date.now();
      try {
        const v = engine.evaluate(src, sc);
        if (!isPlain(v)) t.fail(`non-plain result for ${JSON.stringify(src)}: ${String(v)}`);
        ok++;
      } catch (e) {
        if (!(e instanceof ExpressionError)) {
          t.fail(`${label}: ${JSON.stringify(src)} threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
          return;
        }
        if (!Number.isInteger(e.line) || !Number.isInteger(e.column)) t.fail(`no position for ${JSON.stringify(src)}`);
        if (e.detail.startsWith('SEL evaluation failed')) t.fail(`internal error for ${JSON.stringify(src)}: ${e.message}`);
        failed++;
      }
      slowest = Math.max(slowest, Date.now() - start);
    }
    t.true(slowest < 1500, `slowest evaluation took ${slowest} ms`);
    t.is(ok + failed, inputs.length);
    t.log(`${label}: ${ok} evaluated, ${failed} rejected, slowest ${slowest} ms`);
  };
}

const rnd = prng(20240601);
const soups = Array.from({ length: 3000 }, () => {
  const n = 1 + Math.floor(rnd() * 25);
  return Array.from({ length: n }, () => TOKENS[Math.floor(rnd() * TOKENS.length)]).join(rnd() < 0.5 ? ' ' : '');
});
const LEAVES = ['x', 'y', 's', 'a', 'm', '0', '1', '-7', '2.5', '0.0', "'a'", "'20200101'", 'true', 'false', 'null', 'Long.MAX_VALUE', 'new DateTime(0)', 'new Map()', 'new long[]{3, 1, 2}', "new String[]{'b', 'a'}"];
const OPS = ['+', '-', '*', '/', '%', '==', '!=', '<', '>', '<=', '>=', '&&', '||'];
const METHODS = ['length()', 'size()', 'get(0)', "get('k')", 'toString()', 'substring(1)', "split(',')", 'plusDays(1)', 'getMillis()', 'intValue()', "put('k', 1)", 'isEmpty()', "equals('a')", 'compareTo(1)', 'trim()'];
const STATICS = ['Math.max', 'Math.abs', 'Math.pow', 'String.valueOf', 'Util.intsBetween', 'Util.incrementDateInt', 'Arrays.asList', 'Long.parseLong', "String.format", 'Util.dateIntToTs'];

/** Syntactically valid expressions with random types, to exercise runtime type errors. */
function gen(depth: number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  if (depth <= 0 || rnd() < 0.25) return pick(LEAVES);
  switch (Math.floor(rnd() * 8)) {
    case 0:
      return `${gen(depth - 1)} ${pick(OPS)} ${gen(depth - 1)}`;
    case 1:
      return `(${gen(depth - 1)})`;
    case 2:
      return `${pick(['-', '!', '(long) ', '(double) '])}${gen(depth - 1)}`;
    case 3:
      return `${gen(depth - 1)} ? ${gen(depth - 1)} : ${gen(depth - 1)}`;
    case 4:
      return `(${gen(depth - 1)}).${pick(METHODS)}`;
    case 5:
      return `${pick(STATICS)}(${Array.from({ length: Math.floor(rnd() * 4) }, () => gen(depth - 1)).join(', ')})`;
    case 6:
      return `(${gen(depth - 1)})[${gen(depth - 1)}]`;
    default:
      return `v = ${gen(depth - 1)}; v ${pick(['+=', '-=', '*=', '='])} ${gen(depth - 1)}`;
  }
}
const generated = Array.from({ length: 2000 }, () => `${gen(4)};`);
const mutants = Array.from({ length: 2000 }, (_, i) => mutate(SEEDS[i % SEEDS.length] ?? '', rnd));

test('random token strings only ever produce data or ExpressionError', check(soups, 'token soup'));
test('random well-formed expressions only ever produce data or ExpressionError', check(generated, 'generated'));
test('mutated real scripts only ever produce data or ExpressionError', check(mutants, 'mutants'));
test('the seed scripts themselves evaluate', (t) => {
  const engine = createSelEngine();
  const sc = scope({ x: 5, s: '20200101' }, { getFromInstance: () => 'START_FRESH_NEW_RUN' });
  for (const src of SEEDS) t.notThrows(() => engine.evaluate(src, sc), src);
});
