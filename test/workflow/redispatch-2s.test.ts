/**
 * "A worker or executor that dies has its attempts re-dispatched within 2 s": with the default
 * liveness settings, two executors on the memory transport, one closed abandon-style (as a dead
 * node's executor: it sends nothing more, heartbeats stop) while it holds an attempt. The owner's
 * sweep dispatches it again and the other executor finishes it.
 */
import test from 'ava';
import { startExecutor } from '../../src/executor/executor.js';
import { defaultExecutorOptions } from '../../src/executor/options.js';
import { defaultNodeConfig } from '../../src/node/config.js';
import type { StepRuntime } from '../../src/executor/runtime.js';
import { waitForEnd } from '../helpers/wait.js';
import { livenessRig } from '../helpers/liveness-rig.js';

const livenessMs = defaultNodeConfig().attemptLivenessMs;
const heartbeatMs = defaultExecutorOptions().heartbeatIntervalMs;
/** PartitionHost sweeps every sixth of the liveness window (at least 50 ms). */
const sweepMs = Math.max(50, livenessMs / 6);

test('the defaults bound the re-dispatch of a dead executor\'s attempts to under 2 s', (t) => {
  // Its last heartbeat is at most `heartbeatMs` before it died; the owner re-dispatches at the
  // first sweep at least `livenessMs` after that heartbeat.
  t.true(heartbeatMs < livenessMs / 2, 'several heartbeats per liveness window: one lost heartbeat re-dispatches nothing');
  t.true(livenessMs + sweepMs <= 2_000, `worst case ${livenessMs + sweepMs} ms after the executor died`);
});

test('an executor dies holding an attempt: another executor finishes it, re-dispatched after the liveness window', async (t) => {
  const dispatchedAt: number[] = [];
  const { transport, partitions, api } = await livenessRig({ livenessMs, stepType: 'Job', onDispatch: () => void dispatchedAt.push(Date.now()) });
  t.teardown(() => partitions.releaseAll());

  let held!: () => void;
  const holding = new Promise<void>((resolve) => (held = resolve));
  const stuck: StepRuntime = { type: 'Job', run: (_task, signal) => (held(), new Promise((resolve) => signal.addEventListener('abort', () => resolve({ status: 'SUCCEEDED' })))) };
  const finishedBy: string[] = [];
  const works: StepRuntime = { type: 'Job', run: async () => (finishedBy.push('second'), { status: 'SUCCEEDED', outputs: { by: 'second' } }) };
  const first = await startExecutor(transport, new Map([['job', stuck]]), {}, {});
  const run = await api.startWorkflow({ workflowId: 'w' });
  await holding;
  const second = await startExecutor(transport, new Map([['job', works]]), {}, {});
  t.teardown(() => second.close());
  const diedAt = Date.now();
  await first.close({ abandon: true });
  const end = await waitForEnd(api, 'w', run.instanceId, 10_000);
  t.is(end.status, 'SUCCEEDED');
  t.deepEqual(finishedBy, ['second']);
  t.is(end.steps[0]!.attempts.length, 1, 'the same attempt, not a retry');
  t.is(dispatchedAt.length, 2);
  const sinceDispatch = dispatchedAt[1]! - dispatchedAt[0]!;
  t.true(sinceDispatch >= livenessMs, `re-dispatched only once the liveness window passed (after ${sinceDispatch} ms)`);
  t.log(`re-dispatched ${dispatchedAt[1]! - diedAt} ms after the executor died (bound ${livenessMs + sweepMs} ms)`);
});
