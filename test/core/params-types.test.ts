import test from 'ava';
import { coerce, inferType, javaDouble, ParamTypeError, resolveWorkflowParams, toPlain } from '../../src/core/params/index.js';
import { env, pick, system } from './params-fixtures.js';

const ctx = () => ({ env: env(), system: system() });

test('all ten types evaluate from literal definitions', (t) => {
  const out = resolveWorkflowParams(
    {
      s: { type: 'STRING', value: 'hello' },
      l: { type: 'LONG', value: 15 },
      d: { type: 'DOUBLE', value: 1.5 },
      b: { type: 'BOOLEAN', value: true },
      sm: { type: 'STRING_MAP', value: { k: 'v' } },
      sa: { type: 'STRING_ARRAY', value: ['a', 'b'] },
      la: { type: 'LONG_ARRAY', value: [1, 2] },
      da: { type: 'DOUBLE_ARRAY', value: [0.5, 2] },
      ba: { type: 'BOOLEAN_ARRAY', value: [true, false] },
      m: { type: 'MAP', value: { x: { type: 'LONG', value: 1 }, y: { type: 'MAP', value: { z: { type: 'STRING', value: 'deep' } } } } },
    },
    undefined,
    ctx(),
  );
  t.deepEqual(pick(out, 's', 'l', 'd', 'b', 'sm', 'sa', 'la', 'da', 'ba', 'm'), {
    s: 'hello',
    l: 15,
    d: 1.5,
    b: true,
    sm: { k: 'v' },
    sa: ['a', 'b'],
    la: [1, 2],
    da: [0.5, 2],
    ba: [true, false],
    m: { x: 1, y: { z: 'deep' } },
  });
  t.is(out['m']!.type, 'MAP');
  t.is(out['sm']!.type, 'STRING_MAP');
  t.is(toPlain(out)['l'], 15);
});

test('run params given as strings (CLI) become the declared type', (t) => {
  t.is(coerce('LONG', '15', 'p'), 15);
  t.is(coerce('DOUBLE', '2.5', 'p'), 2.5);
  t.is(coerce('BOOLEAN', 'TRUE', 'p'), true);
  t.deepEqual(coerce('LONG_ARRAY', '[1,2,3]', 'p'), [1, 2, 3]);
  t.deepEqual(coerce('LONG_ARRAY', '1, 2,3', 'p'), [1, 2, 3]);
  t.deepEqual(coerce('STRING_ARRAY', 'a,b', 'p'), ['a', 'b']);
  t.deepEqual(coerce('BOOLEAN_ARRAY', 'true,false', 'p'), [true, false]);
  t.deepEqual(coerce('STRING_MAP', '{"a":"1"}', 'p'), { a: '1' });
  t.deepEqual(coerce('MAP', '{"a":{"b":[1]}}', 'p'), { a: { b: [1] } });
  const out = resolveWorkflowParams({ n: { type: 'LONG', value: 1 }, f: { type: 'BOOLEAN', value: false } }, { n: '42', f: 'true' }, ctx());
  t.deepEqual(pick(out, 'n', 'f'), { n: 42, f: true });
});

test('a STRING takes any scalar the way Java prints it', (t) => {
  t.is(coerce('STRING', 15, 'p'), '15');
  t.is(coerce('STRING', 1.5, 'p'), '1.5');
  t.is(coerce('STRING', false, 'p'), 'false');
  t.is(javaDouble(1), '1.0');
  t.is(javaDouble(1e7), '1.0E7');
  t.is(javaDouble(1.5e-4), '1.5E-4');
  t.is(javaDouble(123.25), '123.25');
});

test('type mismatches fail naming the path and the type', (t) => {
  const cases: Array<[Parameters<typeof coerce>[0], unknown]> = [
    ['LONG', 'abc'],
    ['LONG', 1.5],
    ['LONG', 2 ** 60],
    ['DOUBLE', true],
    ['BOOLEAN', 'yes'],
    ['STRING', { a: 1 }],
    ['STRING_MAP', { a: { b: 1 } }],
    ['LONG_ARRAY', ['x']],
    ['MAP', [1]],
    ['MAP', { a: null }],
  ];
  for (const [type, value] of cases) {
    const e = t.throws(() => coerce(type, value, 'params.x'), { instanceOf: ParamTypeError });
    t.regex(e!.message, /^params\.x/);
    t.regex(e!.message, new RegExp(type.replace('_ARRAY', '')));
  }
});

test('a run param of the wrong type for its definition is rejected', (t) => {
  const e = t.throws(() => resolveWorkflowParams({ n: { type: 'LONG', value: 1 } }, { n: 'many' }, ctx()), { instanceOf: ParamTypeError });
  t.is(e!.path, 'params.n');
  t.regex(e!.message, /expected LONG, got "many"/);
});

test('undeclared run params keep the type their value suggests', (t) => {
  t.is(inferType('x', 'p'), 'STRING');
  t.is(inferType(3, 'p'), 'LONG');
  t.is(inferType(3.5, 'p'), 'DOUBLE');
  t.is(inferType([1, 2.5], 'p'), 'DOUBLE_ARRAY');
  t.is(inferType({ a: 'b' }, 'p'), 'STRING_MAP');
  t.is(inferType({ a: 1 }, 'p'), 'MAP');
  const out = resolveWorkflowParams({}, { extra: 5, tags: ['a'] }, ctx());
  t.deepEqual(out['extra'], { type: 'LONG', value: 5, mode: 'MUTABLE', source: 'LAUNCH' });
  t.is(out['tags']!.type, 'STRING_ARRAY');
});

test('a MAP with nested definitions evaluates each entry to its own type', (t) => {
  const out = resolveWorkflowParams(
    { m: { type: 'MAP', value: { n: { type: 'LONG', value: 2 }, s: { type: 'STRING', value: 'x=${n2}' } } }, n2: { type: 'LONG', value: 9 } },
    undefined,
    ctx(),
  );
  t.deepEqual(out['m']!.value, { n: 2, s: 'x=9' });
  const e = t.throws(() =>
    resolveWorkflowParams({ m: { type: 'MAP', value: { n: { type: 'LONG', value: 'two' } } } }, undefined, ctx()),
  );
  t.is((e as ParamTypeError).path, 'params.m.n');
});

test('a definition needs exactly one of value and expression', (t) => {
  t.throws(() => resolveWorkflowParams({ a: { type: 'LONG' } }, undefined, ctx()), { message: /params\.a.*either a value or an expression/ });
  t.throws(() => resolveWorkflowParams({ a: { type: 'LONG', value: 1, expression: '1' } }, undefined, ctx()), { message: /params\.a.*both/ });
});
