/**
 * Step signals end to end on the embedded engine, with the real signal stores (`~signal/<name>`):
 * Maestro's sample-signal-trigger-wf job.1 waits on db/test/table1 and db/test/table2, is
 * unblocked by announcing both (one before the instance starts: any historical signal matches;
 * one while it waits: the store's notice), reads the matched instance's param, and announces
 * dummy/test/signal1 and dummy/test/signal2 with their signal_source before it succeeds.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedNode } from '../../src/node/embedded.js';
import { waitForEnd, waitForStep } from '../helpers/wait.js';
import { CONFORMANCE_DIR, conformanceMissing, testIf } from '../helpers/skip.js';

const t_ = testIf(conformanceMissing('samples'));
const VTTS = { vtts_utc_dateint: '20500101', vtts_utc_hour: '00' };

/**
 * The sample, without job.1's param1/param2: they read the signal trigger's initiator
 * (getFromSignal), which a manual start does not have. Everything signal-dependency and
 * signal-output related is as written.
 */
function sample(): Record<string, unknown> {
  const wf = JSON.parse(readFileSync(join(CONFORMANCE_DIR, 'samples', 'sample-signal-trigger-wf.json'), 'utf8')) as {
    workflow: { steps: Array<{ step: { id: string; params?: Record<string, unknown> } }> };
  };
  const job1 = wf.workflow.steps.find((s) => s.step.id === 'job.1')!.step;
  delete job1.params!['param1'];
  delete job1.params!['param2'];
  return wf as unknown as Record<string, unknown>;
}

t_('sample-signal-trigger-wf job.1: unblocked by db/test/table1 and table2, param3 from the match, outputs stored with their source', async (t) => {
  const node = await createEmbeddedNode({ partitions: 2, logLevel: 'warn' });
  t.teardown(() => node.close());
  const api = node.api;
  const wf = await api.createWorkflow(JSON.stringify(sample()));
  // announced before the instance exists: a dependency matches any signal ever stored
  const t2 = await api.sendSignal('db/test/table2', { params: VTTS, payload: {} });
  // not matching (hour 01): must not unblock table1
  await api.sendSignal('db/test/table1', { params: { ...VTTS, vtts_utc_hour: '01' }, payload: {} });
  const run = await api.startWorkflow({ workflowId: wf.workflowId });
  let v = await waitForStep(api, wf.workflowId, run.instanceId, 'job.1', 'WAITING_FOR_SIGNALS');
  const deps = v.steps.find((s) => s.stepId === 'job.1')!.signalDependencies!;
  t.is(deps.dependencies[0]!.name, 'db/test/table1');
  t.deepEqual(deps.dependencies[0]!.matchParams!['vtts_utc_hour'], { value: '00', operator: '=' });
  t.is(deps.dependencies[0]!.matchParams!['vtts_utc_dateint']!.operator, '>=');
  t.is(v.steps.find((s) => s.stepId === 'job.2')!.status, 'NOT_CREATED');

  const t1 = await api.sendSignal('db/test/table1', { params: VTTS, payload: { rows: 1 } });
  v = await waitForEnd(api, wf.workflowId, run.instanceId);
  t.is(v.status, 'SUCCEEDED');
  const job1 = v.steps.find((s) => s.stepId === 'job.1')!;
  t.is(job1.params['param3'], '20500101');
  t.deepEqual(
    job1.signalDependencies!.dependencies.map((d) => [d.name, d.status, d.signalId]),
    [
      ['db/test/table1', 'MATCHED', t1.instance.seqId],
      ['db/test/table2', 'MATCHED', t2.instance.seqId],
    ],
  );
  t.is(job1.signalOutputs!.info, 'Signal step outputs have been completed.');
  t.deepEqual(job1.signalOutputs!.outputs.map((o) => [o.name, o.announced, o.signalId, typeof o.announceTimeMs]), [
    ['dummy/test/signal1', true, 1, 'number'],
    ['dummy/test/signal2', true, 1, 'number'],
  ]);
  const s1 = await api.getSignal('dummy/test/signal1');
  t.deepEqual(s1.params, { key1: 'v1', key2: 1 });
  const a = job1.attempts[0]!;
  t.deepEqual(s1.payload['signal_source'], {
    workflow_id: wf.workflowId,
    workflow_instance_id: run.instanceId,
    workflow_run_id: 1,
    step_id: 'job.1',
    step_attempt_id: a.attempt,
    step_instance_id: job1.params['step_instance_uuid'],
  });
  t.deepEqual((await api.getSignal('dummy/test/signal2')).params, { key3: 'v3', key4: 'v4' });

  // a second instance emits the same name + params: deduplicated, recorded with no announce time, still done
  const run2 = await api.startWorkflow({ workflowId: wf.workflowId });
  const v2 = await waitForEnd(api, wf.workflowId, run2.instanceId);
  t.is(v2.status, 'SUCCEEDED');
  const outs2 = v2.steps.find((s) => s.stepId === 'job.1')!.signalOutputs!.outputs;
  t.deepEqual(outs2.map((o) => [o.announced, o.signalId, o.announceTimeMs]), [
    [true, 1, undefined],
    [true, 1, undefined],
  ]);
  t.is((await api.listSignals('dummy/test/signal1')).latestSeq, 1);
});

