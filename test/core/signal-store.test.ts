/** The signal store's pure parts (core/signals): values and dedup JSON as Maestro, the reducer, matching, waits, resume. */
import test from 'ava';
import { javaNameUuid } from '../../src/core/java-compat.js';
import {
  checkSignalName,
  dedupKeyJson,
  normalizeSignalRequest,
  readSignalValue,
  signalInstanceJson,
  signalNameOfSubject,
  signalSubjectOf,
} from '../../src/core/signals/encode.js';
import { waiterIdOf, type SignalMatches, type SignalWaiter } from '../../src/core/signals/model.js';
import {
  emptySignalStore,
  findSignal,
  instanceAt,
  listAfter,
  seqOfInstanceId,
  signalStoreReducer,
  type SignalStoreEffect,
  type SignalStoreEvent,
  type SignalStoreState,
  type StoredSignal,
} from '../../src/core/signals/store.js';
import { ValidationError } from '../../src/core/errors.js';

const sig = (instanceId: string, params: StoredSignal['params'], payload: StoredSignal['payload'] = {}): StoredSignal => ({ instanceId, params, payload, requestTimeMs: 5, createTimeMs: 7 });

function fold(events: SignalStoreEvent[], s: SignalStoreState = emptySignalStore('db/t')): { s: SignalStoreState; fx: SignalStoreEffect[] } {
  const fx: SignalStoreEffect[] = [];
  for (const e of events) {
    const r = signalStoreReducer.apply(s, e);
    s = r.state;
    s.seq++;
    fx.push(...r.effects);
  }
  return { s, fx };
}

const waiter = (step: string, index = 0): SignalWaiter => ({ instanceKey: 'wf/1', runId: 1, stepId: step, index });
const eq = (value: string | number): SignalMatches[string] => ({ value, operator: '=' });

test('values are read as Maestro: 1.5 -> 1, -1.5 -> -1, strings kept, anything else refused naming the field', (t) => {
  t.is(readSignalValue(1.5, 'params.a'), 1);
  t.is(readSignalValue(-1.5, 'params.a'), -1);
  t.is(readSignalValue('1', 'params.a'), '1');
  t.is(readSignalValue(7n, 'params.a'), 7);
  for (const bad of [true, null, {}, [], Infinity, 2 ** 60]) {
    const err = t.throws(() => readSignalValue(bad, 'params.a'), { instanceOf: ValidationError });
    t.is(err.path, 'params.a');
  }
  const n = normalizeSignalRequest({ params: { a: 2.9, b: 'x' }, payload: { any: [1, { x: 2 }] } });
  t.deepEqual(n.params, { a: 2, b: 'x' });
  t.throws(() => normalizeSignalRequest({ params: {}, payload: { big: 'x'.repeat(70_000) } }), { message: /payload.*at most/ });
  const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`p${i}`, i]));
  t.throws(() => normalizeSignalRequest({ params: many, payload: {} }), { message: /params.*at most 64/ });
});

test('the dedup JSON is Jackson\'s cleaned request (name, params sorted by key, request_time 0) and its id a type-3 UUID', (t) => {
  t.is(dedupKeyJson('sig', { b: 'x', a: 1 }), '{"name":"sig","params":{"a":1,"b":"x"},"request_time":0}');
  t.is(dedupKeyJson('sig', {}), '{"name":"sig","request_time":0}');
  t.is(dedupKeyJson('s', { k: 'q"\\\n\u0001' }), '{"name":"s","params":{"k":"q\\"\\\\\\n\\u0001"},"request_time":0}');
  // UUID.nameUUIDFromBytes over the UTF-8 bytes, checked against Java 21:
  t.is(javaNameUuid('{"name":"sig","params":{"p":1},"request_time":0}').text, '39718bac-1996-3464-91c4-743ed0f58468');
  t.is(javaNameUuid('{"name":"sig","request_time":0}').text, 'f92234b2-60c1-34b2-b396-9ebbd67b2c63');
});

