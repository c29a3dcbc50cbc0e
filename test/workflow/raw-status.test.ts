/**
 * Raw FAILED_1 / FAILED_2 (maestro-semantics §5.2, §5.4, §13.7) on the embedded node: an
 * unblocked FAILED instance shows raw FAILED_1, the earlier FAILED run of a restarted instance
 * raw FAILED_2, both still FAILED; the queue's blocking set agrees with what the instances show,
 * and both survive a node restart (journaled, folded on recovery).
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedNode } from '../../src/node/embedded.js';
import type { Engine } from '../../src/workflow/engine.js';
import { testRuntimes } from '../fixtures/test-runtimes.js';
import { waitFor, waitForEnd, waitForStep } from '../helpers/wait.js';

const strictDef = JSON.stringify({ properties: { owner: 'tester', run_strategy: 'strict_sequential' }, workflow: { id: 'raw', steps: [{ step: { id: 'job', type: 'Hold' } }] } });

test('unblock shows raw FAILED_1 and never blocks; a restarted FAILED run shows raw FAILED_2; raw FAILED blocks; all survive a node restart', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'raw-status-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const { holds, runtimes } = testRuntimes();
  let node = await createEmbeddedNode({ extraRuntimes: runtimes, partitions: 4, logLevel: 'warn', dataDir });
  t.teardown(() => node.close());
  let api = node.api as unknown as Engine;
  await api.createWorkflow(strictDef);

  // 1 fails: raw FAILED, and it blocks 2.
  await api.startWorkflow({ workflowId: 'raw' });
  holds.release(await waitForStep(api, 'raw', 1, 'job', 'RUNNING'), 'job', { status: 'FATALLY_FAILED', error: 'boom' });
  const failed = await waitForEnd(api, 'raw', 1);
  t.is(failed.status, 'FAILED');
  t.is(failed.rawStatus, 'FAILED');
  t.deepEqual(failed.runs, [{ runId: 1, status: 'FAILED', rawStatus: 'FAILED', startedAtMs: failed.startedAtMs, endedAtMs: failed.endedAtMs }]);
  await api.startWorkflow({ workflowId: 'raw' });
  await waitFor(api, 'raw', 1, { status: 'FAILED' });
  t.deepEqual((await api.queueInfo('raw')).failed, [1], 'shown raw FAILED: it blocks');
  t.is((await api.getInstance('raw', 2)).status, 'CREATED');

  // Unblock: raw FAILED_1, still FAILED; it no longer blocks, so 2 runs.
  const unblocked = await api.unblockInstance('raw', 1);
  t.is(unblocked.status, 'FAILED');
  t.is(unblocked.rawStatus, 'FAILED_1');
  t.deepEqual((await api.queueInfo('raw')).failed, []);
  t.is((await api.unblockInstance('raw', 1)).rawStatus, 'FAILED_1', 'a repeated unblock is harmless');
  const listed = (await api.listInstances({ workflowId: 'raw' })).instances;
  t.like(listed.find((r) => r.instanceId === 1), { status: 'FAILED', rawStatus: 'FAILED_1' }, 'the instance list shows a raw status that differs');
  t.is(listed.find((r) => r.instanceId === 2)?.rawStatus, undefined, '2 (queued or running) has none');
  holds.release(await waitForStep(api, 'raw', 2, 'job', 'RUNNING'), 'job', { status: 'FATALLY_FAILED', error: 'again' });
  t.is((await waitForEnd(api, 'raw', 2)).rawStatus, 'FAILED');

  // Restart of FAILED 2: its first run becomes raw FAILED_2 (it no longer blocks); the new run fails again: raw FAILED, blocking.
  await waitFor(api, 'raw', 2, { status: 'FAILED' });
  await api.restart('raw', 2, 'RESTART_FROM_BEGINNING');
  holds.release(await waitForStep(api, 'raw', 2, 'job', 'RUNNING', { runId: 2 }), 'job', { status: 'FATALLY_FAILED', error: 'third' });
  await waitFor(api, 'raw', 2, { status: 'FAILED', runId: 2 });
  const two = await api.getInstance('raw', 2);
  t.deepEqual(
    two.runs!.map((r) => [r.runId, r.status, r.rawStatus]),
    [
      [1, 'FAILED', 'FAILED_2'],
      [2, 'FAILED', 'FAILED'],
    ],
  );
  t.is(two.rawStatus, 'FAILED');
  await waitFor(api, 'raw', 2, { status: 'FAILED', runId: 2 });
  const blocking = async () => {
    for (let i = 0; i < 200; i++) {
      const f = (await api.queueInfo('raw')).failed;
      if (f.length > 0) return f;
      await new Promise((r) => setTimeout(r, 10)); // the end notice reaches the queue owner asynchronously
    }
    return [];
  };
  t.deepEqual(await blocking(), [2], 'the new run is raw FAILED: it blocks');

  // Workflow-wide unblock, then a node restart: the raw statuses are folded from the journals.
  t.is(await api.unblockWorkflow('raw'), 1);
  await node.close();
  node = await createEmbeddedNode({ extraRuntimes: runtimes, partitions: 4, logLevel: 'warn', dataDir });
  api = node.api as unknown as Engine;
  t.is((await api.getInstance('raw', 1)).rawStatus, 'FAILED_1');
  const after = await api.getInstance('raw', 2);
  t.is(after.rawStatus, 'FAILED_1');
  t.deepEqual(after.runs!.map((r) => r.rawStatus), ['FAILED_2', 'FAILED_1']);
  t.deepEqual((await api.queueInfo('raw')).failed, []);
  // STRICT_SEQUENTIAL goes on: a new start runs.
  const three = await api.startWorkflow({ workflowId: 'raw' });
  t.is(three.status, 'IN_PROGRESS');
  holds.release(await waitForStep(api, 'raw', three.instanceId, 'job', 'RUNNING'), 'job');
  t.is((await waitForEnd(api, 'raw', three.instanceId)).rawStatus, 'SUCCEEDED');
});

test('unblock is refused unless the instance is FAILED, naming its status', async (t) => {
  const { holds, runtimes } = testRuntimes();
  const node = await createEmbeddedNode({ extraRuntimes: runtimes, partitions: 4, logLevel: 'warn' });
  t.teardown(() => node.close());
  const api = node.api as unknown as Engine;
  await api.createWorkflow(strictDef);
  await api.startWorkflow({ workflowId: 'raw' });
  await waitForStep(api, 'raw', 1, 'job', 'RUNNING');
  await t.throwsAsync(api.unblockInstance('raw', 1), { message: /cannot unblock instance raw\/1: it is IN_PROGRESS/ });
  holds.release(await api.getInstance('raw', 1), 'job');
  const done = await waitForEnd(api, 'raw', 1);
  t.is(done.rawStatus, 'SUCCEEDED');
  await t.throwsAsync(api.unblockInstance('raw', 1), { message: /it is SUCCEEDED; only a FAILED instance/ });
});
