/**
 * A restart of a subworkflow child walks up through its parents (maestro-semantics §0.2, §3.2,
 * §6.7; Maestro's restartRecursively / updateForDownstreamIfNeeded): while the parent has ended,
 * the topmost ended ancestor gets a new run RESTART_FROM_SPECIFIC from the step leading down,
 * and the parent's subworkflow step re-runs the SAME child instance (run + 1) from the step the
 * user named; a running parent gives its subworkflow step a new attempt instead. Async children
 * walk up too (Maestro does not look at `sync` there).
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedNode, type EmbeddedNode } from '../../src/node/embedded.js';
import type { StepResult, StepRuntime, StepTask } from '../../src/executor/runtime.js';
import type { ForeachOverview, InstanceView, SubworkflowOverview } from '../../src/core/instance/view.js';
import { waitFor, waitForEnd } from '../helpers/wait.js';
import { testRuntimes, type Holds, failOnceRuntime } from '../fixtures/test-runtimes.js';

/** Succeeds, counting how often each (instance, step) ran. */
const runs = new Map<string, number>();
const count: StepRuntime = {
  type: 'Count',
  run(task) {
    const key = `${task.workflowId}/${task.instanceId}/${task.stepId}`;
    runs.set(key, (runs.get(key) ?? 0) + 1);
    return Promise.resolve({ status: 'SUCCEEDED' });
  },
};
const ran = (wf: string, id: number, step: string) => runs.get(`${wf}/${id}/${step}`) ?? 0;

let node: EmbeddedNode;
let holds: Holds;
test.before(async () => {
  const t = testRuntimes();
  holds = t.holds;
  node = await createEmbeddedNode({ extraRuntimes: [...t.runtimes, failOnceRuntime(), count] });
});
test.after.always(() => node?.close());

const NO_RETRY = { error_retry_limit: 0 };
const PARALLEL = { owner: 'tester', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 100 } };

/** c1 (Count) -> c2 (FailOnce, bad unless the param `bad` says otherwise). */
function childDef(id: string, bad = 'true'): string {
  return JSON.stringify({
    properties: PARALLEL,
    workflow: {
      id,
      steps: [
        { step: { id: 'c1', type: 'Count', transition: { successors: { c2: 'true' } } } },
        { step: { id: 'c2', type: 'FailOnce', retry_policy: NO_RETRY, params: { bad: { expression: bad, type: 'BOOLEAN' } } } },
      ],
    },
  });
}

function sub(id: string, child: string, extra: Record<string, unknown> = {}): unknown {
  return { subworkflow: { id, ...extra, params: { subworkflow_id: { value: child, type: 'STRING' }, subworkflow_version: { value: 'latest', type: 'STRING' } } } };
}

const overviewOf = (v: InstanceView, step: string) => v.steps.find((s) => s.stepId === step)!.overview as SubworkflowOverview;
const stepOf = (v: InstanceView, step: string) => v.steps.find((s) => s.stepId === step)!;

test('(a) a step restart in the FAILED sync child of a FAILED parent: the parent gets run 2, the same child run 2 from that step; both SUCCEED', async (t) => {
  await node.api.createWorkflow(childDef('sr-child-a'));
  await node.api.createWorkflow(
    JSON.stringify({
      properties: PARALLEL,
      workflow: { id: 'sr-parent-a', steps: [{ step: { id: 'p1', type: 'Count', transition: { successors: { sub: 'true' } } } }, sub('sub', 'sr-child-a')] },
    }),
  );
  const run = await node.api.startWorkflow({ workflowId: 'sr-parent-a' });
  const first = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(first.status, 'FAILED');
  const childId = overviewOf(first, 'sub').instanceId!;
  const child1 = await waitForEnd(node.api, 'sr-child-a', childId, 10_000);
  t.is(child1.status, 'FAILED');

  await node.api.stepAction('sr-child-a', childId, 'c2', 'restart');
  const second = await waitFor(node.api, run.workflowId, run.instanceId, { status: 'terminal', runId: 2 }, { timeoutMs: 10_000 });
  t.is(second.status, 'SUCCEEDED');
  t.is(second.runId, 2, 'the parent ran again');
  t.is(overviewOf(second, 'sub').instanceId, childId, 'the same child instance');
  t.is(overviewOf(second, 'sub').runId, 2);
  const child2 = await node.api.getInstance('sr-child-a', childId);
  t.is(child2.status, 'SUCCEEDED');
  t.is(child2.runId, 2);
  t.is(child2.parent?.runId, 2, 'the child reports to the parent run that re-ran it');
  t.is(ran(run.workflowId, run.instanceId, 'p1'), 1, "the parent's SUCCEEDED step is not re-run");
  t.is(ran('sr-child-a', childId, 'c1'), 1, "the child's SUCCEEDED step before c2 is not re-run (RESTART_FROM_SPECIFIC from c2)");
});

