/**
 * The signal-trigger actor (workflow/signal-trigger-service.ts) on real partitions, with the
 * real queue owner and engine, against a minimal in-test `~signal/<name>` store (numbering,
 * Find, Subscribe/Unsubscribe, SignalArrived notices): the subscription lifecycle (create,
 * new version, disable, delete), firing through the queue, consumption and request-id dedup,
 * and recovery of the actor from the journal.
 */
import test, { type ExecutionContext } from 'ava';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import { MemoryJournal } from '../../src/journal/memory/memory-journal.js';
import { MemoryKv } from '../../src/store/memory/memory-kv.js';
import { DefinitionRegistry } from '../../src/workflow/definitions.js';
import { LocalPartitions } from '../../src/workflow/partitions.js';
import { PartitionIndex } from '../../src/workflow/partition-index.js';
import { Engine } from '../../src/workflow/engine.js';
import { createSelEngine } from '../../src/expr/index.js';
import { startExecutor } from '../../src/executor/executor.js';
import { recordingLogger } from '../helpers/log.js';
import { WIRE_SCHEMAS, parseActorMessage } from '../../src/workflow/message-schemas.js';
import { queueServiceKind } from '../../src/workflow/queue-service.js';
import { signalTriggerServiceKind } from '../../src/workflow/signal-trigger-service.js';
import { signalTriggersReply, type SignalTriggersReply } from '../../src/workflow/signal-trigger-messages.js';
import type { ServiceKind } from '../../src/workflow/service-actor.js';
import { SIGNAL_KEY_PREFIX, satisfies, signalKeyOf, signalTriggerKeyOf, type SignalInstance, type SignalStoreMessage, type SignalValue } from '../../src/core/signals/model.js';
import { Holds } from '../fixtures/test-runtimes.js';

// ---- a minimal signal store (the real one is `~signal/<name>` of signal-service.ts) ----
interface StoreState {
  name: string;
  signals: SignalInstance[];
  subscribers: string[];
  seq: number;
}
type StoreEvent = { t: 'add'; signal: SignalInstance } | { t: 'sub'; who: string } | { t: 'unsub'; who: string };
type StoreEffect = { to: string; signal: SignalInstance };
type StoreMsg = SignalStoreMessage;
/** While set, the fake store keeps its notices here instead of sending them (a test delivers them out of order). */
let heldNotices: StoreEffect[] | undefined;

const fakeStore: ServiceKind<StoreState, StoreEvent, StoreEffect, StoreMsg> = {
  prefix: SIGNAL_KEY_PREFIX,
  reducer: {
    initial: (key) => ({ name: key.slice(SIGNAL_KEY_PREFIX.length), signals: [], subscribers: [], seq: 0 }),
    apply(s, e) {
      if (e.t === 'add') return { state: { ...s, signals: [...s.signals, e.signal] }, effects: s.subscribers.map((to) => ({ to, signal: e.signal })) };
      if (e.t === 'sub') return { state: { ...s, subscribers: [...s.subscribers, e.who] }, effects: [] };
      return { state: { ...s, subscribers: s.subscribers.filter((w) => w !== e.who) }, effects: [] };
    },
    resume: () => [],
  },
  parse: (body) => body as StoreMsg,
  toEvents(ctx, s, msg) {
    switch (msg.type) {
      case 'Announce': {
        const params = msg.signal.params;
        const instanceId = msg.signal.requestId ?? JSON.stringify(Object.entries(params).sort());
        if (s.signals.some((x) => x.instanceId === instanceId)) return [];
        return [{ t: 'add', signal: { name: s.name, seqId: s.signals.length + 1, instanceId, params, payload: msg.signal.payload, requestTimeMs: 0, createTimeMs: ctx.now() } }];
      }
      case 'Subscribe':
        return s.subscribers.includes(msg.subscriber) ? [] : [{ t: 'sub', who: msg.subscriber }];
      case 'Unsubscribe':
        return s.subscribers.includes(msg.subscriber) ? [{ t: 'unsub', who: msg.subscriber }] : [];
      default:
        return [];
    }
  },
  run: (ctx, f) => {
    if (heldNotices) return Promise.resolve(void heldNotices.push(f));
    return ctx.transport.request(f.to, { type: 'SignalArrived', signal: f.signal });
  },
  reply(_ctx, s, msg, out) {
    switch (msg.type) {
      case 'Announce':
        // answers once the notices were taken, so a test can announce and then look
        return Promise.all(out.results).then(() => ({ duplicate: out.events.length === 0 }));
      case 'Subscribe':
        return { latestSeq: s.signals.length };
      case 'Find': {
        const hits = s.signals.filter((x) => x.seqId > msg.afterSeq && satisfies(x.params, msg.match));
        return hits.length > 0 ? { instance: hits[0] } : {};
      }
      case 'Unsubscribe':
        return true;
      case 'ListSignals': {
        const after = s.signals.filter((x) => x.seqId > (msg.afterSeq ?? 0)).slice(0, msg.limit ?? 100);
        return { instances: after, latestSeq: s.signals.length };
      }
      default:
        throw new Error(`fake store: ${msg.type} not supported`);
    }
  },
};

