import test from 'ava';
import { ExpressionError } from '../../src/expr/index.js';
import { run, throwsSel } from './helpers.js';

test('String methods', (t) => {
  t.deepEqual(
    run(`s = ' FooBar '; new String[]{
      '' + s.length(), s.trim(), s.toUpperCase(), s.toLowerCase(), s.substring(1, 4), s.substring(4),
      '' + s.indexOf('o'), '' + s.lastIndexOf('o'), '' + s.contains('oB'), '' + s.startsWith(' F'),
      '' + s.endsWith('r '), s.replace('o', '0'), '' + s.isEmpty(), s.charAt(1), '' + s.equals(' FooBar '),
      '' + 'b'.compareTo('a'), '' + 'apple'.compareTo('apricot'), '' + 'ab'.compareTo('abc'), s.concat('!'),
      '' + 'ABC'.equalsIgnoreCase('abc'), 'ab'.repeat(3), '' + 'a1b2'.matches('[a-z0-9]+')};`),
    ['8', 'FooBar', ' FOOBAR ', ' foobar ', 'Foo', 'Bar ', '2', '3', 'true', 'true', 'true', ' F00Bar ', 'false', 'F', 'true', '1', '-2', '-1', ' FooBar !', 'true', 'ababab', 'true'],
  );
});

test('String index errors are StringIndexOutOfBounds', (t) => {
  throwsSel(t, () => run("'abcde'.substring(4, 3);"), 'StringIndexOutOfBoundsException: begin 4, end 3, length 5');
  throwsSel(t, () => run("'abc'.charAt(5);"), 'index 5, length 3');
  throwsSel(t, () => run('s = null; s.length();'), 'NullPointerException: cannot call length() on null');
});

test('split follows Java: regex, limit, trailing empty strings removed', (t) => {
  t.deepEqual(run("'a b c'.split(' ');"), ['a', 'b', 'c']);
  t.deepEqual(run("'a,b,,c,,'.split(',');"), ['a', 'b', '', 'c']);
  t.deepEqual(run("'a b c'.split('\\\\ ', 2);"), ['a', 'b c']);
  t.deepEqual(run("'a1b22c'.split('[0-9]+');"), ['a', 'b', 'c']);
  t.deepEqual(run("'a.b.c'.split('\\\\.');"), ['a', 'b', 'c']);
  t.deepEqual(run("'abc'.split('');"), ['a', 'b', 'c']);
  t.deepEqual(run("''.split(',');"), ['']);
  t.deepEqual(run("','.split(',');"), []);
  t.deepEqual(run("'a,b,'.split(',', -1);"), ['a', 'b', '']);
});

test('replaceAll / replaceFirst use Java regex and replacement syntax', (t) => {
  t.is(run("'a b c'.replaceAll(' b', '-B-');"), 'a-B- c');
  t.is(run("'2020-01-02'.replaceAll('(\\\\d+)-(\\\\d+)-(\\\\d+)', '$3/$2/$1');"), '02/01/2020');
  t.is(run("'cost 5'.replaceAll('\\\\d', '\\\\$');"), 'cost $');
  t.is(run("'aaa'.replaceFirst('a', 'b');"), 'baa');
  t.is(run("'x'.replace('', '-');"), '-x-');
  throwsSel(t, () => run("'a'.replaceAll('a', '$');"), 'illegal group reference');
});

test('regexes that could backtrack without bound are refused or run in linear time', (t) => {
  const start = Date.now();
  const evil = `s = 'a'.repeat(5000) + 'b'; s.matches('(a+)+c');`;
  t.is(run(evil), false);
  t.true(Date.now() - start < 2000);
  throwsSel(t, () => run("'aa'.matches('(a)\\\\1');"), 'is refused');
  throwsSel(t, () => run("'a'.split('a++');"), 'unsupported Java regex syntax');
  t.is(run("'ABC'.matches('(?i)abc');"), true);
  t.deepEqual(run("'aXbxc'.split('(?i)x');"), ['a', 'b', 'c']);
  throwsSel(t, () => run("'a'.repeat(20000).matches('(?i)a*');"), 'runs only on strings up to 10000 characters');
  throwsSel(t, () => run("'aa'.matches('(?i)(a+)+');"), 'could backtrack without bound');
});

