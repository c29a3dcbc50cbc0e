/**
 * The signal store as a service actor (workflow/signal-service.ts) over a memory journal and a
 * scripted transport: announce and dedup, waits and their notices, subscribers and their
 * acknowledgements, recovery re-sending what was not acknowledged; and the embedded engine's API.
 */
import test from 'ava';
import { MemoryJournal } from '../../src/journal/memory/memory-journal.js';
import { ServiceActor, type ServiceHostHooks } from '../../src/workflow/service-actor.js';
import { signalServiceKind } from '../../src/workflow/signal-service.js';
import { signalKeyOf, waiterIdOf, type AnnounceReply, type SignalInstance, type SignalStoreMessage, type WaitReply } from '../../src/core/signals/model.js';
import { MaestroError, NotFoundError, ValidationError } from '../../src/core/errors.js';
import type { Transport } from '../../src/transport/port.js';
import { recordingLogger } from '../helpers/log.js';
import { createEmbeddedNode } from '../../src/node/embedded.js';
import { signalMatchedMessage, signalArrivedMessage } from '../../src/workflow/signal-messages.js';

interface Sent {
  to: string;
  body: { type: string; signal: SignalInstance; stepId?: string };
}

/** A transport whose requests are answered by `answer` (default: true) and recorded. */
function scriptedTransport(answer: (to: string, body: unknown) => Promise<unknown> = async () => true) {
  const sent: Sent[] = [];
  const waiters: Array<() => void> = [];
  const transport = {
    async request(to: string, body: unknown) {
      sent.push({ to, body: body as Sent['body'] });
      for (const w of waiters.splice(0)) w();
      return answer(to, body);
    },
    publish() {},
  } as unknown as Transport;
  const until = async (pred: () => boolean) => {
    while (!pred()) await new Promise<void>((r) => waiters.push(r));
  };
  return { transport, sent, until };
}

const NAME = 'db/test/t1';
const KEY = signalKeyOf(NAME);

function host(journal: MemoryJournal, transport: Transport, now = () => 1000): ServiceHostHooks {
  return { partition: 0, epoch: 1, journal, transport, now, log: recordingLogger(), onStale: () => {}, onApplied: () => {} };
}

async function start(transport: Transport, published: SignalInstance[] = [], journal = new MemoryJournal()) {
  await journal.claim(0, 1);
  const kind = signalServiceKind({ requestTimeoutMs: 500, publish: (s) => published.push(s) });
  const actor = new ServiceActor(KEY, kind.reducer.initial(KEY), kind, host(journal, transport));
  const ask = (msg: SignalStoreMessage) => actor.post(kind.parse(msg) as never);
  return { actor, ask, journal, kind };
}

const waiter = (stepId: string) => ({ instanceKey: 'wf/1', runId: 1, stepId, index: 0 });

