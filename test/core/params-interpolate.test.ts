import test from 'ava';
import type { TypedValue } from '../../src/core/expr-port.js';
import { interpolate, ParamEvaluationError, referencedNames, resolveParsable, resolveWorkflowParams } from '../../src/core/params/index.js';
import { env, system } from './params-fixtures.js';

const vals: Record<string, TypedValue> = {
  foo: { type: 'STRING', value: 'bar' },
  n: { type: 'LONG', value: 15 },
  d: { type: 'DOUBLE', value: 2 },
  arr: { type: 'LONG_ARRAY', value: [1, 2] },
  darr: { type: 'DOUBLE_ARRAY', value: [1, 2.5] },
  m: { type: 'STRING_MAP', value: { a: 'b' } },
  'a.b': { type: 'STRING', value: 'dotted' },
};
const lookup = (n: string) => vals[n];

test('$var and ${var} are replaced', (t) => {
  t.is(interpolate('x-$foo-${foo}', lookup), 'x-bar-bar');
  t.is(interpolate('${n}s', lookup), '15s');
  t.is(interpolate('$foo_suffix', (n) => (n === 'foo_suffix' ? vals['foo'] : undefined)), 'bar', 'bare names take letters, digits and _');
  t.is(interpolate('${a.b}', lookup), 'dotted', 'braced names may hold . - /');
});

test('$$ escapes a dollar', (t) => {
  t.is(interpolate('cost: $$5', lookup), 'cost: $5');
  t.is(interpolate('$$foo and $${foo}', lookup), '$foo and ${foo}');
  t.is(interpolate('$$$foo', lookup), '$bar', 'an escaped dollar followed by a variable');
  t.is(interpolate('$$', lookup), '$');
});

test('a dollar that starts no variable stays', (t) => {
  t.is(interpolate('a $ b $1 ${1x} $', lookup), 'a $ b $1 ${1x} $');
});

test('values print as Maestro prints them', (t) => {
  t.is(interpolate('$d|$arr|$darr|$m', lookup), '2.0|[1,2]|[1.0,2.5]|{"a":"b"}');
});

test('a missing param is an error naming it', (t) => {
  const e = t.throws(() => interpolate('x ${nope}', lookup, 'params.p'), { instanceOf: ParamEvaluationError });
  t.is(e!.path, 'params.p');
  t.regex(e!.message, /\[nope\] is not found/);
});

test('referencedNames lists variables, not escapes', (t) => {
  t.deepEqual(referencedNames('$a ${b} $$c $${d} $a $e__f'), ['a', 'b', 'e__f']);
});

test('string params interpolate other params, in any declaration order', (t) => {
  const out = resolveWorkflowParams(
    {
      greeting: { type: 'STRING', value: 'hi ${name}, $$${amount}' },
      list: { type: 'STRING_ARRAY', value: ['$name', 'x'] },
      map: { type: 'STRING_MAP', value: { '${name}_key': '$amount' } },
      name: { type: 'STRING', value: 'ann' },
      amount: { type: 'LONG', value: 3 },
    },
    undefined,
    { env: env(), system: system() },
  );
  t.is(out['greeting']!.value, 'hi ann, $3');
  t.deepEqual(out['list']!.value, ['ann', 'x']);
  t.deepEqual(out['map']!.value, { ann_key: '3' });
});

test('resolveParsable: numbers pass, references interpolate', (t) => {
  t.is(resolveParsable(5, lookup, 'retry'), 5);
  t.is(resolveParsable('$n', lookup, 'retry'), 15);
  t.is(resolveParsable('${n}', lookup, 'retry'), 15);
  t.is(resolveParsable('${n}s', lookup, 'timeout'), '15s');
  t.is(resolveParsable('10', lookup, 'timeout'), 10);
  t.throws(() => resolveParsable('${missing}', lookup, 'steps.a.timeout'), { message: /^steps\.a\.timeout: .*\[missing\]/ });
});
