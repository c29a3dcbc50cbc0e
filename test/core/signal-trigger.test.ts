/**
 * Signal triggers, pure part (core/signals/trigger.ts, trigger-execution.ts; maestro-semantics §9):
 * matching an arrival (checkpoints, match_params, positional join keys), consumption, the
 * subscription lifecycle, and the evaluation of params / condition / dedup_expr.
 */
import test from 'ava';
import { parseWorkflowObject, type SignalTrigger } from '../../src/core/definition/index.js';
import type { SignalInstance, SignalValue } from '../../src/core/signals/model.js';
import {
  arrivalQueries,
  canonicalJson,
  matchedSet,
  signalTriggerReducer,
  type PendingStart,
  type SignalTriggerEvent,
  type SignalTriggerState,
} from '../../src/core/signals/trigger.js';
import { evaluateExecution, executionJson, type ExecutionInput } from '../../src/core/signals/trigger-execution.js';
import { createSelEngine } from '../../src/expr/index.js';
import { javaNameUuid } from '../../src/core/java-compat.js';

const nameUuid = (text: string): string => javaNameUuid(text).text;
import { signalTriggerUuid } from '../../src/workflow/signal-trigger-service.js';
import { rejects } from './definition-helpers.js';

/** The trigger of Maestro's sample-signal-trigger-wf.json (SAMPLES/), with one NoOp step. */
const SAMPLE = {
  properties: { owner: 'tester', run_strategy: 'sequential' },
  workflow: {
    id: 'sample-signal-trigger-wf',
    signal_triggers: [
      {
        definitions: {
          signal_a: { match_params: { foo: { value: 'bat', operator: '=' }, watermark: { value: 12345, operator: '>=' } }, join_keys: ['updated_by'] },
          signal_b: { match_params: { bar: { value: 'baz', operator: '=' }, watermark: { value: 22222, operator: '>=' } }, join_keys: ['posted_by'] },
        },
        condition: '245 > 123',
        dedup_expr: 'return UUID.randomUUID().toString();',
        params: { foo: { value: 'bar', type: 'STRING' } },
      },
    ],
    steps: [{ step: { id: 'job.1', type: 'NoOp' } }],
  },
} as Record<string, any>;
const sampleTrigger = (): SignalTrigger => parseWorkflowObject(structuredClone(SAMPLE)).workflow.signalTriggers[0]!;

const sig = (name: string, seqId: number, params: Record<string, SignalValue>): SignalInstance => ({
  name,
  seqId,
  instanceId: `${name}-${seqId}`,
  params,
  payload: {},
  requestTimeMs: 0,
  createTimeMs: 0,
});

const fold = (events: SignalTriggerEvent[], from?: SignalTriggerState) => {
  let s = from ?? signalTriggerReducer.initial('~sigtrig/wf');
  const effects = [];
  for (const e of events) {
    const r = signalTriggerReducer.apply(s, e);
    s = r.state;
    effects.push(...r.effects);
  }
  return { s, effects };
};

const subscribe = (def: SignalTrigger, checkpoints: Record<string, number>, uuid = 'u1'): SignalTriggerEvent => ({ t: 'subscribed', atMs: 1, uuid, definition: def, checkpoints });

test('the sample trigger: signal_a joins signal_b on updated_by = posted_by, each with its own match_params', (t) => {
  const { s } = fold([subscribe(sampleTrigger(), { signal_a: 0, signal_b: 0 })]);
  const trig = s.triggers['u1']!;
  t.deepEqual(trig.signals, ['signal_a', 'signal_b']);
  const q = arrivalQueries(trig, sig('signal_a', 1, { foo: 'bat', watermark: 123456, updated_by: 'tester' }));
  t.deepEqual(q, [
    {
      name: 'signal_b',
      afterSeq: 0,
      match: { bar: { value: 'baz', operator: '=' }, watermark: { value: 22222, operator: '>=' }, posted_by: { value: 'tester', operator: '=' } },
      oldest: false,
    },
  ]);
  // match_params must hold on the arriving signal: watermark below 12345, foo of the wrong type, a missing join key
  t.is(arrivalQueries(trig, sig('signal_a', 2, { foo: 'bat', watermark: 100, updated_by: 'x' })), undefined);
  t.is(arrivalQueries(trig, sig('signal_a', 2, { foo: 1, watermark: 123456, updated_by: 'x' })), undefined);
  t.is(arrivalQueries(trig, sig('signal_a', 2, { foo: 'bat', watermark: 123456 })), undefined);
  // a signal name the trigger does not use
  t.is(arrivalQueries(trig, sig('other', 2, {})), undefined);
});

