/**
 * Run strategies through the workflow queue owner on the embedded node (maestro-semantics §5,
 * §12.2): numbering, dedup, each rule on arrival and on dequeue, STRICT_SEQUENTIAL blocking and
 * unblock/restart, workflow-wide stop/kill, strategy changes, and restarts across a node restart.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedNode, type EmbeddedNode } from '../../src/node/embedded.js';
import type { Engine } from '../../src/workflow/engine.js';
import { testRuntimes, type Holds } from '../fixtures/test-runtimes.js';
import { waitFor, waitForEnd, waitForStep } from '../helpers/wait.js';
import { dequeueCount, MAX_DEQUEUE } from '../../src/core/queue/index.js';

const def = (id: string, runStrategy: unknown, step: Record<string, unknown> = { type: 'Hold' }) =>
  JSON.stringify({ properties: { owner: 'tester', run_strategy: runStrategy }, workflow: { id, steps: [{ step: { id: 'job', ...step } }] } });

async function rig(t: import('ava').ExecutionContext, opts: { dataDir?: string } = {}): Promise<{ node: EmbeddedNode; api: Engine; holds: Holds }> {
  const { holds, runtimes } = testRuntimes();
  const node = await createEmbeddedNode({ extraRuntimes: runtimes, partitions: 4, logLevel: 'warn', ...opts });
  t.teardown(() => node.close());
  return { node, api: node.api as unknown as Engine, holds };
}

/** Starts an instance and waits until its Hold step runs (so it can be released). */
async function running(api: Engine, wf: string, id: number) {
  return waitForStep(api, wf, id, 'job', 'RUNNING');
}

test('dequeue counts as Maestro: SEQUENTIAL 1, PARALLEL 2, STRICT 1 / 0 when blocked, concurrency 51 dequeues 50', (t) => {
  t.is(dequeueCount({ rule: 'SEQUENTIAL', workflowConcurrency: 1 }, 0, 2, false), 1);
  t.is(dequeueCount({ rule: 'PARALLEL', workflowConcurrency: 20 }, 0, 2, false), 2);
  t.is(dequeueCount({ rule: 'STRICT_SEQUENTIAL', workflowConcurrency: 1 }, 0, 2, false), 1);
  t.is(dequeueCount({ rule: 'STRICT_SEQUENTIAL', workflowConcurrency: 1 }, 0, 2, true), 0);
  t.is(dequeueCount({ rule: 'PARALLEL', workflowConcurrency: 0 }, 0, 2, false), 0);
  t.is(dequeueCount({ rule: 'PARALLEL', workflowConcurrency: 51 }, 0, 100, false), MAX_DEQUEUE);
  t.is(dequeueCount({ rule: 'PARALLEL', workflowConcurrency: 5 }, 4, 100, false), 1);
  t.is(dequeueCount({ rule: 'SEQUENTIAL', workflowConcurrency: 1 }, 1, 2, false), 0);
});

test('SEQUENTIAL (the default): numbered 1, 2, 3; one runs, the next starts when it ends; request ids dedup', async (t) => {
  const { api, holds } = await rig(t);
  await api.createWorkflow(JSON.stringify({ properties: { owner: 'tester' }, workflow: { id: 'seq', steps: [{ step: { id: 'job', type: 'Hold' } }] } }));
  const a = await api.startWorkflow({ workflowId: 'seq', requestId: 'r-a' });
  const b = await api.startWorkflow({ workflowId: 'seq' });
  const c = await api.startWorkflow({ workflowId: 'seq' });
  t.deepEqual([a.instanceId, b.instanceId, c.instanceId], [1, 2, 3]);
  t.is(a.status, 'IN_PROGRESS');
  t.is(b.status, 'CREATED');
  t.is(c.status, 'CREATED');
  const dup = await api.startWorkflow({ workflowId: 'seq', requestId: 'r-a' });
  t.is(dup.instanceId, 1, 'a repeated request id answers the first instance');
  t.like(await api.queueInfo('seq'), { latestInstanceId: 3, running: [{ instanceId: 1, runId: 1 }], queued: [{ instanceId: 2, runId: 1 }, { instanceId: 3, runId: 1 }] });
  holds.release(await running(api, 'seq', 1), 'job');
  t.is((await waitForEnd(api, 'seq', 1)).status, 'SUCCEEDED');
  holds.release(await running(api, 'seq', 2), 'job');
  await waitForEnd(api, 'seq', 2);
  const third = await running(api, 'seq', 3);
  t.is(third.status, 'IN_PROGRESS');
  t.is((await api.getInstance('seq', 3)).runId, 1);
});