const PARTITIONS = 3;

async function rig(t: ExecutionContext) {
  const schemas = { ...WIRE_SCHEMAS, actor: (to: string, body: unknown) => (to.startsWith(SIGNAL_KEY_PREFIX) ? body : parseActorMessage(to, body)) };
  const transport = new MemoryTransport({ partitions: PARTITIONS, schemas, requestTimeoutMs: 2_000 });
  const journal = new MemoryJournal();
  const kv = new MemoryKv();
  const definitions = new DefinitionRegistry(kv, Date.now);
  const sel = createSelEngine();
  const log = recordingLogger();
  const node = () =>
    new LocalPartitions({
      journal,
      transport,
      definitions,
      machine: { engine: sel, hasRuntime: () => true },
      now: Date.now,
      checkpointEveryRecords: 1000,
      retainFinishedPerPartition: 100,
      attemptLivenessMs: 60_000,
      partitionCount: PARTITIONS,
      log,
      services: [queueServiceKind({ definitions, kv, requestTimeoutMs: 2_000 }), signalTriggerServiceKind({ definitions, expressions: sel, requestTimeoutMs: 2_000 }), fakeStore],
    });
  const holds = new Holds();
  const executor = await startExecutor(transport, new Map([['hold', holds.runtime]]), { heartbeatIntervalMs: 0 }, {});
  const n1 = node();
  for (let p = 0; p < PARTITIONS; p++) await n1.acquire(p, 1);
  const nodes = [n1];
  t.teardown(async () => {
    for (const n of nodes) await n.releaseAll();
    await executor.close({ abandon: true });
    await transport.close();
  });
  const api = new Engine({ definitions, kv, transport, index: new PartitionIndex(transport, PARTITIONS, 2_000), expressions: sel, hasRuntime: () => true, requestTimeoutMs: 2_000, log });
  const announce = (name: string, params: Record<string, SignalValue>, requestId?: string) =>
    transport.request(signalKeyOf(name), { type: 'Announce', signal: requestId === undefined ? { params, payload: {} } : { params, payload: {}, requestId } } satisfies SignalStoreMessage) as Promise<{ duplicate: boolean }>;
  const triggers = async (wf: string): Promise<SignalTriggersReply> => signalTriggersReply.parse(await transport.request(signalTriggerKeyOf(wf), { type: 'SignalTriggers' }));
  /** Waits until the trigger actor has no start the queue owner has not answered. */
  const settled = async (wf: string): Promise<SignalTriggersReply> => {
    for (;;) {
      const r = await triggers(wf);
      if (r.pending === 0) return r;
      await new Promise((res) => setImmediate(res));
    }
  };
  const subscribers = async (name: string) => {
    for (const n of nodes) {
      for (let p = 0; p < PARTITIONS; p++) {
        const st = n.host(p)?.serviceState(signalKeyOf(name)) as StoreState | undefined;
        if (st) return st.subscribers;
      }
    }
    return [];
  };
  const latestInstance = async (wf: string) => (await api.queueInfo(wf)).latestInstanceId;
  return { api, definitions, transport, journal, node, nodes, n1, log, announce, triggers, settled, subscribers, latestInstance };
}