test('(a2) an instance restart of the FAILED child restarts the parent the same way (RESTART_FROM_INCOMPLETE at the end of the path)', async (t) => {
  await node.api.createWorkflow(childDef('sr-child-a2'));
  await node.api.createWorkflow(JSON.stringify({ properties: PARALLEL, workflow: { id: 'sr-parent-a2', steps: [sub('sub', 'sr-child-a2')] } }));
  const run = await node.api.startWorkflow({ workflowId: 'sr-parent-a2' });
  const first = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(first.status, 'FAILED');
  const childId = overviewOf(first, 'sub').instanceId!;
  await waitForEnd(node.api, 'sr-child-a2', childId, 10_000);

  await node.api.restart('sr-child-a2', childId);
  const second = await waitFor(node.api, run.workflowId, run.instanceId, { status: 'terminal', runId: 2 }, { timeoutMs: 10_000 });
  t.is(second.status, 'SUCCEEDED');
  const child2 = await node.api.getInstance('sr-child-a2', childId);
  t.is(child2.runId, 2);
  t.is(child2.status, 'SUCCEEDED');
  t.is(ran('sr-child-a2', childId, 'c1'), 1, 'RESTART_FROM_INCOMPLETE keeps the SUCCEEDED c1');
});

test('(b) root -> foreach -> iteration -> subworkflow child: an instance restart of the child restarts the root along the whole path; only that iteration and child run again', async (t) => {
  await node.api.createWorkflow(childDef('sr-child-b', 'i == 2'));
  await node.api.createWorkflow(
    JSON.stringify({
      properties: PARALLEL,
      workflow: { id: 'sr-root-b', steps: [{ foreach: { id: 'loop', params: { loop_params: { value: { i: { value: [1, 2], type: 'LONG_ARRAY' } }, type: 'MAP' } }, steps: [sub('sub', 'sr-child-b')] } }] },
    }),
  );
  const run = await node.api.startWorkflow({ workflowId: 'sr-root-b' });
  const first = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(first.status, 'FAILED');
  const loop = first.steps[0]!.overview as ForeachOverview;
  t.deepEqual(loop.details, { SUCCEEDED: [[1, 1]], FAILED: [[2, 2]] });
  const it1 = await node.api.getInstance(loop.inlineWorkflowId, 1);
  const it2 = await node.api.getInstance(loop.inlineWorkflowId, 2);
  const child1 = overviewOf(it1, 'sub').instanceId!;
  const child2 = overviewOf(it2, 'sub').instanceId!;
  t.is((await waitForEnd(node.api, 'sr-child-b', child2, 10_000)).status, 'FAILED');

  await node.api.restart('sr-child-b', child2);
  const second = await waitFor(node.api, run.workflowId, run.instanceId, { status: 'terminal', runId: 2 }, { timeoutMs: 10_000 });
  t.is(second.status, 'SUCCEEDED');
  const it2b = await node.api.getInstance(loop.inlineWorkflowId, 2);
  t.is(it2b.status, 'SUCCEEDED');
  t.true(it2b.runId > 1, 'iteration 2 ran again');
  t.is(overviewOf(it2b, 'sub').instanceId, child2, 'the same child instance');
  const c2 = await node.api.getInstance('sr-child-b', child2);
  t.is(c2.runId, 2);
  t.is(c2.status, 'SUCCEEDED');
  t.is((await node.api.getInstance(loop.inlineWorkflowId, 1)).runId, 1, 'iteration 1 is kept');
  t.is((await node.api.getInstance('sr-child-b', child1)).runId, 1, "iteration 1's child is not re-run");
  t.is(ran('sr-child-b', child2, 'c1'), 1);
});