test('PARALLEL workflow_concurrency 5 (sample-dag-test-8): at most 5 run, the rest queue and start as slots free', async (t) => {
  const { api, holds } = await rig(t);
  await api.createWorkflow(def('par', { rule: 'PARALLEL', workflow_concurrency: 5 }));
  const started = [];
  for (let i = 0; i < 8; i++) started.push(await api.startWorkflow({ workflowId: 'par' }));
  t.deepEqual(started.map((v) => v.status), ['IN_PROGRESS', 'IN_PROGRESS', 'IN_PROGRESS', 'IN_PROGRESS', 'IN_PROGRESS', 'CREATED', 'CREATED', 'CREATED']);
  holds.release(await running(api, 'par', 2), 'job');
  holds.release(await running(api, 'par', 4), 'job');
  await running(api, 'par', 6);
  await running(api, 'par', 7);
  const info = await api.queueInfo('par');
  t.is(info.running.length, 5);
  t.deepEqual(info.queued, [{ instanceId: 8, runId: 1 }]);
});

test('PARALLEL above 50: a dequeue launches at most 50 and the owner kicks itself for the rest', async (t) => {
  const { api, holds } = await rig(t);
  // fill the queue while one slot is taken, then raise the concurrency: 110 queued, 50 per dequeue
  // instance_step_concurrency: no workflow-wide step permit (default 20 across instances) holds the 111 steps back
  const wide = (concurrency: number) =>
    JSON.stringify({ properties: { owner: 'tester', run_strategy: { rule: 'PARALLEL', workflow_concurrency: concurrency } }, workflow: { id: 'wide', instance_step_concurrency: 1, steps: [{ step: { id: 'job', type: 'Hold' } }] } });
  await api.createWorkflow(wide(1));
  for (let i = 0; i < 111; i++) await api.startWorkflow({ workflowId: 'wide' });
  t.is((await api.queueInfo('wide')).queued.length, 110);
  await api.createWorkflow(wide(120)); // the change dequeues 50, then kicks
  await waitFor(api, 'wide', 111, { stepId: 'job', status: 'RUNNING' });
  const info = await api.queueInfo('wide');
  t.is(info.running.length, 111);
  t.is(info.queued.length, 0);
  holds.release(await api.getInstance('wide', 1), 'job');
});

test('STRICT_SEQUENTIAL (sample-dag-test-4): a FAILED instance blocks the queue until unblocked; restart unblocks too', async (t) => {
  const { api, holds } = await rig(t);
  await api.createWorkflow(def('strict', 'strict_sequential'));
  await api.startWorkflow({ workflowId: 'strict' });
  const second = await api.startWorkflow({ workflowId: 'strict' });
  t.is(second.status, 'CREATED');
  holds.release(await running(api, 'strict', 1), 'job', { status: 'FATALLY_FAILED', error: 'boom' });
  t.is((await waitForEnd(api, 'strict', 1)).status, 'FAILED');
  await waitFor(api, 'strict', 1, { status: 'FAILED' });
  const info = await api.queueInfo('strict');
  t.deepEqual(info.failed, [1]);
  t.is((await api.getInstance('strict', 2)).status, 'CREATED', 'blocked: instance 2 stays queued');
  await t.throwsAsync(api.unblockInstance('strict', 2), { message: /cannot unblock instance strict\/2: it is CREATED/ });
  const unblocked = await api.unblockInstance('strict', 1);
  t.is(unblocked.status, 'FAILED', 'the public status stays FAILED');
  const two = await running(api, 'strict', 2);
  holds.release(two, 'job', { status: 'FATALLY_FAILED', error: 'again' });
  await waitForEnd(api, 'strict', 2);
  await api.startWorkflow({ workflowId: 'strict' });
  t.is((await api.getInstance('strict', 3)).status, 'CREATED');
  // a restart of the FAILED instance (FAILED_2) unblocks as well; the restart queues behind nothing
  const again = await api.restart('strict', 2, 'RESTART_FROM_BEGINNING');
  t.is(again.runId, 2);
  t.deepEqual((await api.queueInfo('strict')).failed, []);
  holds.release(await waitForStep(api, 'strict', 2, 'job', 'RUNNING', { runId: 2 }), 'job');
  await waitFor(api, 'strict', 2, { status: 'SUCCEEDED', runId: 2 });
  holds.release(await running(api, 'strict', 3), 'job');
  t.is((await waitForEnd(api, 'strict', 3)).status, 'SUCCEEDED');
  t.is(await api.unblockWorkflow('strict'), 0);
});

