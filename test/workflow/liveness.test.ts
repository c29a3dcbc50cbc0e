import test from 'ava';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import { TOPIC_ATTEMPT_HEARTBEAT, type StepResultMessage } from '../../src/protocol/executor.js';
import type { StepTask } from '../../src/executor/runtime.js';
import { waitForEnd } from '../helpers/wait.js';
import { livenessRig } from '../helpers/liveness-rig.js';

const rig = (livenessMs: number, onDispatch?: (task: StepTask) => void) => livenessRig({ livenessMs, stepType: 'Lossy', onDispatch });

const answer = (transport: MemoryTransport, task: StepTask) => {
  const msg: StepResultMessage = { type: 'StepResult', stepId: task.stepId, runId: task.runId, attempt: task.attempt, attemptId: task.attemptId, result: { status: 'SUCCEEDED' } };
  return transport.request(task.instanceKey, msg);
};

test('an attempt whose executor vanished is dispatched again after the liveness window', async (t) => {
  const dispatchedAt: number[] = []; // on the owner's clock, which the liveness window is measured on
  const { transport, partitions, api } = await rig(200, () => void dispatchedAt.push(Date.now()));
  t.teardown(() => partitions.releaseAll());
  const seen: number[] = [];
  let startedAtMs = 0;
  await transport.serveExecutor(['lossy'], (task) => {
    seen.push(Date.now());
    startedAtMs = task.startedAtMs;
    if (seen.length >= 2) void answer(transport, task); // the first executor "died" holding the task
  });
  const run = await api.startWorkflow({ workflowId: 'w' });
  const end = await waitForEnd(api, 'w', run.instanceId, 5000);
  t.is(end.status, 'SUCCEEDED');
  t.is(seen.length, 2);
  t.is(dispatchedAt.length, 2);
  const gap = dispatchedAt[1]! - dispatchedAt[0]!;
  t.true(gap >= 200, `re-dispatched only after the liveness window (after ${gap} ms)`);
  t.is(end.steps[0]!.attempts.length, 1, 'the same attempt, not a retry');
});

test('heartbeats keep a long-running attempt from being dispatched again', async (t) => {
  const { transport, partitions, api } = await rig(200);
  t.teardown(() => partitions.releaseAll());
  let dispatches = 0;
  await transport.serveExecutor(['lossy'], (task) => {
    dispatches++;
    const beat = setInterval(() => transport.publish(TOPIC_ATTEMPT_HEARTBEAT, { attempts: [[task.instanceKey, task.attemptId]] }), 50);
    setTimeout(() => {
      clearInterval(beat);
      void answer(transport, task);
    }, 700);
  });
  const run = await api.startWorkflow({ workflowId: 'w' });
  const end = await waitForEnd(api, 'w', run.instanceId, 5000);
  t.is(end.status, 'SUCCEEDED');
  t.is(dispatches, 1);
});

test('a resent action (same msgId, its reply lost) gets the first reply instead of being refused', async (t) => {
  const { transport, partitions, api } = await rig(60_000);
  t.teardown(() => partitions.releaseAll());
  await transport.serveExecutor(['lossy'], () => {}); // never answers: the step stays RUNNING
  const run = await api.startWorkflow({ workflowId: 'w' });
  const key = `w/${run.instanceId}`;
  const first = (await transport.request(key, { type: 'Action', action: 'stop' }, { msgId: 'stop-1' })) as { status: string };
  const again = (await transport.request(key, { type: 'Action', action: 'stop' }, { msgId: 'stop-1' })) as { status: string };
  t.is(first.status, 'STOPPED');
  t.deepEqual(again, first);
  await t.throwsAsync(transport.request(key, { type: 'Action', action: 'stop' }, { msgId: 'stop-2' }), { message: /already STOPPED/ });
});