test('(c) the parent still running: its FATALLY_FAILED subworkflow step gets a new attempt in the same run, which re-runs the same child from the step', async (t) => {
  await node.api.createWorkflow(childDef('sr-child-c'));
  await node.api.createWorkflow(JSON.stringify({ properties: PARALLEL, workflow: { id: 'sr-parent-c', steps: [sub('sub', 'sr-child-c'), { step: { id: 'h', type: 'Hold' } }] } }));
  const run = await node.api.startWorkflow({ workflowId: 'sr-parent-c' });
  const failed = await waitFor(node.api, run.workflowId, run.instanceId, { stepId: 'sub', status: 'FATALLY_FAILED' }, { timeoutMs: 10_000 });
  t.is(failed.status, 'IN_PROGRESS');
  const childId = overviewOf(failed, 'sub').instanceId!;
  await waitForEnd(node.api, 'sr-child-c', childId, 10_000);

  await node.api.stepAction('sr-child-c', childId, 'c2', 'restart');
  const done = await waitFor(node.api, run.workflowId, run.instanceId, { stepId: 'sub', status: 'SUCCEEDED' }, { timeoutMs: 10_000 });
  t.is(done.runId, 1, 'the same run');
  t.is(stepOf(done, 'sub').attempts.length, 2, 'a new attempt of the subworkflow step');
  const child = await node.api.getInstance('sr-child-c', childId);
  t.is(child.runId, 2);
  t.is(child.status, 'SUCCEEDED');
  t.is(child.parent?.attempt, 2, 'the child reports to the new attempt');
  t.is(ran('sr-child-c', childId, 'c1'), 1);
  holds.release(done, 'h');
  const end = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(end.status, 'SUCCEEDED');
  t.is(end.runId, 1);
});

test('(c2) a running parent whose subworkflow step cannot restart (IGNORE_FAILURE: it ended complete) refuses with FAILED_PRECONDITION; the child is not restarted alone', async (t) => {
  await node.api.createWorkflow(childDef('sr-child-c2'));
  await node.api.createWorkflow(
    JSON.stringify({ properties: PARALLEL, workflow: { id: 'sr-parent-c2', steps: [sub('sub', 'sr-child-c2', { failure_mode: 'IGNORE_FAILURE' }), { step: { id: 'h', type: 'Hold' } }] } }),
  );
  const run = await node.api.startWorkflow({ workflowId: 'sr-parent-c2' });
  const v = await waitFor(node.api, run.workflowId, run.instanceId, { stepId: 'sub', status: ['FATALLY_FAILED', 'COMPLETED_WITH_ERROR'] }, { timeoutMs: 10_000 });
  const childId = overviewOf(v, 'sub').instanceId!;
  await waitForEnd(node.api, 'sr-child-c2', childId, 10_000);
  const err = await t.throwsAsync(node.api.stepAction('sr-child-c2', childId, 'c2', 'restart'));
  t.is((err as { kind?: string }).kind, 'failed_precondition');
  t.regex(err!.message, /sub/);
  t.is((await node.api.getInstance('sr-child-c2', childId)).runId, 1, 'the child did not run again');
  holds.release(v, 'h');
  await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
});

test("(d) an async child walks up too (Maestro's rule): its ended parent gets run 2 from the subworkflow step, which re-runs the same child", async (t) => {
  await node.api.createWorkflow(childDef('sr-child-d'));
  await node.api.createWorkflow(JSON.stringify({ properties: PARALLEL, workflow: { id: 'sr-parent-d', steps: [sub('sub', 'sr-child-d', { sync: false })] } }));
  const run = await node.api.startWorkflow({ workflowId: 'sr-parent-d' });
  const first = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(first.status, 'SUCCEEDED', 'an async step succeeds once launched');
  const childId = overviewOf(first, 'sub').instanceId!;
  t.is((await waitForEnd(node.api, 'sr-child-d', childId, 10_000)).status, 'FAILED');

  await node.api.stepAction('sr-child-d', childId, 'c2', 'restart');
  const second = await waitFor(node.api, run.workflowId, run.instanceId, { status: 'terminal', runId: 2 }, { timeoutMs: 10_000 });
  t.is(second.status, 'SUCCEEDED');
  t.is(overviewOf(second, 'sub').instanceId, childId);
  const child = await waitFor(node.api, 'sr-child-d', childId, { status: 'terminal', runId: 2 }, { timeoutMs: 10_000 });
  t.is(child.status, 'SUCCEEDED');
  t.is(ran('sr-child-d', childId, 'c1'), 1);
});