const trigger = (extra: Record<string, unknown> = {}) => ({
  definitions: {
    signal_a: { match_params: { foo: { value: 'bat', operator: '=' }, watermark: { value: 12345, operator: '>=' } }, join_keys: ['updated_by'] },
    signal_b: { match_params: { bar: { value: 'baz', operator: '=' }, watermark: { value: 22222, operator: '>=' } }, join_keys: ['posted_by'] },
  },
  params: { foo: { value: 'bar', type: 'STRING' } },
  ...extra,
});
const workflow = (id: string, triggers: object[], properties: Record<string, unknown> = {}) =>
  JSON.stringify({ properties: { owner: 't', run_strategy: 'parallel', ...properties }, workflow: { id, signal_triggers: triggers, steps: [{ step: { id: 'job', type: 'Hold' } }] } });
const A = { foo: 'bat', watermark: 123456, updated_by: 'tester' };
const B = { bar: 'baz', watermark: 123456, posted_by: 'tester' };

test('create subscribes (checkpoints at the latest seqs); a matching pair starts exactly one SIGNAL instance through the queue', async (t) => {
  const r = await rig(t);
  await r.announce('signal_b', B); // before the subscription: never used
  await r.api.createWorkflow(workflow('w1', [trigger()]));
  const sub = await r.triggers('w1');
  t.is(sub.triggers.length, 1);
  t.deepEqual(sub.triggers[0]!.checkpoints, { signal_a: 0, signal_b: 1 });
  t.deepEqual(await r.subscribers('signal_a'), [signalTriggerKeyOf('w1')]);
  await r.announce('signal_a', A);
  t.is((await r.settled('w1')).fired, 0, 'signal_b #1 was announced before the subscription');
  t.is(await r.latestInstance('w1'), 0);
  await r.announce('signal_b', { ...B, posted_by: 'someone else' }); // join value differs
  t.is((await r.settled('w1')).fired, 0);
  await r.announce('signal_b', { ...B, extra: 1 });
  const after = await r.settled('w1');
  t.is(after.fired, 1);
  t.deepEqual(after.triggers[0]!.checkpoints, { signal_a: 1, signal_b: 3 });
  t.is(await r.latestInstance('w1'), 1);
  const view = await r.api.getInstance('w1', 1);
  t.is(view.initiator, 'SIGNAL');
  t.truthy(view.requestId);
  // consumed: another signal_b with the same join value finds no signal_a above the checkpoint
  await r.announce('signal_b', { ...B, extra: 2 });
  t.is((await r.settled('w1')).fired, 1);
  t.is(await r.latestInstance('w1'), 1);
});

test('condition false consumes the signals without a run; a constant dedup_expr dedups at the queue', async (t) => {
  const r = await rig(t);
  await r.api.createWorkflow(workflow('w2', [trigger({ condition: '1 > 2' })]));
  await r.announce('signal_a', A);
  await r.announce('signal_b', B);
  const s = await r.settled('w2');
  t.is(s.skipped, 1);
  t.deepEqual(s.triggers[0]!.checkpoints, { signal_a: 1, signal_b: 1 });
  t.is(await r.latestInstance('w2'), 0);
  t.true(r.log.records.some((x) => x.message.includes('no run (the signals stay consumed)')));

  await r.api.createWorkflow(workflow('w3', [trigger({ dedup_expr: '"always-the-same"' })]));
  await r.announce('signal_a', { ...A, n: 1 });
  await r.announce('signal_b', { ...B, n: 1 });
  await r.announce('signal_a', { ...A, n: 2 });
  await r.announce('signal_b', { ...B, n: 2 });
  const s3 = await r.settled('w3');
  t.is(s3.fired, 2, 'two matched sets fired');
  t.is(await r.latestInstance('w3'), 1, 'one request id: one instance');
});

test('a new active version without the trigger, signal_trigger_disabled, and delete each unsubscribe', async (t) => {
  const r = await rig(t);
  await r.api.createWorkflow(workflow('w4', [trigger()]));
  const first = (await r.triggers('w4')).triggers[0]!.uuid;
  // the same trigger in a new version keeps its uuid and checkpoints
  await r.announce('signal_a', A);
  await r.api.createWorkflow(workflow('w4', [trigger()]));
  t.deepEqual((await r.triggers('w4')).triggers.map((x) => x.uuid), [first]);
  // a changed trigger is another one: the old is dropped, the new subscribed above the latest seqs
  await r.api.createWorkflow(workflow('w4', [trigger({ condition: '2 > 1' })]));
  const changed = await r.triggers('w4');
  t.is(changed.triggers.length, 1);
  t.not(changed.triggers[0]!.uuid, first);
  t.deepEqual(changed.triggers[0]!.checkpoints, { signal_a: 1, signal_b: 0 });
  // going back to version 1 by activation
  await r.api.activateWorkflow('w4', 1);
  t.deepEqual((await r.triggers('w4')).triggers.map((x) => x.uuid), [first]);
  await r.api.createWorkflow(workflow('w4', [trigger()], { signal_trigger_disabled: true }));
  t.deepEqual((await r.triggers('w4')).triggers, []);
  t.deepEqual(await r.subscribers('signal_a'), []);
  await r.api.createWorkflow(workflow('w4', [trigger()], { signal_trigger_disabled: false }));
  t.is((await r.triggers('w4')).triggers.length, 1);
  t.deepEqual(await r.subscribers('signal_b'), [signalTriggerKeyOf('w4')]);
  await r.api.deleteWorkflow('w4');
  t.deepEqual((await r.triggers('w4')).triggers, []);
  t.deepEqual(await r.subscribers('signal_b'), []);
});

