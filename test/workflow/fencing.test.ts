/**
 * Fencing, deterministically, on the in-memory adapters: a former owner that has not noticed
 * the move can issue no effect that counts. Its re-dispatch is refused by the journal (it is
 * journaled first), and its late dispatch or cancel is refused by the executor that has seen the
 * new owner's epoch.
 */
import test from 'ava';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import { MemoryJournal } from '../../src/journal/memory/memory-journal.js';
import { MemoryKv } from '../../src/store/memory/memory-kv.js';
import { DefinitionRegistry } from '../../src/workflow/definitions.js';
import { LocalPartitions } from '../../src/workflow/partitions.js';
import { PartitionIndex } from '../../src/workflow/partition-index.js';
import { Engine } from '../../src/workflow/engine.js';
import { InstanceActor } from '../../src/workflow/instance-actor.js';
import { NO_CHILDREN } from '../../src/workflow/partition-host.js';
import { createSelEngine } from '../../src/expr/index.js';
import { parseWorkflowRequest } from '../../src/core/definition/index.js';
import { compileWorkflow } from '../../src/core/instance/index.js';
import { startExecutor, type ExecutorHandle } from '../../src/executor/executor.js';
import { TOPIC_CANCEL_ATTEMPT, type CancelAttempt } from '../../src/protocol/executor.js';
import type { StepRuntime } from '../../src/executor/runtime.js';
import type { StaleEpochError } from '../../src/core/errors.js';
import { recordingLogger } from '../helpers/log.js';
import { WIRE_SCHEMAS } from '../../src/workflow/message-schemas.js';
import { queueServiceKind } from '../../src/workflow/queue-service.js';

const sel = createSelEngine();
/** A step that runs until aborted; its executor sends no heartbeats, so the owner's sweeper fires. */
const hold: StepRuntime = {
  type: 'Hold',
  run: (_task, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve({ status: 'SUCCEEDED' }), { once: true })),
};

async function rig(t: import('ava').ExecutionContext) {
  const transport = new MemoryTransport({ partitions: 1, schemas: WIRE_SCHEMAS });
  const journal = new MemoryJournal();
  const kv = new MemoryKv();
  const definitions = new DefinitionRegistry(kv, Date.now);
  const clock = { now: 1_000_000 };
  const dispatches: Array<{ attemptId: string; epoch: number }> = [];
  const stale: number[] = [];
  const node = () =>
    new LocalPartitions(
      {
        journal,
        transport,
        definitions,
        machine: { engine: sel, hasRuntime: () => true },
        now: () => clock.now,
        checkpointEveryRecords: 1000,
        retainFinishedPerPartition: 100,
        attemptLivenessMs: 100,
        partitionCount: 1,
        log: recordingLogger(),
        onDispatch: (task, _p, epoch) => void dispatches.push({ attemptId: task.attemptId, epoch }),
        services: [queueServiceKind({ definitions, kv, requestTimeoutMs: 1000 })],
      },
      (p: number, _err: StaleEpochError) => void stale.push(p),
    );
  const fenced: Array<[string, number, number]> = [];
  const accepted: Array<[string, number]> = [];
  const executor: ExecutorHandle = await startExecutor(transport, new Map([['hold', hold]]), { heartbeatIntervalMs: 0 }, {
    onFenced: (what, _id, _p, epoch, newest) => void fenced.push([what, epoch, newest]),
    onAccepted: (task) => void accepted.push([task.attemptId, task.epoch]),
    now: () => clock.now,
  });
  const request = parseWorkflowRequest(JSON.stringify({ properties: { owner: 't' }, workflow: { id: 'w', steps: [{ step: { id: 'job', type: 'Hold', timeout: '1h' } }] } }));
  await definitions.create(request);
  const n1 = node();
  const n2 = node();
  t.teardown(async () => {
    await n1.releaseAll();
    await n2.releaseAll();
    await executor.close({ abandon: true });
    await transport.close();
  });
  const api = new Engine({ definitions, kv, transport, index: new PartitionIndex(transport, 1, 1000), expressions: sel, hasRuntime: () => true, requestTimeoutMs: 1000 });
  return { transport, journal, clock, dispatches, stale, fenced, accepted, executor, n1, n2, api, def: compileWorkflow(request, 1) };
}

const until = async (what: string, ok: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
};

