import test from 'ava';
import { MaestroError } from '../../src/core/errors.js';
import { partitionOf } from '../../src/core/partition.js';
import type { DispatchedTask as StepTask } from '../../src/protocol/executor.js';
import {
  DeliveryTimeoutError,
  NoExecutorError,
  PartitionAlreadyServedError,
  PartitionRangeError,
  TransportClosedError,
} from '../../src/transport/errors.js';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import { ANY_SCHEMAS } from '../helpers/any-schemas.js';
import { recordingLogger } from '../helpers/log.js';

function task(stepType: string, attemptId = 'wf/1/1/s/1'): StepTask {
  return {
    instanceKey: 'wf/1',
    workflowId: 'wf',
    instanceId: 1,
    runId: 1,
    stepId: 's',
    attempt: 1,
    attemptId,
    stepType,
    params: {},
    startedAtMs: Date.now(),
    partition: 0,
    epoch: 1,
  };
}

test('request reaches the handler of the key\'s partition and returns its reply', async (t) => {
  const tr = new MemoryTransport({ schemas: ANY_SCHEMAS, partitions: 8 });
  const seen: [number, string, unknown, string][] = [];
  for (let p = 0; p < 8; p++) {
    await tr.serve(p, async (to, body, msgId) => {
      seen.push([p, to, body, msgId]);
      return `reply from ${p}`;
    });
  }
  const body = { hello: 'world' };
  const reply = await tr.request('wf-a/7', body, { msgId: 'm-1' });
  const p = partitionOf('wf-a/7', 8);
  t.is(reply, `reply from ${p}`);
  t.deepEqual(seen, [[p, 'wf-a/7', body, 'm-1']]);
  t.is(seen[0]?.[2], body, 'the body is passed by reference, not copied');
  await tr.request('wf-a/7', 2);
  t.truthy(seen[1]?.[3], 'a msgId is generated when none is given');
  t.not(seen[1]?.[3], 'm-1');
  await tr.close();
});

test('request never runs the handler on the caller\'s stack', async (t) => {
  const tr = new MemoryTransport({ schemas: ANY_SCHEMAS, partitions: 1 });
  let called = false;
  await tr.serve(0, async () => {
    called = true;
    return 'ok';
  });
  const pending = tr.request('x', 1);
  t.false(called);
  t.is(await pending, 'ok');
  await tr.close();
});

test('a handler rejection is passed to the caller unchanged', async (t) => {
  const tr = new MemoryTransport({ schemas: ANY_SCHEMAS, partitions: 1 });
  const boom = new MaestroError('failed_precondition', 'stale owner');
  let calls = 0;
  await tr.serve(0, async () => {
    calls++;
    throw boom;
  });
  t.is(await t.throwsAsync(tr.request('x', 1)), boom);
  t.is(calls, 1, 'a non-retryable answer is not retried');
  await tr.close();
});

test('a retryable rejection (the partition is moving) is retried with the same msgId until the owner answers', async (t) => {
  const tr = new MemoryTransport({ schemas: ANY_SCHEMAS, partitions: 1, retryBaseMs: 1, retryMaxMs: 2 });
  const msgIds: string[] = [];
  await tr.serve(0, async (_to, body, msgId) => {
    msgIds.push(msgId);
    if (msgIds.length <= 2) throw new MaestroError('unavailable', 'partition 0 is moving', { retryable: true });
    return `took ${String(body)}`;
  });
  t.is(await tr.request('x', 'result', { msgId: 'a#result' }), 'took result');
  t.deepEqual(msgIds, ['a#result', 'a#result', 'a#result']);
  await tr.close();
});

test('a retryable rejection that lasts past the deadline is rethrown', async (t) => {
  const tr = new MemoryTransport({ schemas: ANY_SCHEMAS, partitions: 1, retryBaseMs: 1, retryMaxMs: 5 });
  let calls = 0;
  await tr.serve(0, async () => {
    calls++;
    throw new MaestroError('unavailable', `partition 0 is moving (${calls})`, { retryable: true });
  });
  const err = await t.throwsAsync(tr.request('x', 1, { timeoutMs: 500 }), { instanceOf: MaestroError });
  t.regex(err!.message, /^partition 0 is moving \(\d+\)$/);
  t.true(calls >= 2, `retried ${calls - 1} times`);
  t.is(err!.message, `partition 0 is moving (${calls})`, 'the last answer is the one thrown');
  await tr.close();
});

test('request waits for a partition to be served, then delivers', async (t) => {
  const tr = new MemoryTransport({ schemas: ANY_SCHEMAS, partitions: 4, requestTimeoutMs: 5_000 });
  const pending = tr.request('late/1', 'hi');
  await new Promise((r) => setTimeout(r, 20));
  await tr.serve(partitionOf('late/1', 4), async (_to, body) => `got ${String(body)}`);
  t.is(await pending, 'got hi');
  await tr.close();
});

test('request rejects with DeliveryTimeoutError when nobody serves the partition in time', async (t) => {
  const tr = new MemoryTransport({ schemas: ANY_SCHEMAS, partitions: 4 });
  const started = Date.now();
  const err = await t.throwsAsync(tr.request('nobody/1', 'hi', { timeoutMs: 40 }), {
    instanceOf: DeliveryTimeoutError,
  });
  t.true(Date.now() - started >= 35);
  t.true(err.retryable);
  t.regex(err.message, /nobody\/1.*40 ms/);
  await tr.close();
});