test('join keys are positional: the i-th key of one signal equals the i-th key of every other, with the same type', (t) => {
  const def: SignalTrigger = {
    definitions: {
      x: { matchParams: {}, joinKeys: ['date', 'region'] },
      y: { matchParams: {}, joinKeys: ['dt', 'area'] },
      z: { matchParams: {}, joinKeys: ['day', 'zone'] },
    },
    params: {},
  };
  const { s } = fold([subscribe(def, { x: 3, y: 7, z: 0 })]);
  const q = arrivalQueries(s.triggers['u1']!, sig('y', 8, { dt: 20240101, area: 'eu', other: 'ignored' }))!;
  t.deepEqual(
    q.map((x) => [x.name, x.afterSeq, x.match, x.oldest]),
    [
      ['x', 3, { date: { value: 20240101, operator: '=' }, region: { value: 'eu', operator: '=' } }, false],
      ['z', 0, { day: { value: 20240101, operator: '=' }, zone: { value: 'eu', operator: '=' } }, false],
    ],
  );
  // without match params and join keys, Maestro takes the oldest instance
  const plain: SignalTrigger = { definitions: { p: { matchParams: {}, joinKeys: [] }, q: { matchParams: {}, joinKeys: [] } }, params: {} };
  const { s: s2 } = fold([subscribe(plain, { p: 0, q: 0 })]);
  t.deepEqual(arrivalQueries(s2.triggers['u1']!, sig('p', 1, {}))!.map((x) => x.oldest), [true]);
});

test('checkpoints start at subscription: a signal at or below the checkpoint never fires the trigger', (t) => {
  const { s } = fold([subscribe(sampleTrigger(), { signal_a: 5, signal_b: 2 })]);
  const trig = s.triggers['u1']!;
  const a = { foo: 'bat', watermark: 123456, updated_by: 'tester' };
  t.is(arrivalQueries(trig, sig('signal_a', 5, a)), undefined, 'announced before the subscription');
  t.deepEqual(arrivalQueries(trig, sig('signal_a', 6, a))!.map((q) => q.afterSeq), [2], 'the other signal is looked up above its own checkpoint');
});

test('fired consumes the matched set once: checkpoints move to the matched seqs, and the start is pending until acknowledged', (t) => {
  const a = sig('signal_a', 4, { foo: 'bat', watermark: 123456, updated_by: 'tester' });
  const b = sig('signal_b', 9, { bar: 'baz', watermark: 123456, posted_by: 'tester' });
  const { signalIds, signalParams } = matchedSet([b, a]);
  t.deepEqual(signalIds, { signal_a: 4, signal_b: 9 });
  t.deepEqual(Object.keys(signalIds), ['signal_a', 'signal_b']);
  t.is(signalParams['signal_a']!['watermark'], 123456);
  const start: PendingStart = { requestId: 'r1', version: 1, trigger: { kind: 'SIGNAL', triggerUuid: 'u1', signalIds, signalParams, params: { foo: 'bar' } }, firedAtMs: 2 };
  const { s, effects } = fold([subscribe(sampleTrigger(), { signal_a: 0, signal_b: 0 }), { t: 'fired', atMs: 2, uuid: 'u1', signalIds, start }]);
  t.deepEqual(s.triggers['u1']!.checkpoints, { signal_a: 4, signal_b: 9 });
  t.deepEqual(effects, [{ f: 'enqueue', start }]);
  t.is(s.fired, 1);
  // the same signal again (a re-delivered notice) is consumed: nothing to look up
  t.is(arrivalQueries(s.triggers['u1']!, a), undefined);
  t.is(arrivalQueries(s.triggers['u1']!, b), undefined);
  // a crash before the queue answered: resume re-sends the start (the queue dedups by request id) and syncs
  t.deepEqual(signalTriggerReducer.resume(s), [{ f: 'enqueue', start }, { f: 'sync' }]);
  const acked = fold([{ t: 'acknowledged', atMs: 3, requestId: 'r1', instanceId: 1 }], s).s;
  t.deepEqual(acked.pending, {});
  t.deepEqual(signalTriggerReducer.resume(acked), [{ f: 'sync' }]);
});

test('a match without a start (condition false) still consumes the signals', (t) => {
  const { s, effects } = fold([
    subscribe(sampleTrigger(), { signal_a: 0, signal_b: 0 }),
    { t: 'fired', atMs: 2, uuid: 'u1', signalIds: { signal_a: 1, signal_b: 1 }, skipped: 'condition "1 > 2" is false' },
  ]);
  t.deepEqual(effects, []);
  t.deepEqual(s.triggers['u1']!.checkpoints, { signal_a: 1, signal_b: 1 });
  t.is(s.skipped, 1);
  t.deepEqual(s.pending, {});
});

test('unsubscribing a trigger drops only the signal names no other trigger uses', (t) => {
  const other: SignalTrigger = { definitions: { signal_a: { matchParams: {}, joinKeys: [] }, signal_c: { matchParams: {}, joinKeys: [] } }, params: {} };
  const { s, effects } = fold([
    subscribe(sampleTrigger(), { signal_a: 0, signal_b: 0 }, 'u1'),
    subscribe(other, { signal_a: 0, signal_c: 0 }, 'u2'),
    { t: 'unsubscribed', atMs: 3, uuid: 'u1', reason: 'not in the active version 2' },
  ]);
  t.deepEqual(Object.keys(s.triggers), ['u2']);
  t.deepEqual(effects, [{ f: 'unsubscribe', names: ['signal_b'] }]);
  const last = fold([{ t: 'unsubscribed', atMs: 4, uuid: 'u2', reason: 'workflow wf not found (deleted)' }], s);
  t.deepEqual(last.effects, [{ f: 'unsubscribe', names: ['signal_a', 'signal_c'] }]);
  t.deepEqual(signalTriggerReducer.resume(last.s), [], 'nothing subscribed, nothing pending: nothing to resume');
});

