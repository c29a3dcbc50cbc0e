import test from 'ava';
import { MaestroError } from '../../src/core/errors.js';
import { ResultDeliveryError } from '../../src/executor/errors.js';
import { startExecutor, type ExecutorHandle } from '../../src/executor/executor.js';
import { defaultExecutorOptions, type ExecutorOptions } from '../../src/executor/options.js';
import type { StepResult, StepRuntime, StepTask } from '../../src/executor/runtime.js';
import { createRuntimeRegistry } from '../../src/executor/runtimes/registry.js';
import type { ActorHandler } from '../../src/transport/port.js';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import { TOPIC_CANCEL_ATTEMPT, type StepResultMessage } from '../../src/protocol/executor.js';
import { makeTask } from './task-fixture.js';
import { WIRE_SCHEMAS } from '../../src/workflow/message-schemas.js';

const PARTITIONS = 4;

interface Received {
  to: string;
  msg: StepResultMessage;
  msgId: string;
}

/** A fake instance side: serves every partition and records the results it is handed. */
class Inbox {
  readonly got: Received[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];
  reply: (r: Received) => Promise<unknown> = async () => 'accepted';

  readonly handler: ActorHandler = async (to, body, msgId) => {
    const r = { to, msg: body as StepResultMessage, msgId };
    const reply = await this.reply(r);
    this.got.push(r);
    this.waiters = this.waiters.filter((w) => (this.got.length >= w.n ? (w.resolve(), false) : true));
    return reply;
  };

  waitFor(n: number, timeoutMs = 5_000): Promise<void> {
    if (this.got.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${this.got.length} of ${n} results arrived`)), timeoutMs);
      this.waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
}

/** A runtime whose runs wait until released or aborted; counts starts and concurrency. */
class GatedRuntime implements StepRuntime {
  readonly type = 'Gated';
  starts: string[] = [];
  aborted: string[] = [];
  active = 0;
  maxActive = 0;
  private gates = new Map<string, (r: StepResult) => void>();
  private startWaiters: (() => void)[] = [];
  private abortWaiters: (() => void)[] = [];

  run(task: StepTask, signal: AbortSignal): Promise<StepResult> {
    this.starts.push(task.attemptId);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    for (const w of this.startWaiters.splice(0)) w();
    return new Promise<StepResult>((resolve) => {
      this.gates.set(task.attemptId, resolve);
      signal.addEventListener('abort', () => {
        this.aborted.push(task.attemptId);
        for (const w of this.abortWaiters.splice(0)) w();
        resolve({ status: 'SUCCEEDED', outputs: { ignored: true } });
      });
    }).finally(() => this.active--);
  }

  release(attemptId: string, result: StepResult = { status: 'SUCCEEDED', outputs: { v: attemptId } }): void {
    this.gates.get(attemptId)?.(result);
  }

  async started(n: number): Promise<void> {
    while (this.starts.length < n) await new Promise<void>((r) => this.startWaiters.push(r));
  }

  async abortedCount(n: number): Promise<void> {
    while (this.aborted.length < n) await new Promise<void>((r) => this.abortWaiters.push(r));
  }
}

/** Collects reported errors; `waitFor(n)` resolves once n have been reported. */
function errorLog<E>(timeoutMs = 5_000): { items: E[]; push(e: E): void; waitFor(n: number): Promise<void> } {
  const items: E[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  return {
    items,
    push(e) {
      items.push(e);
      for (const w of waiters.filter((x) => items.length >= x.n)) w.resolve();
    },
    waitFor(n) {
      if (items.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${items.length} of ${n} errors were reported`)), timeoutMs);
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
  };
}

async function setup(
  extra: StepRuntime[] = [],
  opts: Partial<ExecutorOptions> = {},
  onError?: (err: Error, task: StepTask) => void,
): Promise<{ transport: MemoryTransport; inbox: Inbox; executor: ExecutorHandle }> {
  const transport = new MemoryTransport({ schemas: WIRE_SCHEMAS, partitions: PARTITIONS, requestTimeoutMs: 2_000 });
  const inbox = new Inbox();
  for (let p = 0; p < PARTITIONS; p++) await transport.serve(p, inbox.handler);
  const runtimes = createRuntimeRegistry(defaultExecutorOptions());
  for (const r of extra) runtimes.set(r.type.toLowerCase(), r);
  const executor = await startExecutor(transport, runtimes, { resultRetryInitialMs: 5, ...opts }, onError ? { onError } : {});
  return { transport, inbox, executor };
}

async function teardown(s: { transport: MemoryTransport; executor: ExecutorHandle }): Promise<void> {
  await s.executor.close();
  await s.transport.close();
}

test('a dispatched NoOp attempt ends with its result at the owning instance', async (t) => {
  const s = await setup();
  const task = makeTask({ stepType: 'NoOp', stepId: 'start', runId: 2, attempt: 3 });
  await s.transport.dispatch(task);
  await s.inbox.waitFor(1);
  t.deepEqual(s.inbox.got, [
    {
      to: task.instanceKey,
      msgId: `${task.attemptId}#result`,
      msg: { type: 'StepResult', stepId: 'start', runId: 2, attempt: 3, attemptId: task.attemptId, result: { status: 'SUCCEEDED' } },
    },
  ]);
  await teardown(s);
});