test('a re-dispatch is journaled first: the owner re-dispatches a quiet attempt, a fenced former owner cannot', async (t) => {
  const r = await rig(t);
  await r.n1.acquire(0, 1);
  const { instanceId } = await r.api.startWorkflow({ workflowId: 'w' });
  await until('the first dispatch', () => r.dispatches.length === 1);
  // Control: while n1 owns the partition, a quiet attempt is re-dispatched once the liveness window passes.
  r.clock.now += 1_000;
  await until('a re-dispatch', () => r.dispatches.length === 2);
  t.deepEqual(r.dispatches.map((d) => d.epoch), [1, 1]);

  // n2 claims the partition (the fence moves to 2); n1 has not noticed and its sweeper fires again.
  await r.journal.claim(0, 2);
  r.clock.now += 1_000;
  await until('n1 to learn it is stale', () => r.stale.length === 1);
  t.deepEqual(r.stale, [0]);
  t.is(r.dispatches.length, 2, 'no dispatch after the fence moved');
  t.is((await r.journal.load(0)).instances.get(`w/${instanceId}`)!.records.length, 2, 'the refused redispatch was not written');
});

test("an executor refuses the former owner's dispatch and cancel once it has seen the new owner's epoch", async (t) => {
  const r = await rig(t);
  await r.n1.acquire(0, 1);
  const { instanceId } = await r.api.startWorkflow({ workflowId: 'w' });
  const key = `w/${instanceId}`;
  await until('the executor to accept attempt 1 at epoch 1', () => r.accepted.length === 1);
  const before = r.n1.host(0)!.stateOf(key)!; // what the old owner holds in memory

  await r.n1.release(0);
  await r.n2.acquire(0, 2); // announces epoch 2, then re-dispatches the running attempt at epoch 2
  await until('the new owner to re-dispatch', () => r.dispatches.some((d) => d.epoch === 2));

  // The former owner, unaware of the move, re-issues its dispatch (e.g. it woke up from a pause).
  const log = recordingLogger();
  const old = new InstanceActor(key, before, { def: r.def, engine: sel, hasRuntime: () => true }, {
    partition: 0,
    epoch: 1,
    journal: r.journal,
    transport: r.transport,
    children: NO_CHILDREN,
    now: () => r.clock.now,
    onStale: () => t.fail('not expected'),
    onApplied: () => {},
    onError: (err, ctx, msg) => log.error({ err, ...ctx }, msg),
  });
  old.resume();
  await until('the executor to refuse it', () => r.fenced.length === 1);
  t.deepEqual(r.fenced, [['task', 1, 2]]);
  const cancel: CancelAttempt = { attemptId: before.steps['job']!.attempts[0]!.attemptId, partition: 0, epoch: 1 };
  r.transport.publish(TOPIC_CANCEL_ATTEMPT, cancel);
  await until('the stale cancel to be refused', () => r.fenced.length === 2);
  t.deepEqual(r.fenced[1], ['cancel', 1, 2]);
  t.is(r.executor.fenced, 2);
  t.is(r.executor.running, 1, 'the attempt still runs for the new owner');
  t.deepEqual(r.accepted.map(([, e]) => e), [1], 'accepted once; the new owner found it already running');
  old.stop(new Error('test over'));
});

test('a timer armed at an older epoch is dropped', async (t) => {
  const r = await rig(t);
  await r.n1.acquire(0, 1);
  const { instanceId } = await r.api.startWorkflow({ workflowId: 'w' });
  await until('the dispatch', () => r.dispatches.length === 1);
  const host = r.n1.host(0)!;
  const key = `w/${instanceId}`;
  const seqBefore = host.stateOf(key)!.seq;
  t.truthy(host.stateOf(key)!.timers['step-timeout:job']);
  // Timer messages straight to the actor's mailbox: one stamped with another epoch, then ours.
  const actor = (host as unknown as { actors: Map<string, InstanceActor> }).actors.get(key)!;
  await actor.post({ type: 'Timer', timerId: 'step-timeout:job', epoch: 0 });
  t.is(host.stateOf(key)!.seq, seqBefore, 'nothing journaled');
  t.is(host.stateOf(key)!.steps['job']!.status, 'RUNNING');
  await actor.post({ type: 'Timer', timerId: 'step-timeout:job', epoch: 1 });
  t.is(host.stateOf(key)!.steps['job']!.status, 'TIMEOUT_FAILED', 'the same timer at the owner epoch applies');
});
