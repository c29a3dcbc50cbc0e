import test from 'ava';
import { MaestroError, NotFoundError, ValidationError } from '../../src/core/errors.js';
import { partitionOf } from '../../src/core/partition.js';
import type { DispatchedTask as StepTask } from '../../src/protocol/executor.js';
import { DeliveryTimeoutError, NoExecutorError } from '../../src/transport/errors.js';
import { PartitionAlreadyServedError, PartitionRangeError, TransportClosedError } from '../../src/transport/errors.js';
import { NatsTransport } from '../../src/transport/nats/nats-transport.js';
import { haveNats, NATS_MISSING, startNats, type NatsFixture } from '../helpers/nats-server.js';
import { testIf } from '../helpers/skip.js';
import { ANY_SCHEMAS } from '../helpers/any-schemas.js';

const PARTITIONS = 64;
const natsTest = testIf(haveNats() ? undefined : NATS_MISSING, { serial: true });

let nats: NatsFixture | undefined;
const open: NatsTransport[] = [];

test.before(async () => {
  if (haveNats()) nats = await startNats({ jetstream: false });
});
test.after.always(async () => {
  await Promise.all(open.map((t) => t.close()));
  await nats?.stop();
});

async function transport(overrides: { attemptTimeoutMs?: number; drainTimeoutMs?: number } = {}): Promise<NatsTransport> {
  const t = await NatsTransport.connect({ schemas: ANY_SCHEMAS, servers: nats!.urls, partitions: PARTITIONS, ...overrides });
  open.push(t);
  return t;
}

/** An actor key that hashes to a partition no other test uses. */
let nextPartition = 0;
function freshActor(): { key: string; partition: number } {
  const partition = nextPartition++;
  for (let i = 0; ; i++) {
    const key = `wf-${partition}/${i}`;
    if (partitionOf(key, PARTITIONS) === partition) return { key, partition };
  }
}

function task(stepType: string, n = 1): StepTask {
  return {
    instanceKey: 'wf/1',
    workflowId: 'wf',
    instanceId: 1,
    runId: 1,
    stepId: `job${n}`,
    attempt: 1,
    attemptId: `wf/1/1/job${n}/1`,
    stepType,
    params: { n, nested: { list: [1, 'two', null] } },
    startedAtMs: 1_700_000_000_000,
    partition: 0,
    epoch: 1,
  };
}

natsTest('request reaches the partition owner and returns its reply; body and msg id arrive intact', async (t) => {
  const [client, owner] = await Promise.all([transport(), transport()]);
  const { key, partition } = freshActor();
  const seen: unknown[] = [];
  await owner.serve(partition, async (to, body, msgId) => {
    seen.push({ to, body, msgId });
    return { ok: true, echo: body };
  });
  const body = { type: 'Start', when: new Date(5), params: { a: [1, { b: 'c' }], u: undefined } };
  const reply = await client.request(key, body, { msgId: 'req-1' });
  t.deepEqual(reply, { ok: true, echo: body });
  t.deepEqual(seen, [{ to: key, body, msgId: 'req-1' }]);
});

natsTest('a handler error comes back as the same error class, and is not resent', async (t) => {
  const [client, owner] = await Promise.all([transport(), transport()]);
  const a = freshActor();
  let calls = 0;
  await owner.serve(a.partition, async (_to, body) => {
    calls++;
    if ((body as { bad?: boolean }).bad) throw new ValidationError('workflow.steps[2].id', 'duplicate step id');
    throw new NotFoundError('instance wf/9 not found');
  });
  const nf = await t.throwsAsync(client.request(a.key, {}), { instanceOf: NotFoundError });
  t.is(nf?.message, 'instance wf/9 not found');
  const ve = await t.throwsAsync(client.request(a.key, { bad: true }), { instanceOf: ValidationError });
  t.is((ve as ValidationError).path, 'workflow.steps[2].id');
  t.is(ve?.message, 'workflow.steps[2].id: duplicate step id');
  t.is(calls, 2);
});

natsTest('a retryable handler answer (the partition is moving) is resent with the same msg id until the owner takes it', async (t) => {
  const [client, owner] = await Promise.all([transport(), transport()]);
  const a = freshActor();
  const msgIds: string[] = [];
  await owner.serve(a.partition, async (_to, body, msgId) => {
    msgIds.push(msgId);
    if (msgIds.length <= 2) throw new MaestroError('unavailable', `partition ${a.partition} is moving`, { retryable: true });
    return { took: body };
  });
  t.deepEqual(await client.request(a.key, { n: 7 }, { msgId: 'handoff-1' }), { took: { n: 7 } });
  t.deepEqual(msgIds, ['handoff-1', 'handoff-1', 'handoff-1']);
});