test('(d2) an async child whose parent still runs refuses (its subworkflow step SUCCEEDED: complete), as Maestro', async (t) => {
  await node.api.createWorkflow(childDef('sr-child-d2'));
  await node.api.createWorkflow(JSON.stringify({ properties: PARALLEL, workflow: { id: 'sr-parent-d2', steps: [sub('sub', 'sr-child-d2', { sync: false }), { step: { id: 'h', type: 'Hold' } }] } }));
  const run = await node.api.startWorkflow({ workflowId: 'sr-parent-d2' });
  const v = await waitFor(node.api, run.workflowId, run.instanceId, { stepId: 'sub', status: 'SUCCEEDED' }, { timeoutMs: 10_000 });
  const childId = overviewOf(v, 'sub').instanceId!;
  await waitForEnd(node.api, 'sr-child-d2', childId, 10_000);
  const err = await t.throwsAsync(node.api.restart('sr-child-d2', childId));
  t.is((err as { kind?: string }).kind, 'failed_precondition');
  t.regex(err!.message, /SUCCEEDED/);
  holds.release(v, 'h');
  await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
});

/** A step type whose attempts wait for the test: `next()` resolves with the next attempt that starts. */
class Gate {
  private readonly started: Array<{ task: StepTask; finish: (r: StepResult) => void }> = [];
  private waiters: Array<() => void> = [];
  readonly runtime: StepRuntime = {
    type: 'Gate',
    run: (task, signal) =>
      new Promise<StepResult>((resolve) => {
        signal.addEventListener('abort', () => resolve({ status: 'PLATFORM_FAILED', error: 'cancelled' }), { once: true });
        this.started.push({ task, finish: resolve });
        for (const w of this.waiters.splice(0)) w();
      }),
  };
  async next(): Promise<{ task: StepTask; finish: (r: StepResult) => void }> {
    while (this.started.length === 0) await new Promise<void>((r) => this.waiters.push(r));
    return this.started.shift()!;
  }
}

test('a node restart while a child re-runs along the path: the recovered parent does not restart it a second time; both end SUCCEEDED', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'maestro-subrestart-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const gateA = new Gate();
  const first = await createEmbeddedNode({ dataDir, partitions: 2, extraRuntimes: [gateA.runtime] });
  let closed = false;
  t.teardown(async () => {
    if (!closed) await first.close();
  });
  await first.api.createWorkflow(JSON.stringify({ properties: PARALLEL, workflow: { id: 'sr-child-r', steps: [{ step: { id: 'h', type: 'Gate', retry_policy: NO_RETRY } }] } }));
  await first.api.createWorkflow(JSON.stringify({ properties: PARALLEL, workflow: { id: 'sr-parent-r', steps: [sub('sub', 'sr-child-r')] } }));
  const run = await first.api.startWorkflow({ workflowId: 'sr-parent-r' });
  const one = await gateA.next();
  const childId = one.task.instanceId;
  t.is(one.task.workflowId, 'sr-child-r');
  one.finish({ status: 'USER_FAILED', error: 'first run fails' });
  t.is((await waitForEnd(first.api, run.workflowId, run.instanceId, 10_000)).status, 'FAILED');

  await first.api.stepAction('sr-child-r', childId, 'h', 'restart');
  const two = await gateA.next();
  t.is(two.task.instanceId, childId);
  await first.close();
  closed = true;

  const gateB = new Gate();
  const second = await createEmbeddedNode({ dataDir, partitions: 2, extraRuntimes: [gateB.runtime] });
  t.teardown(() => second.close());
  const three = await gateB.next(); // the child's running attempt, dispatched again after recovery
  t.is(three.task.instanceId, childId);
  const parentNow = await second.api.getInstance(run.workflowId, run.instanceId);
  t.is(parentNow.runId, 2);
  t.is(stepOf(parentNow, 'sub').status, 'RUNNING', 'the recovered parent still waits for its child (no second restart refused)');
  three.finish({ status: 'SUCCEEDED' });
  const end = await waitFor(second.api, run.workflowId, run.instanceId, { status: 'terminal', runId: 2 }, { timeoutMs: 10_000 });
  t.is(end.status, 'SUCCEEDED');
  const child = await second.api.getInstance('sr-child-r', childId);
  t.is(child.runId, 2, 'run 2, not a third run');
  t.is(child.status, 'SUCCEEDED');
});
