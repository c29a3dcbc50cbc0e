/**
 * A runtime that hands its attempt off (HandedOffError): the executor sends nothing for it and
 * forgets it, so a later delivery of the same attempt runs again; `serve: false` executors take
 * tasks only through accept(); the abort signal says why.
 */
import test from 'ava';
import { HandedOffError } from '../../src/executor/errors.js';
import { startExecutor } from '../../src/executor/executor.js';
import type { StepResult, StepRuntime, StepTask } from '../../src/executor/runtime.js';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import { NoExecutorError } from '../../src/transport/errors.js';
import { TOPIC_CANCEL_ATTEMPT } from '../../src/protocol/executor.js';
import { WIRE_SCHEMAS } from '../../src/workflow/message-schemas.js';
import { makeTask } from './task-fixture.js';

function rig() {
  const transport = new MemoryTransport({ schemas: WIRE_SCHEMAS, partitions: 1 });
  const results: Array<{ attemptId: string; result: StepResult }> = [];
  let arrived: (() => void) | undefined;
  void transport.serve(0, async (_to, body) => {
    results.push(body as { attemptId: string; result: StepResult });
    arrived?.();
    return true;
  });
  const next = () => new Promise<void>((resolve) => (arrived = resolve));
  return { transport, results, next };
}

test('a handed-off run sends nothing and is forgotten: a redelivery runs again and reports', async (t) => {
  const { transport, results, next } = rig();
  const runs: string[] = [];
  const runtime: StepRuntime = {
    type: 'Worky',
    run: async (task: StepTask) => {
      runs.push(task.attemptId);
      if (runs.length === 1) throw new HandedOffError(task.attemptId, 'elsewhere');
      return { status: 'SUCCEEDED', outputs: { n: runs.length } };
    },
  };
  const ex = await startExecutor(transport, new Map([['worky', runtime]]), { heartbeatIntervalMs: 0 }, {}, { serve: false });
  t.teardown(() => ex.close({ abandon: true }));
  await t.throwsAsync(transport.dispatch(makeTask({ stepType: 'Worky' })), { instanceOf: NoExecutorError }, 'serve: false takes no queue group');
  const task = makeTask({ stepType: 'Worky', instanceKey: 'w/1' });
  ex.accept(task);
  await new Promise((resolve) => setImmediate(resolve));
  t.is(ex.running, 0);
  t.deepEqual(results, [], 'nothing sent for the handed-off run');
  const got = next();
  ex.accept({ ...task });
  await got;
  t.deepEqual(runs, [task.attemptId, task.attemptId]);
  t.is(results.length, 1);
  t.deepEqual(results[0]!.result, { status: 'SUCCEEDED', outputs: { n: 2 } });
});

test('the abort signal carries the reason: cancel', async (t) => {
  const { transport } = rig();
  let reason: unknown;
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const runtime: StepRuntime = {
    type: 'Worky',
    run: (_task, signal) =>
      new Promise((resolve) => {
        started();
        signal.addEventListener('abort', () => ((reason = signal.reason), resolve({ status: 'SUCCEEDED' })));
      }),
  };
  const ex = await startExecutor(transport, new Map([['worky', runtime]]), { heartbeatIntervalMs: 0 }, {}, { serve: false });
  t.teardown(() => ex.close({ abandon: true }));
  const task = makeTask({ stepType: 'Worky', instanceKey: 'w/2' });
  ex.accept(task);
  await running;
  transport.publish(TOPIC_CANCEL_ATTEMPT, { attemptId: task.attemptId, partition: 0, epoch: 1 });
  for (let i = 0; i < 100 && reason === undefined; i++) await new Promise((resolve) => setImmediate(resolve));
  t.is(reason, 'cancel');
});