test('FIRST_ONLY (sample-dag-test-5): a start while one is non-terminal is created STOPPED with the timeline reason', async (t) => {
  const { api, holds } = await rig(t);
  await api.createWorkflow(def('first', 'first_only'));
  const one = await api.startWorkflow({ workflowId: 'first' });
  t.is(one.status, 'IN_PROGRESS');
  const two = await api.startWorkflow({ workflowId: 'first' });
  t.is(two.instanceId, 2);
  t.is(two.status, 'STOPPED');
  t.is(two.error, 'With FIRST_ONLY run strategy, this run is stopped due to a running one [first][1][1].');
  t.is(two.startedAtMs, two.endedAtMs);
  holds.release(await running(api, 'first', 1), 'job');
  await waitForEnd(api, 'first', 1);
  await waitFor(api, 'first', 1, { status: 'SUCCEEDED' });
  // the owner learns of the end asynchronously: a start after it runs
  let three = await api.startWorkflow({ workflowId: 'first' });
  while (three.status === 'STOPPED' && (await api.queueInfo('first')).running.length > 0) {
    await new Promise((r) => setTimeout(r, 5));
    three = await api.startWorkflow({ workflowId: 'first' });
  }
  t.is(three.status, 'IN_PROGRESS');
});

test('LAST_ONLY (sample-dag-test-6): a new start stops the running one and runs after it ended; queued ones are stopped', async (t) => {
  const { api } = await rig(t);
  await api.createWorkflow(def('last', 'last_only'));
  await running(api, 'last', (await api.startWorkflow({ workflowId: 'last' })).instanceId);
  const two = await api.startWorkflow({ workflowId: 'last' });
  t.is(two.instanceId, 2);
  const one = await waitForEnd(api, 'last', 1);
  t.is(one.status, 'STOPPED');
  t.is(one.error, 'Stopped due to LAST_ONLY run strategy to start a new instance: [last][2][1]');
  await running(api, 'last', 2);
  // #3 and #4 arrive together while #2 runs: #3 waits for #2 to stop, #4 then stops #3 directly
  const [three, four] = await Promise.all([api.startWorkflow({ workflowId: 'last' }), api.startWorkflow({ workflowId: 'last' })]);
  t.deepEqual([three.instanceId, four.instanceId], [3, 4]);
  const third = await waitForEnd(api, 'last', 3);
  t.is(third.status, 'STOPPED');
  t.is(third.error, 'With LAST_ONLY run strategy, this run is stopped due to starting a new run.');
  t.is((await waitForEnd(api, 'last', 2)).status, 'STOPPED');
  await running(api, 'last', 4);
});

test('SERIAL_LATEST_ONLY: queued ones are stopped by a newcomer, the running one is untouched; a restart stops the queued too', async (t) => {
  const { api, holds } = await rig(t);
  await api.createWorkflow(def('serial', 'serial_latest_only'));
  await running(api, 'serial', (await api.startWorkflow({ workflowId: 'serial' })).instanceId);
  await api.startWorkflow({ workflowId: 'serial' });
  const three = await api.startWorkflow({ workflowId: 'serial' });
  t.is(three.status, 'CREATED');
  const two = await waitForEnd(api, 'serial', 2);
  t.is(two.status, 'STOPPED');
  t.is(two.error, 'With SERIAL_LATEST_ONLY run strategy, this run is stopped because new instance 3 with run 1 arrived.');
  t.is((await api.getInstance('serial', 1)).status, 'IN_PROGRESS');
  holds.release(await running(api, 'serial', 1), 'job');
  await waitForEnd(api, 'serial', 1);
  holds.release(await running(api, 'serial', 3), 'job');
  await waitForEnd(api, 'serial', 3);
  // §12.2: with #4 running and #5 queued, a restart of #1 stops #5 and queues run 2 of #1
  await running(api, 'serial', (await api.startWorkflow({ workflowId: 'serial' })).instanceId);
  await api.startWorkflow({ workflowId: 'serial' });
  const restarted = await api.restart('serial', 1, 'RESTART_FROM_BEGINNING');
  t.is(restarted.runId, 2);
  t.is(restarted.status, 'CREATED');
  const five = await waitForEnd(api, 'serial', 5);
  t.is(five.error, 'With SERIAL_LATEST_ONLY run strategy, this run is stopped because new instance 1 with run 2 arrived.');
  holds.release(await running(api, 'serial', 4), 'job');
  await waitForStep(api, 'serial', 1, 'job', 'RUNNING', { runId: 2 });
});