t_('bypass of a waiting step: its dependencies are SKIPPED and it goes on to its params', async (t) => {
  const node = await createEmbeddedNode({ partitions: 2, logLevel: 'warn' });
  t.teardown(() => node.close());
  const api = node.api;
  const wf = await api.createWorkflow(JSON.stringify(sample()));
  const run = await api.startWorkflow({ workflowId: wf.workflowId });
  await waitForStep(api, wf.workflowId, run.instanceId, 'job.1', 'WAITING_FOR_SIGNALS');
  await api.stepAction(wf.workflowId, run.instanceId, 'job.1', 'bypass', { reason: 'test' });
  const v = await waitForEnd(api, wf.workflowId, run.instanceId);
  // param3 reads a dependency that was bypassed, not matched: the param evaluation fails, as in Maestro
  const job1 = v.steps.find((s) => s.stepId === 'job.1')!;
  t.deepEqual(job1.signalDependencies!.dependencies.map((d) => d.status), ['SKIPPED', 'SKIPPED']);
  t.is(job1.status, 'FATALLY_FAILED');
  t.regex(job1.attempts[0]!.error ?? '', /signal dependency index \[0\]/);
});

t_('a node restarted while a step waits: the recovered instance waits on, and a signal announced then unblocks it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'maestro-sig-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let node = await createEmbeddedNode({ partitions: 2, logLevel: 'warn', dataDir: dir });
  const wf = await node.api.createWorkflow(JSON.stringify(sample()));
  await node.api.sendSignal('db/test/table2', { params: VTTS, payload: {} });
  const run = await node.api.startWorkflow({ workflowId: wf.workflowId });
  await waitForStep(node.api, wf.workflowId, run.instanceId, 'job.1', 'WAITING_FOR_SIGNALS');
  await node.close();
  node = await createEmbeddedNode({ partitions: 2, logLevel: 'warn', dataDir: dir });
  t.teardown(() => node.close());
  const v0 = await waitForStep(node.api, wf.workflowId, run.instanceId, 'job.1', 'WAITING_FOR_SIGNALS');
  t.deepEqual(v0.steps.find((s) => s.stepId === 'job.1')!.signalDependencies!.dependencies.map((d) => d.status), ['PENDING', 'MATCHED']);
  await node.api.sendSignal('db/test/table1', { params: VTTS, payload: {} });
  const v = await waitForEnd(node.api, wf.workflowId, run.instanceId);
  t.is(v.status, 'SUCCEEDED');
  t.is(v.steps.find((s) => s.stepId === 'job.1')!.params['param3'], '20500101');
});