test('announce: seq ids 1, 2; the same name+params without request id is a duplicate (payload ignored); a request id makes it new', async (t) => {
  const published: SignalInstance[] = [];
  const { ask } = await start(scriptedTransport().transport, published);
  const a = (await ask({ type: 'Announce', signal: { params: { a: 1.5, b: 'x' }, payload: { p: 1 } } })) as AnnounceReply;
  t.is(a.duplicate, false);
  t.like(a.instance, { name: NAME, seqId: 1, params: { a: 1, b: 'x' }, payload: { p: 1 }, requestTimeMs: 1000, createTimeMs: 1000 });
  t.regex(a.instance.instanceId, /^[0-9a-f]{8}-[0-9a-f]{4}-3[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const dup = (await ask({ type: 'Announce', signal: { params: { b: 'x', a: 1 }, payload: { other: true } } })) as AnnounceReply;
  t.true(dup.duplicate);
  t.deepEqual(dup.instance, a.instance, 'the stored instance, payload included');
  const withId = (await ask({ type: 'Announce', signal: { params: { a: 1, b: 'x' }, payload: {}, requestId: 'r-1', requestTimeMs: 5 } })) as AnnounceReply;
  t.like(withId, { duplicate: false, instance: { seqId: 2, instanceId: 'r-1', requestTimeMs: 5 } });
  t.true(((await ask({ type: 'Announce', signal: { params: {}, payload: {}, requestId: 'r-1' } })) as AnnounceReply).duplicate);
  t.deepEqual(published.map((p) => p.seqId), [1, 2]);
  await t.throwsAsync(ask({ type: 'Announce', signal: { params: { a: 2 ** 60 }, payload: {} } }), { instanceOf: ValidationError, message: /params\.a/ });
  t.like(await ask({ type: 'GetSignal' }), { seqId: 2 });
  t.like(await ask({ type: 'GetSignal', seqId: 1 }), { seqId: 1 });
  await t.throwsAsync(ask({ type: 'GetSignal', seqId: 3 }), { instanceOf: NotFoundError });
  t.like(await ask({ type: 'ListSignals', afterSeq: 1 }), { latestSeq: 2, instances: [{ seqId: 2 }] });
});

test('a wait matched by a stored signal answers at once; else a later signal notifies the instance, and its answer drops the wait', async (t) => {
  const script = scriptedTransport();
  const { ask, actor } = await start(script.transport);
  await ask({ type: 'Announce', signal: { params: { a: 1 }, payload: {} } });
  const now = (await ask({ type: 'Wait', waiter: waiter('s0'), match: { a: { value: 1, operator: '=' } } })) as WaitReply;
  t.is(now.matched?.seqId, 1, 'any signal ever announced matches');
  t.deepEqual(actor.current.waits, {}, 'nothing registered');
  t.deepEqual(await ask({ type: 'Wait', waiter: waiter('s1'), match: { a: { value: '1', operator: '=' } } }), {}, 'a string never matches a long');
  await ask({ type: 'Wait', waiter: waiter('s2'), match: { a: { value: 5, operator: '>' } } });
  await ask({ type: 'Announce', signal: { params: { a: 7 }, payload: {} } });
  await script.until(() => script.sent.length === 1);
  t.is(script.sent[0]!.to, 'wf/1');
  t.notThrows(() => signalMatchedMessage.parse(script.sent[0]!.body));
  t.like(script.sent[0]!.body, { type: 'SignalMatched', stepId: 's2', signal: { seqId: 2 } });
  while (Object.hasOwn(actor.current.waits, waiterIdOf(waiter('s2')))) await new Promise((r) => setTimeout(r, 5));
  t.deepEqual(Object.keys(actor.current.waits), [waiterIdOf(waiter('s1'))]);
  await ask({ type: 'Unwait', waiter: waiter('s1') });
  t.deepEqual(actor.current.waits, {});
  await t.throwsAsync(ask({ type: 'Wait', waiter: waiter('s3'), match: { a: { value: 1, operator: '!=' } } }), { instanceOf: ValidationError });
});

test('a waiting instance that is gone (NOT_FOUND) is dropped; one unavailable for a while is retried until it takes it; one that refuses keeps its wait for the next owner', async (t) => {
  let unavailable = 2;
  const script = scriptedTransport(async (_to, body) => {
    const step = (body as { stepId: string }).stepId;
    if (step === 'gone') throw new NotFoundError('no such instance');
    if (step === 'moving' && unavailable-- > 0) throw new MaestroError('unavailable', 'owner moving');
    if (step === 'moving') return true;
    throw new MaestroError('invalid_argument', 'unknown message');
  });
  const { ask, actor } = await start(script.transport);
  await ask({ type: 'Wait', waiter: waiter('gone'), match: {} });
  await ask({ type: 'Wait', waiter: waiter('moving'), match: {} });
  await ask({ type: 'Wait', waiter: waiter('refuses'), match: {} });
  await ask({ type: 'Announce', signal: { params: {}, payload: {} } });
  const gone = waiterIdOf(waiter('gone'));
  const moving = waiterIdOf(waiter('moving'));
  while (Object.hasOwn(actor.current.waits, gone) || Object.hasOwn(actor.current.waits, moving)) await new Promise((r) => setTimeout(r, 5));
  t.is(script.sent.filter((s) => s.body.stepId === 'moving').length, 3, 'tried until accepted');
  t.is(actor.current.waits[waiterIdOf(waiter('refuses'))]!.matched, 1);
});

test('subscribers: told of each new signal and acknowledged; after recovery what was not acknowledged is sent again', async (t) => {
  let fail = false;
  const script = scriptedTransport(async () => {
    if (fail) throw new MaestroError('invalid_argument', 'not now');
    return true;
  });
  const { ask, actor, journal, kind } = await start(script.transport);
  await ask({ type: 'Announce', signal: { params: {}, payload: {}, requestId: 'before' } });
  t.deepEqual(await ask({ type: 'Subscribe', subscriber: '~sigtrig/wf' }), { latestSeq: 1 });
  t.deepEqual(await ask({ type: 'Subscribe', subscriber: '~sigtrig/wf' }), { latestSeq: 1 }, 'idempotent');
  await t.throwsAsync(ask({ type: 'Subscribe', subscriber: 'wf/1' }), { instanceOf: ValidationError, message: /subscriber/ });
  await ask({ type: 'Announce', signal: { params: {}, payload: {}, requestId: 'a' } });
  await script.until(() => script.sent.length === 1);
  t.notThrows(() => signalArrivedMessage.parse(script.sent[0]!.body));
  while (actor.current.subs['~sigtrig/wf']!.acked < 2) await new Promise((r) => setTimeout(r, 5));
  fail = true;
  await ask({ type: 'Announce', signal: { params: {}, payload: {}, requestId: 'b' } });
  await ask({ type: 'Wait', waiter: waiter('w'), match: {} }); // matched at once: nothing registered
  await script.until(() => script.sent.length === 2);
  t.is(actor.current.subs['~sigtrig/wf']!.acked, 2);

  // A new owner folds the journal and re-sends seq 3 only.
  fail = false;
  const again = scriptedTransport();
  const image = await journal.load(0);
  const img = image.instances.get(KEY)!;
  const recovered = ServiceActor.recover(KEY, kind, img, host(journal, again.transport));
  t.deepEqual(recovered.current.instances.map((i) => i.instanceId), ['before', 'a', 'b']);
  recovered.resume();
  await again.until(() => again.sent.length === 1);
  t.like(again.sent[0], { to: '~sigtrig/wf', body: { type: 'SignalArrived', signal: { seqId: 3 } } });
  while (recovered.current.subs['~sigtrig/wf']!.acked < 3) await new Promise((r) => setTimeout(r, 5));
  await recovered.post({ type: 'Unsubscribe', subscriber: '~sigtrig/wf' } as never);
  t.deepEqual(recovered.current.subs, {});
});

test('embedded engine: send, duplicate, get, latest, list; bad names and values are INVALID_ARGUMENT naming the field', async (t) => {
  const node = await createEmbeddedNode({ partitions: 2, logLevel: 'warn' });
  t.teardown(() => node.close());
  const api = node.api;
  const first = await api.sendSignal('db/test/table1', { params: { ds: 20240101, kind: 'full' }, payload: { rows: 3 } });
  t.like(first, { duplicate: false, instance: { seqId: 1, name: 'db/test/table1', params: { ds: 20240101, kind: 'full' } } });
  const dup = await api.sendSignal('db/test/table1', { params: { kind: 'full', ds: 20240101 }, payload: {} });
  t.true(dup.duplicate);
  t.is(dup.instance.instanceId, first.instance.instanceId);
  await api.sendSignal('db/test/table1', { params: { ds: 20240102 }, payload: {} });
  t.is((await api.getSignal('db/test/table1')).seqId, 2);
  t.is((await api.getSignal('db/test/table1', 1)).instanceId, first.instance.instanceId);
  await t.throwsAsync(api.getSignal('db/test/table1', 9), { instanceOf: NotFoundError });
  await t.throwsAsync(api.getSignal('never'), { instanceOf: NotFoundError });
  const list = await api.listSignals('db/test/table1', 0, 1);
  t.is(list.latestSeq, 2);
  t.deepEqual(list.instances.map((i) => i.seqId), [1]);
  await t.throwsAsync(api.sendSignal('bad*name', { params: {}, payload: {} }), { instanceOf: ValidationError, message: /^name/ });
  await t.throwsAsync(api.sendSignal('ok', { params: { a: true as never }, payload: {} }), { instanceOf: ValidationError, message: /^params\.a/ });
  await t.throwsAsync(api.listSignals('ok', 0, 0), { instanceOf: ValidationError, message: /^limit/ });
});