test('the actor recovers from the journal on a takeover: checkpoints kept, a consumed pair never fires again', async (t) => {
  const r = await rig(t);
  await r.api.createWorkflow(workflow('w5', [trigger()]));
  await r.announce('signal_a', A);
  await r.announce('signal_b', B);
  t.is((await r.settled('w5')).fired, 1);
  // another node takes every partition over (the trigger actor, the store and the queue are rebuilt from the journal)
  await r.n1.releaseAll();
  const n2 = r.node();
  r.nodes.push(n2);
  for (let p = 0; p < 3; p++) await n2.acquire(p, 2);
  const again = await r.settled('w5');
  t.is(again.fired, 1);
  t.deepEqual(again.triggers[0]!.checkpoints, { signal_a: 1, signal_b: 1 });
  await r.announce('signal_b', { ...B, n: 2 });
  t.is((await r.settled('w5')).fired, 1);
  await r.announce('signal_a', { ...A, n: 2 });
  t.is((await r.settled('w5')).fired, 2);
  t.is(await r.latestInstance('w5'), 2);
});

test('a Sync lost with a crash heals: the node-start sync subscribes workflows whose active version has signal triggers', async (t) => {
  const r = await rig(t);
  // stored without the engine's Sync (as if the node died right after the KV write)
  const { parseWorkflowInput } = await import('../../src/core/definition/index.js');
  await r.definitions.create(parseWorkflowInput(workflow('w6', [trigger()])));
  await r.definitions.create(parseWorkflowInput(workflow('w7', [])));
  t.deepEqual((await r.triggers('w6')).triggers, []);
  await r.api.syncAllSignalTriggers();
  t.is((await r.triggers('w6')).triggers.length, 1);
  t.deepEqual(await r.subscribers('signal_a'), [signalTriggerKeyOf('w6')]);
  await r.announce('signal_a', A);
  await r.announce('signal_b', B);
  t.is((await r.settled('w6')).fired, 1);
  t.is(await r.latestInstance('w6'), 1);
});

test.serial('notices that overtake each other (a re-send after a takeover, a retry): each arrival is evaluated once, in seq order; none is lost below a moved checkpoint', async (t) => {
  const r = await rig(t);
  await r.api.createWorkflow(workflow('w-order', [{ definitions: { tick: {} } }]));
  heldNotices = [];
  try {
    for (let i = 1; i <= 4; i++) await r.announce('tick', { i });
  } finally {
    const held = heldNotices;
    heldNotices = undefined;
    t.is(held.length, 4);
    const arrive = (seq: number) => r.transport.request(signalTriggerKeyOf('w-order'), { type: 'SignalArrived', signal: held.find((n) => n.signal.seqId === seq)!.signal });
    await arrive(3); // 1 and 2 are fetched from the store and fire first
    await arrive(1); // redeliveries: evaluated already
    await arrive(4);
    await arrive(2);
    await arrive(4);
  }
  const after = await r.settled('w-order');
  t.is(after.fired, 4);
  t.deepEqual(after.triggers[0]!.checkpoints, { tick: 4 });
  t.is(await r.latestInstance('w-order'), 4);
  const fired = await Promise.all([1, 2, 3, 4].map(async (id) => (await r.api.getInstance('w-order', id)).trigger));
  t.deepEqual(fired.map((tr) => (tr?.kind === 'SIGNAL' ? tr.signalIds['tick'] : undefined)), [1, 2, 3, 4], 'one run per signal, in seq order');
});