test('a duplicate dispatch of a running attempt does not start it twice', async (t) => {
  const gated = new GatedRuntime();
  const s = await setup([gated]);
  const task = makeTask({ stepType: 'Gated' });
  await s.transport.dispatch(task);
  await gated.started(1);
  await s.transport.dispatch({ ...task });
  await new Promise((r) => setImmediate(r));
  gated.release(task.attemptId);
  await s.inbox.waitFor(1);
  t.deepEqual(gated.starts, [task.attemptId]);
  t.deepEqual(s.inbox.got[0]?.msg.result, { status: 'SUCCEEDED', outputs: { v: task.attemptId } });

  // Redelivered after it finished: the remembered result is sent again, nothing re-runs.
  await s.transport.dispatch({ ...task });
  await s.inbox.waitFor(2);
  t.deepEqual(gated.starts, [task.attemptId]);
  t.deepEqual(s.inbox.got[1]?.msg, s.inbox.got[0]?.msg);
  await teardown(s);
});

test('a cancel aborts the running attempt and sends no result', async (t) => {
  const gated = new GatedRuntime();
  const s = await setup([gated]);
  const task = makeTask({ stepType: 'Gated' });
  const other = makeTask({ stepType: 'Gated' });
  await s.transport.dispatch(task);
  await s.transport.dispatch(other);
  await gated.started(2);
  s.transport.publish(TOPIC_CANCEL_ATTEMPT, { attemptId: task.attemptId, partition: task.partition, epoch: task.epoch });
  await gated.abortedCount(1);
  t.deepEqual(gated.aborted, [task.attemptId]);
  gated.release(other.attemptId);
  await s.inbox.waitFor(1);
  await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(s.inbox.got.map((g) => g.msg.attemptId), [other.attemptId]);
  // A late redelivery of the cancelled attempt is not run again.
  await s.transport.dispatch({ ...task });
  await new Promise((r) => setTimeout(r, 20));
  t.is(gated.starts.filter((id) => id === task.attemptId).length, 1);
  await teardown(s);
});

test('runs are limited to maxConcurrentRuns; the rest wait their turn in order', async (t) => {
  const gated = new GatedRuntime();
  const s = await setup([gated], { maxConcurrentRuns: 2 });
  const tasks = Array.from({ length: 5 }, () => makeTask({ stepType: 'Gated' }));
  for (const task of tasks) await s.transport.dispatch(task);
  await gated.started(2);
  await new Promise((r) => setTimeout(r, 10));
  t.is(s.executor.running, 2);
  t.is(s.executor.queued, 3);
  for (let i = 0; i < tasks.length; i++) {
    await gated.started(i + 1);
    gated.release(tasks[i]!.attemptId);
  }
  await s.inbox.waitFor(5);
  t.is(gated.maxActive, 2);
  t.deepEqual(gated.starts, tasks.map((x) => x.attemptId));
  await teardown(s);
});

test('a runtime that throws yields PLATFORM_FAILED with its message', async (t) => {
  const broken: StepRuntime = {
    type: 'Broken',
    run: () => Promise.reject(new Error('kaboom')),
  };
  const s = await setup([broken]);
  await s.transport.dispatch(makeTask({ stepType: 'Broken' }));
  await s.inbox.waitFor(1);
  t.deepEqual(s.inbox.got[0]?.msg.result, { status: 'PLATFORM_FAILED', error: 'kaboom' });
  await teardown(s);
});

test('result delivery retries while the owner answers with a retryable error', async (t) => {
  const s = await setup();
  let refusals = 0;
  s.inbox.reply = async () => {
    if (refusals++ < 3) throw new MaestroError('unavailable', 'owner is moving');
    return 'accepted';
  };
  const task = makeTask();
  await s.transport.dispatch(task);
  await s.inbox.waitFor(1);
  t.is(refusals, 4);
  t.is(s.inbox.got[0]?.msgId, `${task.attemptId}#result`);
  await teardown(s);
});

test('a non-retryable rejection is reported; a retryable one is retried past any deadline until the owner takes it', async (t) => {
  const errors = errorLog<[Error, string]>();
  const s = await setup([], { resultDeliveryTimeoutMs: 60, resultRetryMaxMs: 20 }, (err, task) => errors.push([err, task.attemptId]));
  let refusals = 0;
  let acceptAfter = Infinity;
  let refusedMany!: () => void;
  const manyRefusals = new Promise<void>((r) => (refusedMany = r));
  s.inbox.reply = async (r) => {
    if (r.to.startsWith(fatal.instanceKey)) throw new MaestroError('failed_precondition', 'no such instance');
    if (++refusals === 20) refusedMany();
    if (refusals < acceptAfter) throw new MaestroError('unavailable', 'still moving');
    return 'accepted';
  };
  const fatal = makeTask();
  const slow = makeTask();
  await s.transport.dispatch(fatal);
  await s.transport.dispatch(slow);
  await errors.waitFor(1);
  await manyRefusals;
  // Long past resultDeliveryTimeoutMs (60 ms) the slow result is still being retried, not given up.
  acceptAfter = refusals + 1;
  await s.inbox.waitFor(1);
  t.is(s.inbox.got[0]?.msg.attemptId, slow.attemptId);
  t.deepEqual(errors.items.map(([, id]) => id), [fatal.attemptId]);
  t.true(errors.items[0]![0] instanceof ResultDeliveryError);
  t.regex(errors.items[0]![0].message, /rejected it: no such instance/);
  await teardown(s);
});