natsTest('a retryable answer that lasts past the deadline is rethrown as the owner sent it', async (t) => {
  const [client, owner] = await Promise.all([transport(), transport()]);
  const a = freshActor();
  let calls = 0;
  await owner.serve(a.partition, async () => {
    calls++;
    throw new MaestroError('unavailable', `partition ${a.partition} is moving`, { retryable: true });
  });
  // The deadline only has to outlast a first answer, even on a loaded machine (300 ms did not).
  const err = await t.throwsAsync(client.request(a.key, {}, { timeoutMs: 2_000 }), { instanceOf: MaestroError });
  t.is(err!.message, `partition ${a.partition} is moving`);
  t.true(err!.retryable);
  t.true(calls > 2, `resent ${calls} times`);
});

natsTest('an owner that answered "moving" and then went silent: the answer is rethrown, not a delivery timeout', async (t) => {
  const [client, owner] = await Promise.all([transport(), transport()]);
  const a = freshActor();
  let calls = 0;
  await owner.serve(a.partition, async () => {
    if (++calls <= 2) throw new MaestroError('unavailable', `partition ${a.partition} is moving`, { retryable: true });
    await new Promise((r) => setTimeout(r, 1_500)); // later tries time out: the deadline ends on a timeout
    throw new MaestroError('unavailable', `partition ${a.partition} is moving`, { retryable: true });
  });
  const err = await t.throwsAsync(client.request(a.key, {}, { timeoutMs: 800 }), { instanceOf: MaestroError });
  t.is(err!.message, `partition ${a.partition} is moving`);
  t.true(err!.retryable);
  t.true(calls > 2, `resent ${calls} times`);
});

natsTest('request retries while nobody serves the partition, then is delivered once someone does', async (t) => {
  const [client, owner] = await Promise.all([transport(), transport()]);
  const a = freshActor();
  let served = false;
  const pending = client.request(a.key, { n: 1 }, { msgId: 'while-moving', timeoutMs: 10_000 });
  let settledEarly = false;
  void pending.then(() => (settledEarly = !served), () => (settledEarly = !served));
  await new Promise((r) => setTimeout(r, 300));
  t.false(settledEarly, 'the request must wait for an owner');
  const ids: string[] = [];
  served = true;
  await owner.serve(a.partition, async (_to, _body, msgId) => {
    ids.push(msgId);
    return 'accepted';
  });
  t.is(await pending, 'accepted');
  t.deepEqual(ids, ['while-moving']);
});

natsTest('request rejects DeliveryTimeoutError when nobody serves before the deadline', async (t) => {
  const client = await transport();
  const a = freshActor();
  const started = Date.now();
  await t.throwsAsync(client.request(a.key, {}, { timeoutMs: 300 }), { instanceOf: DeliveryTimeoutError });
  t.true(Date.now() - started < 2_000);
});

natsTest('a message the owner dropped is resent with the same msg id; a moved partition is served by the new owner', async (t) => {
  const [client, first, second] = await Promise.all([transport({ attemptTimeoutMs: 200 }), transport({ drainTimeoutMs: 100 }), transport()]);
  const a = freshActor();
  const ids: string[] = [];
  const sub = await first.serve(a.partition, (_to, _body, msgId) => {
    ids.push(msgId);
    return ids.length === 1 ? new Promise<never>(() => {}) : Promise.resolve('second try');
  });
  t.is(await client.request(a.key, {}, { msgId: 'm-1' }), 'second try');
  t.deepEqual(ids, ['m-1', 'm-1']);

  await sub.close();
  await second.serve(a.partition, async () => 'new owner');
  t.is(await client.request(a.key, {}), 'new owner');
});

natsTest('serving a partition twice on one transport, or one out of range, is refused', async (t) => {
  const owner = await transport();
  const a = freshActor();
  await owner.serve(a.partition, async () => 1);
  await t.throwsAsync(owner.serve(a.partition, async () => 2), { instanceOf: PartitionAlreadyServedError });
  await t.throwsAsync(owner.serve(PARTITIONS, async () => 2), { instanceOf: PartitionRangeError });
});

natsTest('dispatch hands a task to one executor of its step type (case-insensitive) and resolves on its ack', async (t) => {
  const [engine, execA, execB] = await Promise.all([transport(), transport(), transport()]);
  const got: StepTask[] = [];
  await execA.serveExecutor(['NoOp', 'Sleep'], (tk) => got.push(tk));
  await execB.serveExecutor(['noop'], (tk) => got.push(tk));
  const tasks = Array.from({ length: 20 }, (_, i) => task(i % 2 ? 'NOOP' : 'noop', i));
  await Promise.all(tasks.map((tk) => engine.dispatch(tk)));
  t.is(got.length, 20, 'each task is taken by exactly one executor of the queue group');
  t.deepEqual(got.map((g) => g.attemptId).sort(), tasks.map((tk) => tk.attemptId).sort());
  t.deepEqual(got.find((g) => g.attemptId === tasks[3]!.attemptId), tasks[3]);
});

