import test from 'ava';
import { run, throwsSel } from './helpers.js';

test('long arithmetic: integer division truncates toward zero, % keeps the dividend sign', (t) => {
  t.is(run('7 / 2;'), 3);
  t.is(run('-7 / 2;'), -3);
  t.is(run('7 % 3;'), 1);
  t.is(run('-7 % 3;'), -1);
  t.is(run('2 * 3 + 4 * 5 - 6;'), 20);
  t.is(run('(2 + 3) * 4;'), 20);
});

test('long arithmetic wraps at 64 bits like Java', (t) => {
  t.is(run('Long.MAX_VALUE + 1 == Long.MIN_VALUE;'), true);
  t.is(run('String.valueOf(Long.MIN_VALUE / -1);'), '-9223372036854775808');
  t.is(run('String.valueOf(3037000500L * 3037000500L);'), '-9223372036709301616');
});

test('integer division or remainder by zero is an ArithmeticException', (t) => {
  throwsSel(t, () => run('1 / 0;'), '/ by zero');
  throwsSel(t, () => run('x = 0; 5 % x;'), '/ by zero');
  t.is(run('1.0 / 0;'), Infinity);
});

test('doubles, and long op double widens to double', (t) => {
  t.is(run('1.0 / 2;'), 0.5);
  t.is(run('1 + 2.5;'), 3.5);
  t.is(run('7.5 % 2;'), 1.5);
  t.is(run('0.1 + 0.2;'), 0.1 + 0.2);
});

test('+ concatenates when either side is a String, formatting values like Java', (t) => {
  t.is(run("'a' + 1 + 2;"), 'a12');
  t.is(run("1 + 2 + 'a';"), '3a');
  t.is(run("'' + 1.0 + ',' + 1e7 + ',' + 1.5e-5 + ',' + true + ',' + null;"), '1.0,1.0E7,1.5E-5,true,null');
  t.is(run("'x' + new long[]{1, 2};"), 'x[1, 2]');
});

test('no implicit conversions Java would not do', (t) => {
  throwsSel(t, () => run("'a' - 1;"), 'operator - cannot be applied to String and long');
  throwsSel(t, () => run("'a' * 2;"), 'operator * cannot be applied to String and long');
  throwsSel(t, () => run('true + 1;'), 'operator + cannot be applied to boolean and long');
  throwsSel(t, () => run("'a' < 'b';"), 'operator < cannot be applied to String and String');
  throwsSel(t, () => run('null + 1;'), 'operator + cannot be applied to null and long');
});

test('comparisons on numbers', (t) => {
  t.deepEqual(run('new boolean[]{1 < 2, 2 <= 2, 3 > 4, 4 >= 4, 1 < 1.5, 2.0 > 1};'), [true, true, false, true, true, true]);
});

test('== compares numbers by value, Strings by value, and refuses unrelated types', (t) => {
  t.is(run('1 == 1.0;'), true);
  t.is(run("'ab' == 'a' + 'b';"), true);
  t.is(run("'a' != 'b';"), true);
  t.is(run('true == false;'), false);
  t.is(run("x = null; x == null;"), true);
  t.is(run("'a' == null;"), false);
  throwsSel(t, () => run("1 == '1';"), 'incomparable types: long and String');
  throwsSel(t, () => run('true == 1;'), 'incomparable types: boolean and long');
});

test('&& and || short-circuit and need booleans', (t) => {
  t.is(run('x = null; x != null && x.length() > 0;'), false);
  t.is(run("x = null; x == null || x.length() > 0;"), true);
  t.is(run('true && 1 < 2 || false;'), true);
  throwsSel(t, () => run('1 && true;'), 'operand of && must be a boolean, got long');
});

test('unary operators', (t) => {
  t.is(run('x = 5; -x;'), -5);
  t.is(run('x = 2.5; +x;'), 2.5);
  t.is(run('!(1 > 2);'), true);
  throwsSel(t, () => run("!'a';"), 'operator ! cannot be applied to String');
  throwsSel(t, () => run("-'a';"), 'operator - cannot be applied to String');
});

test('ternary needs a boolean condition', (t) => {
  t.is(run('x = 1; x <= 0 || x >= 10 ? x : -x;'), -1);
  t.is(run("2 > 1 ? 'yes' : 'no';"), 'yes');
  throwsSel(t, () => run("1 ? 'a' : 'b';"), 'condition of ?: must be a boolean');
});

test('casts to primitive types follow Java', (t) => {
  t.is(run('(long) 3.9;'), 3);
  t.is(run('(int) -3.9;'), -3);
  t.is(run('(double) 7 / 2;'), 3.5);
  t.is(run('(int) 3000000000L;'), -1294967296);
  t.is(run('(long) (0.0 / 0);'), 0);
  throwsSel(t, () => run("(long) 'a';"), 'cannot cast String to long');
});

test('++ and -- in prefix and postfix form', (t) => {
  t.deepEqual(run('i = 5; a = i++; b = ++i; c = i--; d = --i; new long[]{a, b, c, d, i};'), [5, 7, 7, 5, 5]);
  t.deepEqual(run('long[] a = {1, 2}; a[1]++; ++a[0]; a;'), [2, 3]);
  t.is(run('d = 1.5; d++; d;'), 2.5);
  throwsSel(t, () => run("s = 'a'; s++;"), 'operator ++ cannot be applied to String');
});

test('compound assignment: x op= y is x = (T)(x op y)', (t) => {
  t.is(run('x = 1; x += 2; x *= 5; x -= 1; x /= 2; x %= 4; x;'), 3);
  t.is(run('long x = 10; x += 2.7; x;'), 12);
  t.is(run("s = 'a'; s += 1; s += true; s;"), 'a1true');
  t.is(run('double d = 1; d /= 4; d;'), 0.25);
  throwsSel(t, () => run('b = true; b += 1;'), 'operator + cannot be applied to boolean and long');
});

test('assignment is an expression and is right-associative', (t) => {
  t.deepEqual(run('a = b = 3; new long[]{a, b};'), [3, 3]);
});