test('replay is a fold: the same events give the same state', (t) => {
  const events: SignalTriggerEvent[] = [
    subscribe(sampleTrigger(), { signal_a: 2, signal_b: 0 }),
    { t: 'fired', atMs: 2, uuid: 'u1', signalIds: { signal_a: 3, signal_b: 1 }, skipped: 'x' },
  ];
  t.deepEqual(fold(events).s, fold(structuredClone(events)).s);
});

const exec = (def: SignalTrigger, over: Partial<ExecutionInput> = {}) =>
  evaluateExecution({
    workflowId: 'wf',
    triggerUuid: 'u1',
    version: 1,
    definition: def,
    signalIds: { signal_a: 1, signal_b: 1 },
    engine: createSelEngine(),
    nowMs: 1_700_000_000_000,
    random: Math.random,
    uuidOf: nameUuid,
    ...over,
  });

test('the sample trigger: params evaluated with no params context, condition 245 > 123 holds, a random dedup gives a fresh request id', (t) => {
  const one = exec(sampleTrigger());
  const two = exec(sampleTrigger());
  if ('skipped' in one || 'skipped' in two) return t.fail(JSON.stringify([one, two]));
  t.deepEqual(one.params, { foo: 'bar' });
  t.not(one.requestId, two.requestId, 'UUID.randomUUID() never dedups');
});

test('condition false or failing, or a failing param: no start (skipped with the reason)', (t) => {
  const base = sampleTrigger();
  const no = exec({ ...base, condition: '123 > 245' });
  t.true('skipped' in no && /is false/.test(no.skipped));
  const broken = exec({ ...base, condition: 'params.get("nope") > 1' });
  t.true('skipped' in broken && /condition evaluation failed/.test(broken.skipped), JSON.stringify(broken));
  const badParam = exec({ ...base, params: { x: { type: 'LONG', expression: 'signal_a__watermark + 1' } } });
  t.true('skipped' in badParam && /params evaluation failed/.test(badParam.skipped), JSON.stringify(badParam));
});

test('request id: UUID of the dedup_expr result ("hello" as Maestro asserts), else of the execution JSON, unique per matched set', (t) => {
  const base = sampleTrigger();
  const hello = exec({ ...base, dedupExpr: '"hello"' });
  t.true('requestId' in hello && hello.requestId === '5d41402a-bc4b-3a76-b971-9d911017c592');
  const noDedup: SignalTrigger = { ...base };
  delete noDedup.dedupExpr;
  const d1 = exec(noDedup);
  const d1again = exec(noDedup);
  const d2 = exec(noDedup, { signalIds: { signal_a: 2, signal_b: 1 } });
  if (!('requestId' in d1) || !('requestId' in d1again) || !('requestId' in d2)) return t.fail();
  t.is(d1.requestId, d1again.requestId, 'the same matched set gives the same request id');
  t.not(d1.requestId, d2.requestId);
  t.is(d1.requestId, nameUuid(executionJson({ workflowId: 'wf', triggerUuid: 'u1', signalIds: { signal_a: 1, signal_b: 1 }, definition: noDedup })));
  // a bad dedup expression falls back to the default (and says so)
  const bad = exec({ ...base, dedupExpr: 'params.get("nope")' });
  if (!('requestId' in bad)) return t.fail();
  t.is(bad.requestId, nameUuid(executionJson({ workflowId: 'wf', triggerUuid: 'u1', signalIds: { signal_a: 1, signal_b: 1 }, definition: { ...base, dedupExpr: 'params.get("nope")' } })));
  t.regex(bad.dedupError ?? '', /dedup_expr evaluation failed/);
});

test('trigger uuid: stable for the same trigger whatever the key order, different for another trigger', (t) => {
  const a = sampleTrigger();
  const reordered = structuredClone(SAMPLE);
  const defs = reordered.workflow.signal_triggers[0].definitions;
  reordered.workflow.signal_triggers[0].definitions = { signal_b: defs.signal_b, signal_a: defs.signal_a };
  const b = parseWorkflowObject(reordered).workflow.signalTriggers[0]!;
  t.is(signalTriggerUuid(a), signalTriggerUuid(b));
  t.is(canonicalJson({ y: 1, x: [{ b: 2, a: 1 }] }), '{"x":[{"a":1,"b":2}],"y":1}');
  t.not(signalTriggerUuid(a), signalTriggerUuid({ ...a, condition: '1 > 0' }));
});

test('at most 8 signal names per trigger (validated at parse)', (t) => {
  const defs: Record<string, object> = {};
  for (let i = 0; i < 9; i++) defs[`s${i}`] = {};
  rejects(t, (r) => (r.workflow.signal_triggers = [{ definitions: defs }]), 'workflow.signal_triggers[0].definitions', /more than the limit of 8/);
});