natsTest('a local handler that never answers is given up after the try timeout, and the request goes to the next owner', async (t) => {
  const [a, b] = await Promise.all([transport({ attemptTimeoutMs: 200, drainTimeoutMs: 100 }), transport()]);
  const { key, partition } = freshActor();
  let called!: () => void;
  const reached = new Promise<void>((resolve) => (called = resolve));
  const stuck = await a.serve(partition, () => (called(), new Promise(() => {}))); // e.g. an append that never returns
  const answer = a.request(key, { n: 1 }, { timeoutMs: 10_000 });
  await reached;
  await stuck.close(); // the partition moves away from a
  await b.serve(partition, async (_to, body) => ({ from: 'b', body }));
  t.deepEqual(await answer, { from: 'b', body: { n: 1 } });
});

natsTest('a dispatch goes to an executor of its own transport while it can take it, else to the queue group', async (t) => {
  const [node, other] = await Promise.all([transport(), transport()]);
  const spy = await transport(); // a plain subscriber sees whatever crosses NATS on the subject
  let crossed = 0;
  const spySub = spy.nc.subscribe('maestro.exec.localpref', { callback: () => void crossed++ });
  await spy.nc.flush();
  const mine: StepTask[] = [];
  const theirs: StepTask[] = [];
  let free = true;
  const sub = await node.serveExecutor(['LocalPref'], (tk) => mine.push(tk), { canTakeLocally: () => free });
  await other.serveExecutor(['localpref'], (tk) => theirs.push(tk));
  const local = task('localpref', 1);
  await node.dispatch(local);
  t.deepEqual(mine, [local], 'taken in process');
  t.not(mine[0], local, 'as a copy');
  t.is(crossed, 0, 'nothing crossed NATS');
  free = false;
  for (let i = 2; i < 8; i++) await node.dispatch(task('localpref', i));
  await spy.nc.flush();
  t.is(crossed, 6, 'a busy local executor leaves tasks to the queue group');
  t.is(mine.length + theirs.length, 7);
  await sub.close();
  free = true;
  await node.dispatch(task('localpref', 9));
  t.is(theirs.at(-1)?.attemptId, task('localpref', 9).attemptId, 'a closed executor is no longer tried in process');
  spySub.unsubscribe();
});

natsTest('dispatch with no executor for the step type rejects NoExecutorError promptly', async (t) => {
  const engine = await transport();
  const started = Date.now();
  await t.throwsAsync(engine.dispatch(task('Shell')), { instanceOf: NoExecutorError, message: /Shell/ });
  t.true(Date.now() - started < 500, `took ${Date.now() - started} ms`);
});

natsTest('an executor whose handler throws makes the dispatch reject', async (t) => {
  const [engine, exec] = await Promise.all([transport(), transport()]);
  await exec.serveExecutor(['Http'], () => {
    throw new ValidationError('params.url', 'missing');
  });
  await t.throwsAsync(engine.dispatch(task('http')), { instanceOf: ValidationError });
});

natsTest('publish fans out to every subscriber of the topic and to no other topic', async (t) => {
  const [pub, subA, subB] = await Promise.all([transport(), transport(), transport()]);
  const topic = 'instance.wf.with.dots/7';
  const got: string[] = [];
  const both = new Promise<void>((resolve) => {
    const on = (who: string) => (body: unknown) => {
      got.push(`${who}:${(body as { n: number }).n}`);
      if (got.length === 2) resolve();
    };
    subA.subscribe(topic, on('a'));
    subB.subscribe(topic, on('b'));
  });
  subA.subscribe('instance.wf.with.dots/8', (body) => got.push(`other:${JSON.stringify(body)}`));
  subA.subscribe('attempt.cancel', (body) => got.push(`cancel:${JSON.stringify(body)}`));
  await Promise.all([subA.nc.flush(), subB.nc.flush()]);
  pub.publish(topic, { n: 1 });
  await both;
  await pub.nc.flush();
  await Promise.all([subA.nc.flush(), subB.nc.flush()]);
  t.deepEqual(got.sort(), ['a:1', 'b:1']);
});

natsTest('a closed transport rejects requests and dispatches with TransportClosedError; publish is a no-op', async (t) => {
  const tr = await NatsTransport.connect({ schemas: ANY_SCHEMAS, servers: nats!.urls, partitions: PARTITIONS });
  await tr.close();
  await t.throwsAsync(tr.request('wf/1', {}), { instanceOf: TransportClosedError });
  await t.throwsAsync(tr.dispatch(task('noop')), { instanceOf: TransportClosedError });
  t.notThrows(() => tr.publish('x', {}));
});