test('String statics: valueOf, format, join, escape, and constructors', (t) => {
  t.is(run('String.valueOf(123);'), '123');
  t.is(run('String.valueOf(1.1);'), '1.1');
  t.is(run('String.valueOf(Long.MAX_VALUE);'), '9223372036854775807');
  t.is(run("String.format('%s-%s', 'ab', 'c');"), 'ab-c');
  t.is(run("String.format('%s-%d', 'ab', 123);"), 'ab-123');
  t.is(run("String.format('Q%s-%s', ((8 - 1) / 3) + 1, 2021);"), 'Q3-2021');
  t.is(run("String.format('%05d|%-4s|%4s|%.2f|%,d|%x|%b|%%|%2$s', 42, 'ab', 'c', 1.005, 1234567, 255, true);"), '00042|ab  |   c|1.01|1,234,567|ff|true|%|ab');
  t.is(run("String.format('%.3e', 12345.678);"), '1.235e+04');
  throwsSel(t, () => run("String.format('%d', 1.5);"), 'IllegalFormatConversionException: d != double');
  throwsSel(t, () => run("String.format('%s %s', 'a');"), 'MissingFormatArgumentException');
  t.is(run("String.join(',', 'ab', 'c');"), 'ab,c');
  t.is(run("String.join('-', 'a b c'.split(' '));"), 'a-b-c');
  t.is(run("String.join(',');"), '');
  t.is(run(`String.escape('{"foo"}');`), '{\\"foo\\"}');
  t.is(run(`'{"bar"}'.escape();`), '{\\"bar\\"}');
  t.is(run("new String('x') + new String();"), 'x');
});

test('number parsing and boxed-type statics', (t) => {
  t.is(run("Long.parseLong('-42') + Long.valueOf('2') + Long.valueOf(3);"), -37);
  t.is(run("Integer.parseInt('7') * Integer.valueOf('6');"), 42);
  t.is(run("Double.parseDouble(' 1.5 ') + Double.valueOf('1e1');"), 11.5);
  t.deepEqual(run("new boolean[]{Boolean.parseBoolean('TRUE'), Boolean.parseBoolean('yes'), Boolean.valueOf(true)};"), [true, false, true]);
  t.is(run('Integer.MAX_VALUE + 1;'), 2147483648);
  t.is(run('x = 5; x.toString() + x.intValue();'), '55');
  t.is(run('d = 2.9; d.longValue() + d.intValue();'), 4);
  throwsSel(t, () => run("Long.parseLong('12a');"), 'NumberFormatException: For input string: "12a"');
  throwsSel(t, () => run("Integer.parseInt('3000000000');"), 'out of range');
  throwsSel(t, () => run("Double.parseDouble('x');"), 'NumberFormatException');
});

test('Math: abs, min, max, pow, sqrt, floor, ceil, round, random', (t) => {
  t.deepEqual(run('new long[]{Math.abs(-3), Math.min(1, 2), Math.max(1, 2), Math.round(2.5), Math.round(-2.5)};'), [3, 1, 2, 3, -2]);
  t.deepEqual(run('new double[]{Math.pow(2, 3), Math.sqrt(16), Math.floor(1.7), Math.ceil(1.2), Math.abs(-1.5), Math.max(1, 2.5)};'), [8, 4, 1, 2, 1.5, 2.5]);
  t.is(run('Math.random();', {}, { random: () => 0.125 }), 0.125);
  throwsSel(t, () => run('Math.exp(1.0);'), 'Math has no method exp()');
});

test('System.currentTimeMillis and new DateTime() come from the scope clock', (t) => {
  t.is(run('System.currentTimeMillis();', {}, { nowMs: 12345 }), 12345);
  t.is(run('new DateTime().getMillis();', {}, { nowMs: 12345 }), 12345);
  throwsSel(t, () => run("System.exit(1);"), 'System has no method exit()');
  throwsSel(t, () => run("System.getenv('PATH');"), 'System has no method getenv()');
});

