import test from 'ava';
import { createSelEngine, DEFAULT_SEL_LIMITS, ExpressionError } from '../../src/expr/index.js';
import { run, scope, throwsSel, withLimits } from './helpers.js';

test("defaults are Maestro's (loop 25001, array 25001, length 10000, stack 128)", (t) => {
  t.is(DEFAULT_SEL_LIMITS.loopIterations, 25_001);
  t.is(DEFAULT_SEL_LIMITS.arraySize, 25_001);
  t.is(DEFAULT_SEL_LIMITS.sourceLength, 10_000);
  t.is(DEFAULT_SEL_LIMITS.stackDepth, 128);
  t.is(DEFAULT_SEL_LIMITS.memoryBytes, 100_000_000);
  t.true(DEFAULT_SEL_LIMITS.wallTimeMs > 0 && DEFAULT_SEL_LIMITS.nodeVisits > 0);
  t.throws(() => createSelEngine({ loopIterations: 0 }), { instanceOf: RangeError, message: /loopIterations must be a positive integer/ });
});

test('loopIterations: a loop may run exactly the limit, one more fails', (t) => {
  t.is(run('n = 0; while (n < 25001) n++; n;'), 25001);
  const err = throwsSel(t, () => run('n = 0; while (n < 25002) n++; n;'), 'SEL limit exceeded: loop iterations > 25001 (loopIterations)');
  t.is(err.limit, 'loopIterations');
  const small = withLimits({ loopIterations: 10 });
  t.is(small('s = 0; for (i = 0; i < 10; i++) s += i; s;'), 45);
  throwsSel(t, () => small('for (;;) {}'), 'loop iterations > 10');
  t.is(small('s = 0; for (i = 0; i < 10; i++) for (j = 0; j < 10; j++) s++; s;'), 100);
});

test('arraySize: literals, new T[n], split, Util and maps are bounded', (t) => {
  const small = withLimits({ arraySize: 5 });
  t.deepEqual(small('new long[5];'), [0, 0, 0, 0, 0]);
  const err = throwsSel(t, () => small('new long[6];'), 'SEL limit exceeded: array size 6 > 5 (arraySize)');
  t.is(err.limit, 'arraySize');
  throwsSel(t, () => small('new long[]{1, 2, 3, 4, 5, 6};'), 'array size 6 > 5');
  throwsSel(t, () => small("'a,b,c,d,e,f'.split(',');"), 'array size 6 > 5');
  throwsSel(t, () => small('Util.intsBetween(0, 100, 1);'), 'array size 100 > 5');
  throwsSel(t, () => small('Util.dateIntsBetween(20200101, 20200201, 1);'), 'array size 31 > 5');
  throwsSel(t, () => small("m = new Map(); for (i = 0; i < 6; i++) m.put('' + i, i); m;"), 'array size 6 > 5');
  throwsSel(t, () => small('a;', { a: [1, 2, 3, 4, 5, 6] }), 'array size 6 > 5');
  throwsSel(t, () => run('new long[25002];'), 'array size 25002 > 25001');
});

test('sourceLength: over-long expressions are refused before parsing', (t) => {
  const err = throwsSel(t, () => run(`x = '${'a'.repeat(10_000)}';`), 'SEL limit exceeded: expression length 10007 > 10000 (sourceLength)');
  t.is(err.limit, 'sourceLength');
  t.is(run(`'${'a'.repeat(9_000)}'.length();`), 9000);
});

test('stackDepth: deep nesting is refused, whatever builds it', (t) => {
  const nested = (n: number) => `${'('.repeat(n)}1${')'.repeat(n)};`;
  t.is(run(nested(100)), 1);
  const err = throwsSel(t, () => run(nested(200)), 'SEL limit exceeded: nesting depth > 128 (stackDepth)');
  t.is(err.limit, 'stackDepth');
  throwsSel(t, () => run(`${'!'.repeat(300)}true;`), 'nesting depth > 128');
  throwsSel(t, () => run(`${'- '.repeat(3000)} 1;`), 'nesting depth');
  throwsSel(t, () => run(`x = 0; ${'if (true) '.repeat(200)} x = 1; x;`), 'nesting depth > 128');
  throwsSel(t, () => run(`${'a ? '.repeat(200)} 1 ${': 2 '.repeat(200)};`), 'nesting depth');
  throwsSel(t, () => run(`x = ${'{'.repeat(5000)}`), 'nesting depth > 128');
  t.is(run(`s = 0; ${'s = s + 1; '.repeat(500)} s;`), 500);
  t.is(run(`${Array.from({ length: 1000 }, (_, i) => i).join(' + ')};`), 499500);
});