test('workflow-wide stop: queued instances are STOPPED directly, the running one is told to stop; kill makes queued ones FAILED', async (t) => {
  const { api } = await rig(t);
  await api.createWorkflow(def('all', 'sequential'));
  await running(api, 'all', (await api.startWorkflow({ workflowId: 'all' })).instanceId);
  await api.startWorkflow({ workflowId: 'all' });
  await api.startWorkflow({ workflowId: 'all' });
  t.deepEqual(await api.terminateWorkflow('all', 'stop'), { ended: 2, terminating: 1 });
  for (const id of [1, 2, 3]) t.is((await waitForEnd(api, 'all', id)).status, 'STOPPED');
  t.deepEqual(await api.terminateWorkflow('all', 'kill'), { ended: 0, terminating: 0 });
  await running(api, 'all', (await api.startWorkflow({ workflowId: 'all' })).instanceId);
  await api.startWorkflow({ workflowId: 'all' });
  t.deepEqual(await api.terminateWorkflow('all', 'kill'), { ended: 1, terminating: 1 });
  t.is((await waitForEnd(api, 'all', 5)).status, 'FAILED');
  t.is((await waitForEnd(api, 'all', 4)).status, 'FAILED');
});

test('strategy changes are refused where Maestro refuses them', async (t) => {
  const { api } = await rig(t);
  await api.createWorkflow(def('chg', { rule: 'PARALLEL', workflow_concurrency: 5 }));
  await running(api, 'chg', (await api.startWorkflow({ workflowId: 'chg' })).instanceId);
  await running(api, 'chg', (await api.startWorkflow({ workflowId: 'chg' })).instanceId);
  await t.throwsAsync(api.createWorkflow(def('chg', 'first_only')), { message: /to FIRST_ONLY: it has 2 non-terminal instances/ });
  await t.throwsAsync(api.createWorkflow(def('chg', 'last_only')), { message: /to LAST_ONLY/ });
  await api.kill('chg', 2);
  await waitForEnd(api, 'chg', 2);
  // the kill's end notice reaches the owner asynchronously: STRICT is refused once it is counted
  await waitUntil(async () => (await api.queueInfo('chg')).failed.length === 1);
  await t.throwsAsync(api.createWorkflow(def('chg', 'strict_sequential')), { message: /to STRICT_SEQUENTIAL: instance\(s\) 2 FAILED; unblock or restart/ });
  t.is((await api.createWorkflow(def('chg', 'sequential'))).version, 2);
});

test('numbering survives a node restart: 1, 2, 3 with the data dir kept; queued instances keep their place', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'maestro-queue-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const first = await createEmbeddedNode({ dataDir, partitions: 4, logLevel: 'warn', extraRuntimes: testRuntimes().runtimes });
  const api1 = first.api as unknown as Engine;
  await api1.createWorkflow(def('num', 'sequential'));
  t.is((await api1.startWorkflow({ workflowId: 'num' })).instanceId, 1);
  t.is((await api1.startWorkflow({ workflowId: 'num', requestId: 'keep' })).instanceId, 2);
  await first.close();
  const { api, holds } = await rig(t, { dataDir });
  t.is((await api.startWorkflow({ workflowId: 'num' })).instanceId, 3);
  t.is((await api.startWorkflow({ workflowId: 'num', requestId: 'keep' })).instanceId, 2, 'request ids survive too');
  // #1 resumed after the restart; #2 and #3 are still queued behind it
  holds.release(await running(api, 'num', 1), 'job');
  holds.release(await running(api, 'num', 2), 'job');
  await running(api, 'num', 3);
});

async function waitUntil(ok: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