test('names and subjects: segments become tokens; . * > % and spaces are percent-encoded; the inverse reads it back', (t) => {
  t.is(signalSubjectOf('db/test/table1'), 'maestro.signals.db.test.table1');
  t.is(signalSubjectOf('a.b/c d'), 'maestro.signals.a%2Eb.c%20d');
  t.is(signalNameOfSubject('maestro.signals.a%2Eb.c%20d'), 'a.b/c d');
  t.is(signalNameOfSubject('maestro.signals.db.test.table1'), 'db/test/table1');
  t.throws(() => signalNameOfSubject('maestro.signals.a..b'), { instanceOf: ValidationError, message: /empty token/ });
  t.throws(() => signalNameOfSubject('maestro.signals.a%ZZ'), { instanceOf: ValidationError, message: /%-escape/ });
  t.throws(() => checkSignalName('a//b'), { message: /empty '\/' segment/ });
  t.throws(() => checkSignalName('a*b'), { message: /may only contain/ });
  t.throws(() => checkSignalName(''), { message: /required/ });
});

test('instances are numbered 1, 2, 3 per name; dedup ids index them; payload is not indexed', (t) => {
  const { s, fx } = fold([{ t: 'signal', signal: sig('u1', { a: 1 }, { big: 'x' }) }, { t: 'signal', signal: sig('u2', { a: 2 }) }, { t: 'signal', signal: sig('u3', {}) }]);
  t.is(s.instances.length, 3);
  t.deepEqual(instanceAt(s, 2), { name: 'db/t', seqId: 2, instanceId: 'u2', params: { a: 2 }, payload: {}, requestTimeMs: 5, createTimeMs: 7 });
  t.is(seqOfInstanceId(s, 'u3'), 3);
  t.is(seqOfInstanceId(s, '__proto__'), undefined);
  t.is(instanceAt(s, 4), undefined);
  t.deepEqual(listAfter(s, 1, 1).map((i) => i.seqId), [2]);
  t.deepEqual(fx.filter((f) => f.f === 'publish').map((f) => f.signal.seqId), [1, 2, 3]);
  t.deepEqual(signalInstanceJson(instanceAt(s, 3)!), { name: 'db/t', seq_id: 3, instance_id: 'u3', request_time: 5, create_time: 7 });
});

test('matching: a string never matches a long; operators compare signal_value OP value; find honours afterSeq and oldest', (t) => {
  const { s } = fold([
    { t: 'signal', signal: sig('1', { a: 1, s: 'b' }) },
    { t: 'signal', signal: sig('2', { a: '1', s: 'c' }) },
    { t: 'signal', signal: sig('3', { a: 5, s: 'a' }) },
    { t: 'signal', signal: sig('4', { a: 1, s: 'z' }) },
  ]);
  t.is(findSignal(s, { a: eq(1) }, 0, true), 1);
  t.is(findSignal(s, { a: eq(1) }, 0, false), 4);
  t.is(findSignal(s, { a: eq(1) }, 1, true), 4);
  t.is(findSignal(s, { a: eq('1') }, 0, true), 2);
  t.is(findSignal(s, { a: eq('5') }, 0, true), undefined);
  t.is(findSignal(s, { a: { value: 2, operator: '>' } }, 0, true), 3);
  t.is(findSignal(s, { a: { value: 1, operator: '>=' } }, 0, false), 4);
  t.is(findSignal(s, { a: { value: 1, operator: '<' } }, 0, true), undefined);
  t.is(findSignal(s, { s: { value: 'b', operator: '<=' } }, 0, true), 1);
  t.is(findSignal(s, { a: eq(1), s: { value: 'm', operator: '>' } }, 0, true), 4);
  t.is(findSignal(s, { missing: eq(1) }, 0, true), undefined);
  t.is(findSignal(s, {}, 2, true), 3);
  t.is(findSignal(s, {}, 4, true), undefined);
});

