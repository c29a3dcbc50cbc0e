/** The queue owner's pure reducer (core/queue): the dequeue cap, arrivals per rule, and replay as a fold. */
import test from 'ava';
import { queueReducer, MAX_DEQUEUE, type QueueEvent, type QueueState } from '../../src/core/queue/index.js';
import type { RunStrategy } from '../../src/core/definition/model.js';

const fold = (events: QueueEvent[]) => {
  let s: QueueState = queueReducer.initial('~queue/wf');
  const effects = [];
  for (const e of events) {
    const r = queueReducer.apply(s, e);
    s = r.state;
    effects.push(r.effects);
  }
  return { s, effects };
};
const enq = (id: number, strategy: RunStrategy): QueueEvent => ({ t: 'enqueue', atMs: id, strategy, id, start: { version: 1, params: {} } });

test('a dequeue launches at most 50 and kicks itself while slots and queued runs remain', (t) => {
  const one: RunStrategy = { rule: 'PARALLEL', workflowConcurrency: 1 };
  const events = Array.from({ length: 120 }, (_, i) => enq(i + 1, one));
  const { s } = fold(events);
  t.is(s.queued.length, 119);
  const r = queueReducer.apply(s, { t: 'strategy', atMs: 200, strategy: { rule: 'PARALLEL', workflowConcurrency: 200 } });
  const runs = r.effects.filter((f) => f.f === 'launch' && f.mode === 'run');
  t.is(runs.length, MAX_DEQUEUE);
  t.true(r.effects.some((f) => f.f === 'kick'));
  const again = queueReducer.apply(r.state, { t: 'dequeue', atMs: 201 });
  t.is(again.effects.filter((f) => f.f === 'launch').length, MAX_DEQUEUE);
  const last = queueReducer.apply(again.state, { t: 'dequeue', atMs: 202 });
  t.is(last.effects.filter((f) => f.f === 'launch').length, 19);
  t.false(last.effects.some((f) => f.f === 'kick'));
});

test('an arrival that runs at once is launched once, in run mode; a queued one is created CREATED', (t) => {
  const seq: RunStrategy = { rule: 'SEQUENTIAL', workflowConcurrency: 1 };
  const { effects } = fold([enq(1, seq), enq(2, seq)]);
  t.deepEqual(effects[0]!.map((f) => f.f === 'launch' && [f.id, f.mode]), [[1, 'run']]);
  t.deepEqual(effects[1]!.map((f) => f.f === 'launch' && [f.id, f.mode]), [[2, 'queue']]);
});

test('STRICT_SEQUENTIAL: a FAILED end blocks; an unblock event lets the next run go; restart clears the failure', (t) => {
  const strict: RunStrategy = { rule: 'STRICT_SEQUENTIAL', workflowConcurrency: 1 };
  const { s } = fold([enq(1, strict), enq(2, strict), { t: 'ended', atMs: 3, id: 1, runId: 1, status: 'FAILED' }]);
  t.deepEqual(s.failed, [1]);
  t.deepEqual(s.queued.map((q) => q.id), [2]);
  const r = queueReducer.apply(s, { t: 'unblock', atMs: 4, ids: [1] });
  t.deepEqual(Object.keys(r.state.running), ['2']);
  const r2 = queueReducer.apply(r.state, { t: 'ended', atMs: 5, id: 2, runId: 1, status: 'FAILED' });
  const r3 = queueReducer.apply(r2.state, { t: 'restart', atMs: 6, strategy: strict, id: 2, runId: 2, policy: 'RESTART_FROM_INCOMPLETE' });
  t.deepEqual(r3.state.failed, []);
  t.deepEqual(r3.effects.map((f) => f.f === 'launch' && [f.id, f.runId, f.mode]), [[2, 2, 'run']]);
});

test('replay is a fold: the same events give the same state, and resume re-launches what was running and queued', (t) => {
  const par: RunStrategy = { rule: 'PARALLEL', workflowConcurrency: 2 };
  const events: QueueEvent[] = [enq(1, par), enq(2, par), enq(3, par), { t: 'ended', atMs: 9, id: 1, runId: 1, status: 'SUCCEEDED' }, enq(4, par)];
  const a = fold(events).s;
  const b = fold(structuredClone(events)).s;
  t.deepEqual(a, b);
  t.deepEqual(Object.keys(a.running).sort(), ['2', '3']);
  t.deepEqual(a.queued.map((q) => q.id), [4]);
  t.deepEqual(queueReducer.resume(a).map((f) => f.f === 'launch' ? [f.id, f.mode] : f.f), [[4, 'queue'], [2, 'run'], [3, 'run'], 'kick']);
});