test('nodeVisits bounds total work', (t) => {
  const small = withLimits({ nodeVisits: 1000 });
  t.is(small('j = 0; for (i = 0; i < 10; i++) j += 1; j;'), 10);
  const err = throwsSel(t, () => small('j = 0; for (i = 0; i < 1000; i++) j += 1; j;'), 'SEL limit exceeded: node visits > 1000 (nodeVisits)');
  t.is(err.limit, 'nodeVisits');
});

test('wallTimeMs bounds evaluation time', (t) => {
  const small = withLimits({ wallTimeMs: 50 });
  const start = Date.now();
  const err = throwsSel(t, () => small('s = 0; for (i = 0; i < 25000; i++) for (j = 0; j < 25000; j++) s++; s;'), 'SEL limit exceeded: wall time ms > 50 (wallTimeMs)');
  t.is(err.limit, 'wallTimeMs');
  t.true(Date.now() - start < 2000, 'stopped soon after the deadline');
});

test('stringLength bounds strings a script builds', (t) => {
  const small = withLimits({ stringLength: 1000 });
  const err = throwsSel(t, () => small("s = 'ab'; while (true) s = s + s; s;"), 'SEL limit exceeded: string length 1024 > 1000 (stringLength)');
  t.is(err.limit, 'stringLength');
  throwsSel(t, () => small("'ab'.repeat(501);"), 'string length 1002 > 1000');
  throwsSel(t, () => small("String.format('%2000s', 'a');"), 'string length 2000 > 1000');
  throwsSel(t, () => small("s = 'a'; while (true) s += s;"), 'string length');
  throwsSel(t, () => small("String.join(',', 'a'.repeat(600), 'b'.repeat(600));"), 'string length');
});

test('memoryBytes bounds what a script allocates, counted cumulatively like Maestro', (t) => {
  const small = withLimits({ memoryBytes: 100_000 });
  t.is(small("s = 'x'.repeat(1000); s.length();"), 1000);
  const err = throwsSel(t, () => small("m = new Map(); for (i = 0; i < 1000; i++) m.put('' + i, 'x'.repeat(100)); m.size();"), 'SEL limit exceeded: allocated bytes');
  t.is(err.limit, 'memoryBytes');
  throwsSel(t, () => small('for (i = 0; i < 100; i++) a = new long[1000]; 1;'), '(memoryBytes)');
  throwsSel(t, () => small("s = ''; for (i = 0; i < 1000; i++) s += 'abcdefghij'; s.length();"), '(memoryBytes)');
  throwsSel(t, () => small('a;', { a: Array.from({ length: 20_000 }, (_, i) => i) }), '(memoryBytes)');
  const big = 'y'.repeat(400_000);
  t.is(run('m = new Map(); for (i = 0; i < 200; i++) m.put(s + i, s); m.size();', { s: 'k' }), 200);
  throwsSel(t, () => run("m = new Map(); for (i = 0; i < 1000; i++) m.put('' + i, s.toUpperCase()); m.size();", { s: big }), 'allocated bytes');
});

test('cacheEntries bounds the parse cache (least recently used goes first)', (t) => {
  const e = createSelEngine({ cacheEntries: 2 });
  const a = e.compile('1 + 1');
  const b = e.compile('2 + 2');
  t.is(e.compile('1 + 1'), a);
  e.compile('3 + 3');
  t.is(e.compile('1 + 1'), a, 'a was used recently and stays');
  t.not(e.compile('2 + 2'), b, 'b was evicted and is parsed again');
  t.is(e.evaluate('2 + 2', scope()), 4);
});

test('limit errors are ExpressionErrors with a position', (t) => {
  const err = t.throws(() => run('x = 1;\nwhile (true) { x++; }'), { instanceOf: ExpressionError });
  t.is(err?.line, 2);
  t.is(err?.column, 1);
});