test('waits: an arriving signal notifies only the waits it satisfies, once; the index holds only waiting waits', (t) => {
  const w1 = waiter('s1');
  const w2 = waiter('s2');
  const w3 = waiter('s3');
  let { s } = fold([
    { t: 'wait', waiter: w1, match: { a: eq(1) } },
    { t: 'wait', waiter: w2, match: { a: eq(2), b: { value: 'x', operator: '>' } } },
    { t: 'wait', waiter: w3, match: { b: { value: 10, operator: '>=' } } },
  ]);
  t.deepEqual(Object.keys(s.waitEq['p:a']!).sort(), ['n:1', 'n:2']);
  t.deepEqual(Object.keys(s.waitAny), [waiterIdOf(w3)]);
  let r = fold([{ t: 'signal', signal: sig('x', { a: '1' }) }], s); // a string: never matches a long
  t.deepEqual(r.fx.filter((f) => f.f === 'matched'), []);
  r = fold([{ t: 'signal', signal: sig('y', { a: 1, b: 3 }) }], r.s);
  t.deepEqual(r.fx.filter((f) => f.f === 'matched').map((f) => f.f === 'matched' && [f.waiterId, f.signal.seqId]), [[waiterIdOf(w1), 2]]);
  s = r.s;
  t.is(s.waits[waiterIdOf(w1)]!.matched, 2);
  t.is(s.waitEq['p:a']!['n:1'], undefined);
  r = fold([{ t: 'signal', signal: sig('z', { a: 1, b: 12 }) }], s); // w1 already told; w3 matches now
  t.deepEqual(r.fx.filter((f) => f.f === 'matched').map((f) => f.f === 'matched' && [f.waiterId, f.signal.seqId]), [[waiterIdOf(w3), 3]]);
  r = fold([{ t: 'unwait', waiterId: waiterIdOf(w1), seqId: 2 }, { t: 'unwait', waiterId: waiterIdOf(w2) }], r.s);
  t.deepEqual(Object.keys(r.s.waits), [waiterIdOf(w3)]);
  t.deepEqual(r.s.waitEq, { 'p:a': {} }, 'no waiting wait indexed (an emptied param map stays: listing its keys would cost O(values))');
  t.deepEqual(r.s.waitAny, {});
});

test('subscribers get every new signal; acknowledgements advance contiguously; resume re-sends what was not acknowledged', (t) => {
  let { s, fx } = fold([{ t: 'signal', signal: sig('old', {}) }, { t: 'subscribe', subscriber: '~sigtrig/wf' }]);
  t.is(s.subs['~sigtrig/wf']!.acked, 1, 'a subscription starts at the latest signal');
  ({ s, fx } = fold([{ t: 'signal', signal: sig('a', {}) }, { t: 'signal', signal: sig('b', {}) }, { t: 'signal', signal: sig('c', {}) }], s));
  t.deepEqual(fx.filter((f) => f.f === 'arrived').map((f) => f.signal.seqId), [2, 3, 4]);
  ({ s } = fold([{ t: 'acked', subscriber: '~sigtrig/wf', seqId: 3 }], s));
  t.is(s.subs['~sigtrig/wf']!.acked, 1);
  t.deepEqual(s.subs['~sigtrig/wf']!.ahead, [3]);
  ({ s } = fold([{ t: 'acked', subscriber: '~sigtrig/wf', seqId: 2 }], s));
  t.is(s.subs['~sigtrig/wf']!.acked, 3);
  ({ s } = fold([{ t: 'wait', waiter: waiter('s1'), match: {} }, { t: 'signal', signal: sig('d', {}) }], s));
  const again = signalStoreReducer.resume(structuredClone(s));
  t.deepEqual(
    again.map((f) => `${f.f}:${f.f === 'matched' ? f.waiterId : f.f === 'arrived' ? f.subscriber : ''}:${f.signal.seqId}`),
    [`matched:${waiterIdOf(waiter('s1'))}:5`, 'arrived:~sigtrig/wf:4', 'arrived:~sigtrig/wf:5'],
  );
  ({ s } = fold([{ t: 'unsubscribe', subscriber: '~sigtrig/wf' }], s));
  t.deepEqual(signalStoreReducer.resume(s).filter((f) => f.f === 'arrived'), []);
});

test('replay from a structured clone (a snapshot) folds to the same state', (t) => {
  const events: SignalStoreEvent[] = [
    { t: 'wait', waiter: waiter('s1'), match: { a: eq('x') } },
    { t: 'signal', signal: sig('1', { a: 'x' }) },
    { t: 'subscribe', subscriber: '~sigtrig/a' },
    { t: 'signal', signal: sig('2', { a: 'y' }) },
  ];
  const a = fold(events).s;
  const b = fold(events.slice(2), structuredClone(fold(events.slice(0, 2)).s)).s;
  t.deepEqual(a, b);
});