test('one handler per partition; closing frees it; out-of-range partitions are refused', async (t) => {
  const tr = new MemoryTransport({ schemas: ANY_SCHEMAS, partitions: 2 });
  const first = await tr.serve(1, async () => 'first');
  await t.throwsAsync(tr.serve(1, async () => 'second'), { instanceOf: PartitionAlreadyServedError });
  await t.throwsAsync(tr.serve(2, async () => 'x'), { instanceOf: PartitionRangeError, message: /0\.\.1/ });
  await first.close();
  await tr.serve(1, async () => 'second');
  const key = ['a', 'b', 'c', 'd', 'e', 'f'].find((k) => partitionOf(k, 2) === 1) ?? 'a';
  t.is(await tr.request(key, 0), 'second');
  await first.close(); // a second close of the old subscription must not unserve the new handler
  t.is(await tr.request(key, 0), 'second');
  await tr.close();
});

test('dispatch rejects with NoExecutorError when no executor serves the type', async (t) => {
  const tr = new MemoryTransport({ schemas: ANY_SCHEMAS, partitions: 1 });
  const err = await t.throwsAsync(tr.dispatch(task('Shell')), { instanceOf: NoExecutorError });
  t.regex(err.message, /Shell/);
  t.true(err.retryable);
  const sub = await tr.serveExecutor(['noop'], () => undefined);
  await sub.close();
  await t.throwsAsync(tr.dispatch(task('NoOp')), { instanceOf: NoExecutorError });
  await tr.close();
});

test('dispatch is asynchronous, case-insensitive and round-robins over executors', async (t) => {
  const tr = new MemoryTransport({ schemas: ANY_SCHEMAS, partitions: 1 });
  const got: string[] = [];
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const handler = (name: string) => (tk: StepTask) => {
    got.push(`${name}:${tk.attemptId}`);
    if (got.length === 4) done();
  };
  await tr.serveExecutor(['NoOp', 'sleep'], handler('a'));
  await tr.serveExecutor(['noop'], handler('b'));
  for (let i = 0; i < 4; i++) await tr.dispatch(task('NOOP', `t${i}`));
  t.deepEqual(got, [], 'nothing is delivered on the dispatcher\'s stack');
  await all;
  t.deepEqual(got, ['a:t0', 'b:t1', 'a:t2', 'b:t3']);
  await tr.close();
});

test('a long dispatch chain yields to timers between hops', async (t) => {
  const tr = new MemoryTransport({ schemas: ANY_SCHEMAS, partitions: 1 });
  let hops = 0;
  let hopsWhenTimerFired = -1;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  await tr.serveExecutor(['noop'], (tk) => {
    hops++;
    if (hops === 20_000) finish();
    else void tr.dispatch(tk);
  });
  setTimeout(() => (hopsWhenTimerFired = hops), 1);
  await tr.dispatch(task('noop'));
  await finished;
  t.true(hopsWhenTimerFired > 0 && hopsWhenTimerFired < 20_000, `timer fired after ${hopsWhenTimerFired} hops`);
  await tr.close();
});

test('publish reaches current subscribers asynchronously; a throwing subscriber does not stop others', async (t) => {
  const log = recordingLogger();
  const tr = new MemoryTransport({ schemas: ANY_SCHEMAS, partitions: 1, log });
  const got: string[] = [];
  const boom = new Error('subscriber bug');
  const s1 = tr.subscribe('topic', () => {
    throw boom;
  });
  const s2 = tr.subscribe('topic', (b) => got.push(`s2:${String(b)}`));
  tr.subscribe('other', (b) => got.push(`other:${String(b)}`));
  tr.publish('topic', 1);
  t.deepEqual(got, []);
  await new Promise((r) => setImmediate(r));
  t.deepEqual(got, ['s2:1']);
  t.deepEqual(log.records.map((r) => [r.level, r.fields['module'], r.fields['topic'], r.fields['err']]), [['warn', 'transport', 'topic', boom]]);
  await s1.close();
  await s2.close();
  tr.publish('topic', 2);
  await new Promise((r) => setImmediate(r));
  t.deepEqual(got, ['s2:1']);
  await tr.close();
});

test('close rejects waiting requests and refuses further work', async (t) => {
  const tr = new MemoryTransport({ schemas: ANY_SCHEMAS, partitions: 1, requestTimeoutMs: 60_000 });
  const waiting = tr.request('x', 1);
  await new Promise((r) => setTimeout(r, 5));
  await tr.close();
  await t.throwsAsync(waiting, { instanceOf: TransportClosedError });
  await t.throwsAsync(tr.request('x', 1), { instanceOf: TransportClosedError });
  await t.throwsAsync(tr.dispatch(task('noop')), { instanceOf: TransportClosedError });
  await t.throwsAsync(tr.serve(0, async () => 1), { instanceOf: TransportClosedError });
  t.notThrows(() => tr.publish('x', 1));
});