test('an attempt past its step timeout is aborted and reported as PLATFORM_FAILED', async (t) => {
  const gated = new GatedRuntime();
  const s = await setup([gated]);
  const task = makeTask({ stepType: 'Gated', timeoutMs: 300, startedAtMs: Date.now() });
  await s.transport.dispatch(task);
  await gated.started(1);
  await s.inbox.waitFor(1);
  t.deepEqual(gated.aborted, [task.attemptId]);
  t.is(s.inbox.got[0]?.msg.result.status, 'PLATFORM_FAILED');
  t.regex(s.inbox.got[0]?.msg.result.error ?? '', /step timeout of 300 ms/);
  const expired = makeTask({ stepType: 'Gated', timeoutMs: 1_000, startedAtMs: Date.now() - 5_000 });
  await s.transport.dispatch(expired);
  await s.inbox.waitFor(2);
  t.false(gated.starts.includes(expired.attemptId), 'an attempt already past its deadline is not started');
  await teardown(s);
});

test('close aborts running and queued attempts and tells their instances', async (t) => {
  const gated = new GatedRuntime();
  const s = await setup([gated], { maxConcurrentRuns: 1 });
  const running = makeTask({ stepType: 'Gated' });
  const queued = makeTask({ stepType: 'Gated' });
  await s.transport.dispatch(running);
  await s.transport.dispatch(queued);
  await gated.started(1);
  await new Promise((r) => setImmediate(r));
  await s.executor.close();
  t.deepEqual(gated.starts, [running.attemptId]);
  t.deepEqual(gated.aborted, [running.attemptId]);
  const results = new Map(s.inbox.got.map((g) => [g.msg.attemptId, g.msg.result]));
  t.is(results.size, 2);
  for (const r of results.values()) {
    t.is(r.status, 'PLATFORM_FAILED');
    t.regex(r.error ?? '', /executor shut down/);
  }
  await s.transport.close();
});

test('a cancel of a queued attempt keeps it from ever starting', async (t) => {
  const gated = new GatedRuntime();
  const s = await setup([gated], { maxConcurrentRuns: 1 });
  const first = makeTask({ stepType: 'Gated' });
  const second = makeTask({ stepType: 'Gated' });
  await s.transport.dispatch(first);
  await s.transport.dispatch(second);
  await gated.started(1);
  s.transport.publish(TOPIC_CANCEL_ATTEMPT, { attemptId: second.attemptId, partition: second.partition, epoch: second.epoch });
  await new Promise((r) => setImmediate(r));
  gated.release(first.attemptId);
  await s.inbox.waitFor(1);
  await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(gated.starts, [first.attemptId]);
  t.deepEqual(s.inbox.got.map((g) => g.msg.attemptId), [first.attemptId]);
  t.is(s.executor.running + s.executor.queued, 0);
  await teardown(s);
});

test('close is bounded by closeTimeoutMs when no owner takes the results', async (t) => {
  const errors = errorLog<Error>();
  const transport = new MemoryTransport({ schemas: WIRE_SCHEMAS, partitions: PARTITIONS, requestTimeoutMs: 60_000 });
  const gated = new GatedRuntime();
  const runtimes = new Map<string, StepRuntime>([['gated', gated]]);
  const executor = await startExecutor(transport, runtimes, { closeTimeoutMs: 100 }, { onError: (e) => errors.push(e) });
  await transport.dispatch(makeTask({ stepType: 'Gated' }));
  await gated.started(1);
  const before = Date.now();
  await executor.close();
  const took = Date.now() - before;
  t.true(took >= 90 && took < 2_000, `close took ${took} ms`);
  t.deepEqual(gated.aborted.length, 1);
  await transport.close();
  await errors.waitFor(1);
  t.is(errors.items.length, 1, 'the abandoned result is reported once');
  t.true(errors.items[0] instanceof ResultDeliveryError);
});

test('many NoOp attempts flow through executor and transport', async (t) => {
  const s = await setup();
  const n = 5_000;
  for (let i = 0; i < n; i++) await s.transport.dispatch(makeTask());
  await s.inbox.waitFor(n, 20_000);
  t.is(new Set(s.inbox.got.map((g) => g.msg.attemptId)).size, n);
  t.true(s.inbox.got.every((g) => g.msg.result.status === 'SUCCEEDED'));
  await teardown(s);
});