test('UUID.randomUUID is a v4 UUID drawn from the scope random source (deterministic)', (t) => {
  let i = 0;
  const seq = () => ((i++ * 37) % 256) / 256;
  const a = run('UUID.randomUUID().toString();', {}, { random: seq });
  i = 0;
  const b = run('UUID.randomUUID().toString();', {}, { random: seq });
  t.is(a, b);
  t.regex(a as string, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.is(a, '00254a6f-94b9-4e03-a84d-7297bce1062b');
});

test('Arrays.asList, sort and toString; list methods on arrays', (t) => {
  t.deepEqual(run("Arrays.asList('b', 'a');"), ['b', 'a']);
  t.deepEqual(run('a = new long[]{3, 1, 2}; Arrays.asList(a) == a;'), true);
  t.deepEqual(run('a = new long[]{3, 1, 2}; Arrays.sort(a); a;'), [1, 2, 3]);
  t.is(run('Arrays.toString(new double[]{1, 2.5});'), '[1.0, 2.5]');
  t.deepEqual(run("l = Arrays.asList('x', 'y'); new String[]{'' + l.size(), l.get(1), '' + l.contains('x'), '' + l.indexOf('y'), '' + l.isEmpty()};"), ['2', 'y', 'true', '1', 'false']);
  t.deepEqual(run('Arrays.asList(1, 2.5);'), [1, 2.5]);
  throwsSel(t, () => run("Arrays.asList(1, 'a');"), 'cannot mix long and string');
});

test('arrays: length, index bounds, element types', (t) => {
  t.is(run('new int[]{1, 2, 3}.length;'), 3);
  throwsSel(t, () => run('a = new long[2]; a[2];'), 'ArrayIndexOutOfBoundsException: index 2 out of bounds for length 2');
  throwsSel(t, () => run('a = new long[2]; a[-1] = 1;'), 'out of bounds');
  throwsSel(t, () => run("a = new long[2]; a['x'];"), 'an array index must be a long');
  throwsSel(t, () => run('new long[-1];'), 'NegativeArraySizeException');
  t.deepEqual(run('double[] d = new double[2]; d[0] = 1; d;'), [1, 0]);
});

test('Map methods', (t) => {
  t.deepEqual(
    run(`m = new LinkedHashMap(); p = m.put('a', 1); q = m.put('a', 2); m.put('b', 'x');
      new String[]{'' + p, '' + q, '' + m.size(), '' + m.get('a'), '' + m.get('zz'), '' + m.getOrDefault('zz', 'd'),
      '' + m.containsKey('b'), '' + m.containsValue('x'), '' + m.remove('b'), '' + m.isEmpty(), String.join(',', m.keySet()), '' + m, m['a'] + ''};`),
    ['null', '1', '2', '2', 'null', 'd', 'true', 'true', 'x', 'false', 'a', '{a=2}', '2'],
  );
  t.deepEqual(run("m = new Map(); m['k'] = 5; m['k'] += 1; m;"), { k: 6 });
  t.is(run("x=new Map(); x.put('foo', 123); x.put('bar', new Map()); x.get('bar').put('bat', 123); return x.get('bar').get('bat');"), 123);
  t.deepEqual(run("x=new Map(); x.put('foo', 123); x.put('bar', new long[]{1,2,3}); return x.get('bar')[1];"), 2);
  throwsSel(t, () => run('m = new Map(); m.put(1, 2);'), 'Map.put: argument 1 must be a String, got long');
});

test('only registered classes and methods are reachable (jailbreak probes)', (t) => {
  const probes = [
    "new ProcessBuilder('sh');", "Runtime.getRuntime().exec('id');", 'java.lang.Runtime.getRuntime();',
    "import java.lang.Runtime; Runtime.getRuntime().exec('id');", "'abc'.getClass();", "'abc'.constructor;",
    "'abc'.constructor('return process')();", "'abc'.__proto__;", "x = 'abc'; x.valueOf();", 'new Map().constructor;',
    "params.constructor;", "params.__proto__;", "Math.constructor;", "Math['constructor'];", "new DateTime(0).dt;",
    "new DateTime(0).toJSON();", "Util.constructor;", "new Map().entries;", "new long[]{1}.items;", "new long[]{1}.push(2);",
    "Class.forName('java.lang.Runtime');", "new Thread().start();", "Files.readAllBytes(Paths.get('/etc/passwd'));",
    "DateTimeZone.forID('../../etc/passwd');", "String.constructor;", "UUID.randomUUID().constructor;", "new Object();",
    "hasOwnProperty;", "toString;", "__proto__;", "constructor;", "process;", "globalThis;", "require('fs');",
  ];
  for (const p of probes) t.throws(() => run(p), { instanceOf: ExpressionError }, p);
  throwsSel(t, () => run("new ProcessBuilder('sh');"), 'cannot construct ProcessBuilder');
  throwsSel(t, () => run('process.exit(1);'), 'unknown variable process');
  throwsSel(t, () => run("'a'.constructor;"), 'String has no field constructor');
});
