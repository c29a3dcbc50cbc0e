/**
 * Maestro's foreach, while and subworkflow samples, run end to end on the embedded engine, to
 * the outcomes of ../shared/design/maestro-semantics.md §12.1. Sleep is time-compressed (1 s ->
 * 2 ms) so the samples' 5-100 s sleeps run in a test.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEmbeddedNode, type EmbeddedNode } from '../../src/node/embedded.js';
import type { StepRuntime } from '../../src/executor/runtime.js';
import type { ForeachOverview, InstanceView, SubworkflowOverview, WhileOverview } from '../../src/core/instance/view.js';
import { waitForEnd } from '../helpers/wait.js';
import { CONFORMANCE_DIR, conformanceMissing, testIf } from '../helpers/skip.js';

const DIR = join(CONFORMANCE_DIR, 'samples');
const t_ = testIf(conformanceMissing('samples'));

const fastSleep: StepRuntime = {
  type: 'Sleep',
  async run(task) {
    await new Promise((r) => setTimeout(r, Number(task.params['sleep_seconds'] ?? 3) * 2));
    return { status: 'SUCCEEDED' };
  },
};

let node: EmbeddedNode;
test.before(async () => {
  node = await createEmbeddedNode({ extraRuntimes: [fastSleep] });
  await node.api.createWorkflow(readFileSync(join(DIR, 'sample-dag-test-3.json'), 'utf8'));
});
test.after.always(() => node?.close());

async function runSample(file: string): Promise<InstanceView> {
  const wf = await node.api.createWorkflow(readFileSync(join(DIR, file), 'utf8'));
  const run = await node.api.startWorkflow({ workflowId: wf.workflowId });
  return waitForEnd(node.api, wf.workflowId, run.instanceId, 20_000);
}

const step = (v: InstanceView, id: string) => v.steps.find((s) => s.stepId === id)!;

t_('sample-foreach-wf: 9 iterations (ids 1..9, loop_index 0..8, dates end-exclusive), 54 leaf steps SUCCEEDED', async (t) => {
  const v = await runSample('sample-foreach-wf.json');
  t.is(v.status, 'SUCCEEDED');
  const o = step(v, 'foreach-job').overview as ForeachOverview;
  t.is(o.kind, 'foreach');
  t.is(o.total, 9);
  t.is(o.concurrency, 20);
  t.deepEqual(o.details, { SUCCEEDED: [[1, 9]] });
  t.deepEqual(o.running, []);
  t.deepEqual(o.rollup, { total: 54, counts: { SUCCEEDED: 54 } });
  t.deepEqual(v.rollup, { total: 54, counts: { SUCCEEDED: 54 } });
  for (let id = 1; id <= 9; id++) {
    const it = await node.api.getInstance(o.inlineWorkflowId, id);
    t.is(it.status, 'SUCCEEDED');
    t.is(it.params['loop_index'], id - 1);
    t.is(it.params['i'], 20200100 + id);
    t.is(it.params['foo'], 'September', 'iterations get the parent workflow params');
    t.is(it.initiator, 'FOREACH');
    t.is(it.depth, 1);
    t.deepEqual(it.parent, { workflowId: v.workflowId, instanceId: v.instanceId, runId: 1, stepId: 'foreach-job', attempt: 1 });
    t.is(it.correlationId, `${v.workflowId}:${v.instanceId}:1`);
    t.is(it.steps.length, 6);
  }
});

t_('sample-while-wf: 5 iterations, loop values 20200101..20200106 fed back from job.1', async (t) => {
  const v = await runSample('sample-while-wf.json');
  t.is(v.status, 'SUCCEEDED');
  const o = step(v, 'while-job').overview as WhileOverview;
  t.is(o.kind, 'while');
  t.is(o.iterations, 5);
  t.deepEqual(o.loopParamValues['i'], [20200101, 20200102, 20200103, 20200104, 20200105, 20200106]);
  t.is(o.lastStatus, 'SUCCEEDED');
  t.is(v.rollup.total, 5);
  for (let id = 1; id <= 5; id++) {
    const it = await node.api.getInstance(o.inlineWorkflowId, id);
    t.is(it.params['loop_index'], id - 1);
    t.is(it.params['i'], 20200100 + id);
    t.is(it.initiator, 'WHILE');
  }
});

t_('sample-nested-foreach-wf: 6 outer iterations in order, the empty inner loop succeeds, 14 leaves', async (t) => {
  const v = await runSample('sample-nested-foreach-wf.json');
  t.is(v.status, 'SUCCEEDED');
  const o = step(v, 'foreach-job').overview as ForeachOverview;
  t.is(o.total, 6);
  t.is(o.concurrency, 2);
  const order: Array<[unknown, unknown]> = [];
  for (let id = 1; id <= 6; id++) {
    const it = await node.api.getInstance(o.inlineWorkflowId, id);
    order.push([it.params['i'], it.params['j']]);
    const inner = step(it, 'job1');
    const io = inner.overview as ForeachOverview;
    t.is(inner.status, 'SUCCEEDED');
    t.is(io.total, Number(it.params['i']) - 1, 'x = Util.intsBetween(1, i, 1) is end-exclusive');
    t.is(inner.params['param2'], Number(it.params['i']) + 2);
    t.is(it.depth, 1);
    if (io.total > 0) t.is((await node.api.getInstance(io.inlineWorkflowId, 1)).depth, 2);
  }
  t.deepEqual(order, [
    [1, 'a'],
    [2, 'a'],
    [3, 'a'],
    [1, 'b'],
    [2, 'b'],
    [3, 'b'],
  ]);
  t.deepEqual(v.rollup, { total: 14, counts: { SUCCEEDED: 14 } });
});

t_('sample-subworkflow-wf: six children of sample-dag-test-3; async job3, explicit params job5', async (t) => {
  const v = await runSample('sample-subworkflow-wf.json');
  t.is(v.status, 'SUCCEEDED');
  const children = new Set<number>();
  for (const id of ['job1', 'job2', 'job3', 'job4', 'job5', 'job6']) {
    const o = step(v, id).overview as SubworkflowOverview;
    t.is(o.workflowId, 'sample-dag-test-3');
    t.truthy(o.instanceId);
    children.add(o.instanceId!);
    const child = await node.api.getInstance('sample-dag-test-3', o.instanceId!);
    t.is(child.initiator, 'SUBWORKFLOW');
    t.is(child.depth, 1);
    t.deepEqual(child.params['param1'], { foo: 'bar' });
    if (id === 'job3') {
      t.false(o.sync);
    } else {
      t.true(o.sync);
      t.is(o.status, 'SUCCEEDED');
      t.is(child.status, 'SUCCEEDED');
      t.is(o.rollup?.total, child.rollup.total);
    }
    if (id === 'job5') t.false('foo' in child.params && child.params['foo'] === v.params['foo'] && 'owner_param' in child.params, 'explicit_params passes only the step params');
  }
  t.is(children.size, 6, 'each step has its own child instance');
});

t_('validate reports nothing unsupported for the loop and subworkflow samples', async (t) => {
  for (const f of ['sample-foreach-wf.json', 'sample-while-wf.json', 'sample-nested-foreach-wf.json', 'sample-subworkflow-wf.json']) {
    await t.notThrowsAsync(node.api.validateWorkflow(readFileSync(join(DIR, f), 'utf8')), f);
  }
});
