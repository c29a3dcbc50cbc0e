import test from 'ava';
import { ExpressionError, sanitize } from '../../src/expr/index.js';
import { engine, run, throwsSel } from './helpers.js';

test('literals: integers are longs, leading zeros are decimal (as in Maestro), hex and L suffix', (t) => {
  t.is(run('123;'), 123);
  t.is(run('010;'), 10);
  t.is(run('0x1F;'), 31);
  t.is(run('9223372036854775807L / 1000000000000;'), 9223372);
  throwsSel(t, () => run('9223372036854775808;'), 'too large for a long');
});

test('literals: doubles with exponents and f/d suffixes', (t) => {
  t.is(run('12.5;'), 12.5);
  t.is(run('.5 + 1.;'), 1.5);
  t.is(run('1e3;'), 1000);
  t.is(run('2.5f + 0.5d;'), 3);
});

test('literals: single and double quoted strings with Java escapes', (t) => {
  t.is(run(`'it\\'s';`), "it's");
  t.is(run(`"say \\"hi\\"\\n\\t";`), 'say "hi"\n\t');
  t.is(run(`'\\u0041\\101';`), 'AA');
  t.is(run('"a" + \'b\';'), 'ab');
  t.is(run('true;'), true);
  t.is(run('null;'), null);
});

test('comments are ignored', (t) => {
  t.is(run('x = 1; // x = 2;\nx;'), 1);
  t.is(run('/* x = 1; */ y = 3; /** doc */ y;'), 3);
});

test("Maestro's sanitize: a missing final semicolon is added", (t) => {
  t.is(sanitize('  1 + 1  '), '1 + 1;');
  t.is(sanitize('x;'), 'x;');
  t.is(sanitize('{ x = 1; }'), '{ x = 1; }');
  t.is(sanitize(''), '');
  t.is(run('1 + 1'), 2);
  t.is(run("params.get('a')", { a: 'v' }), 'v');
});

test('import declarations are accepted and ignored', (t) => {
  t.is(run('import java.util.Map; import static org.joda.time.*; 5;'), 5);
});

test('syntax errors carry line and column', (t) => {
  const err = throwsSel(t, () => engine.compile('x = 1;\ny = ;\n'), 'syntax error');
  t.is(err.line, 2);
  t.is(err.column, 5);
  const eof = throwsSel(t, () => engine.compile('if (x > 1) {'), 'end of input');
  t.is(eof.line, 1);
});

test('lexer errors name the character and its position', (t) => {
  const err = throwsSel(t, () => engine.compile('a = 1;\n  b = a & 2;'), "unexpected character '&'");
  t.is(err.line, 2);
  t.is(err.column, 9);
  t.is(err.kind, 'invalid_argument');
});

test('unterminated strings are rejected', (t) => {
  throwsSel(t, () => engine.compile("x = 'abc;"), 'unexpected character');
});

test('only variables and name[index] can be assigned', (t) => {
  throwsSel(t, () => engine.compile('1 = 2;'), 'must be a variable or an array element');
  throwsSel(t, () => engine.compile('a.b = 2;'), 'must be a variable or an array element');
  throwsSel(t, () => engine.compile('f()++;'), 'syntax error');
  t.notThrows(() => engine.compile('a[1] = 2; b = c = 3;'));
});

test('unsupported Java constructs are syntax errors', (t) => {
  for (const src of ['class A {}', 'switch (x) {}', 'do { } while (true);', 'x instanceof String;', 'try { } catch (e) { }', 'x = a ^ b;', 'method();', 'int x=1+1=3;']) {
    t.throws(() => engine.compile(src), { instanceOf: ExpressionError }, src);
  }
});

test('declarations need a supported type', (t) => {
  throwsSel(t, () => engine.compile('Object o = 1;'), 'SEL does not support the type Object');
  throwsSel(t, () => engine.compile('Map[] m;'), 'SEL does not support arrays of Map');
  throwsSel(t, () => engine.compile('x = new Foo[3];'), 'SEL does not support arrays of Foo');
  t.notThrows(() => engine.compile('int a; Integer b; long c; Long d; float e; Double f; boolean g; String h; Map i; DateTime j; String[] k;'));
});

test('break and continue outside a loop are rejected at compile time', (t) => {
  throwsSel(t, () => engine.compile('x = 1; break;'), 'break outside of a loop');
  throwsSel(t, () => engine.compile('if (true) { continue; }'), 'continue outside of a loop');
  t.notThrows(() => engine.compile('while (true) { if (true) break; }'));
});

test('compile reports the params a script reads, in order, excluding locals and built-ins', (t) => {
  const c = engine.compile('x = foo + 1; y = x + bar; String s = Util.tsToDateInt(baz); return s + y + params.get(qux) + foo;');
  t.deepEqual(c.references, ['foo', 'bar', 'baz', 'qux']);
  t.deepEqual(engine.compile('i = 0; i += step; arr[0] = 1;').references, ['step', 'arr']);
});

test('compile caches the parsed script', (t) => {
  const a = engine.compile('cached + 1');
  t.is(engine.compile('cached + 1'), a);
});
