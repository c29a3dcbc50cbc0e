import test from 'ava';
import { fromValue, fromValueMap, toValue, toValueMap } from '../../src/control/value-mapping.js';
import { Value } from '../../src/gen/maestro/v1/value.js';

test('a declared type decides the case; without one an integer is a LONG', (t) => {
  t.deepEqual(toValue(20), { longValue: 20 });
  t.deepEqual(toValue(3, 'DOUBLE'), { doubleValue: 3 });
  t.deepEqual(toValue(1.5), { doubleValue: 1.5 });
  t.deepEqual(toValue([1, 2], 'DOUBLE_ARRAY'), { listValue: { values: [{ doubleValue: 1 }, { doubleValue: 2 }] } });
  t.deepEqual(toValue(2n ** 60n), { stringValue: '1152921504606846976' });
  t.deepEqual(toValueMap({ n: 3, d: 3 }, 'params', { d: 'DOUBLE' }), { n: { longValue: 3 }, d: { doubleValue: 3 } });
});

test('values survive the wire with their types', (t) => {
  const js = { s: 'x', n: 7, d: 0.25, b: false, m: { k: [1, 'a', null] } };
  const wire = Value.decode(Value.encode(toValue(js)).finish());
  t.deepEqual(fromValue(wire), js);
  t.is(wire.mapValue?.fields['n']?.longValue, 7);
  t.deepEqual(fromValueMap(undefined), {});
});

test('a value with no Value form is refused naming its path', (t) => {
  const err = t.throws(() => toValueMap({ f: { g: () => 1 } }, 'params'));
  t.regex(err.message, /params\.f\.g/);
});

test('a map entry that is undefined is left out (as in JSON); a Date is its ISO string, a JS Map a map', (t) => {
  t.deepEqual(toValueMap({ a: 1, gone: undefined }), { a: { longValue: 1 } });
  t.deepEqual(toValue([undefined]), { listValue: { values: [{ nullValue: 0 }] } }, 'inside a list it stays a null');
  t.deepEqual(toValue(new Date(Date.UTC(2026, 0, 2))), { stringValue: '2026-01-02T00:00:00.000Z' });
  t.deepEqual(toValue(new Map([['k', 2]])), { mapValue: { fields: { k: { longValue: 2 } } } });
});
