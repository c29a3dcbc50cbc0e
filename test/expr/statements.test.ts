import test from 'ava';
import { ExpressionError } from '../../src/expr/index.js';
import { run, throwsSel } from './helpers.js';

test("Maestro's evaluation-visitor vectors", (t) => {
  t.is(run('x=1+1;'), 2);
  t.is(run('x=1; for(i=2; i<10; i+=1) { x+=1; x+=1;} return x;'), 17);
  t.is(run('x=1; for(i=2; i<10; i+=1) { x+=1; if (x>10) continue; x+=1;} return x;'), 14);
  t.is(run('x=1; for(i=2; i<10; i+=1) { x+=1; if (x>10) return x; x+=1;} return x;'), 12);
  t.is(run('x=1; for(i=2; i<10; i+=1) { x+=1; if (x>10) break; x+=1;} return x;'), 12);
  t.is(run('x=1; if (x>1) x=3; else if (x<1) x=-3; else x=-x; return x;'), -1);
  t.is(run('x=1; while (x<5) {x+=1; x+=1; x+=1;} return x;'), 7);
  t.is(run('x=1; x>0 && x<10;'), true);
  t.is(run('x=1; for(;;){x+=1; if (x>10) break; x+=1;} return x;'), 12);
  t.is(run('x=1; while(true){x+=1; if (x>10) break; x+=1;} return x;'), 12);
  t.is(run('int[] x = new int[]{1,2}; x[1];'), 2);
  t.is(run("params['foo'];", { foo: 'bar' }), 'bar');
});

test('the value is the return value, else the last expression statement', (t) => {
  t.is(run("'bar1';"), 'bar1');
  t.is(run('return 100;'), 100);
  t.is(run('x = 1; { x += 1; x * 10; }'), 20);
  t.is(run('return 1; 2;'), 1);
});

test('a script without a final value is an error', (t) => {
  throwsSel(t, () => run('int x = 1;'), 'produced no value');
  throwsSel(t, () => run('x = 1; if (x > 0) x = 2;'), 'produced no value');
  throwsSel(t, () => run('{}'), 'produced no value');
  throwsSel(t, () => run('for (i = 0; i < 2; i++) i;'), 'produced no value');
});

test('declarations with Java types, several declarators, and defaults', (t) => {
  t.deepEqual(run('int a = 1, b, c = a + 2; new long[]{a, b, c};'), [1, 0, 3]);
  t.deepEqual(run('double d; boolean f; String s; new String[]{"" + d, "" + f, s};'), ['0.0', 'false', null]);
  t.is(run('double d = 3; d / 2;'), 1.5);
  t.deepEqual(run('long[] a = {1, 2, 3,}; a;'), [1, 2, 3]);
  t.deepEqual(run('String[] s = new String[2]; s;'), [null, null]);
  t.deepEqual(run('Boolean[] b = new Boolean[]{2 > 1, 2 < 1}; b;'), [true, false]);
});

test('declarations and assignments are type checked', (t) => {
  throwsSel(t, () => run('int x = "hello world";'), 'type mismatch: cannot assign String to long x');
  throwsSel(t, () => run('x = 1; x = "a";'), 'cannot assign String to long x');
  throwsSel(t, () => run('long n = null;'), 'cannot assign null to long n');
  throwsSel(t, () => run('long[] a = {1, "b"};'), 'cannot assign String to long array element 1');
  throwsSel(t, () => run('long[] a = new double[]{1.5};'), 'cannot assign double[] to long[] a');
  t.is(run('String s = null; s = "x"; s;'), 'x');
  t.is(run('x = null; x = 5; x + 1;'), 6);
});

test('variables are function-scoped, as in Maestro', (t) => {
  t.is(run('if (true) { String s = "in"; } return s;'), 'in');
  t.is(run('for (int i = 0; i < 3; i++) {} for (int i = 0; i < 2; i++) {} return i;'), 2);
});

test('if / else if / else chains and dangling else', (t) => {
  const src = "if (n < 0) r = 'neg'; else if (n == 0) r = 'zero'; else r = 'pos'; return r;";
  t.is(run(src, { n: -3 }), 'neg');
  t.is(run(src, { n: 0 }), 'zero');
  t.is(run(src, { n: 7 }), 'pos');
  t.is(run("r = 'none'; if (true) if (false) r = 'a'; else r = 'b'; return r;"), 'b');
  throwsSel(t, () => run('if (1) { 2; }'), 'if condition must be a boolean, got long');
});

test('while and for loops, break and continue', (t) => {
  t.is(run('int x = 0; while(x<10) x+=3; return x;'), 12);
  t.is(run('s = 0; for (int i = 0, j = 10; i < j; i++, j--) s += 1; return s;'), 5);
  t.is(run('s = 0; for (i = 0; i < 10; i++) { if (i % 2 == 0) continue; if (i > 7) break; s += i; } return s;'), 16);
  t.is(run('s = 0; for (i = 0; i < 3; i++) for (j = 0; j < 3; j++) { if (j == 1) break; s++; } return s;'), 3);
  t.is(run('for (i = 0; i < 10; i++) { if (i == 4) return i * 100; } return -1;'), 400);
  throwsSel(t, () => run('while (1) {}'), 'while condition must be a boolean');
});

test('throw ends evaluation with an ExpressionError carrying the message', (t) => {
  const err = throwsSel(t, () => run('x = 5; if (x > 1) throw "invalid variable value: " + x; return x;'), 'invalid variable value: 5');
  t.true(err.thrown);
  t.is(err.detail, 'invalid variable value: 5');
  t.is(err.line, 1);
  t.is(err.column, 19);
  t.is(err.kind, 'invalid_argument');
  t.false(err.retryable);
});

test('runtime errors carry the line and column of the failing operation', (t) => {
  const err = t.throws(() => run('x = 1;\ny = "a";\nz = x - y;'), { instanceOf: ExpressionError });
  t.is(err?.line, 3);
  t.is(err?.column, 7);
  const call = t.throws(() => run("s = 'abc';\n  s.nope();"), { instanceOf: ExpressionError });
  t.is(call?.line, 2);
  t.is(call?.column, 5);
  t.regex(call?.message ?? '', /String has no method nope\(\)/);
});

test('an empty statement is allowed and keeps the previous value', (t) => {
  t.is(run('1;;'), 1);
});
