/**
 * RESTART_FROM_SPECIFIC through an iteration of an ended loop (maestro-semantics §1.5, §2.2,
 * §6.7): restarting a step of iteration k (or iteration k itself) restarts the root along the
 * path; a foreach keeps every terminal iteration as it ended and runs only k again; a while
 * restarts from k with the values it had, its rollup re-aggregated from iterations < k.
 */
import test from 'ava';
import { createEmbeddedNode, type EmbeddedNode } from '../../src/node/embedded.js';
import type { ForeachOverview, WhileOverview } from '../../src/core/instance/view.js';
import { waitForEnd } from '../helpers/wait.js';
import { testRuntimes, type Holds, failOnceRuntime, failIfRuntime } from '../fixtures/test-runtimes.js';

let node: EmbeddedNode;
let holds: Holds;
test.before(async () => {
  const t = testRuntimes();
  holds = t.holds;
  node = await createEmbeddedNode({ extraRuntimes: [...t.runtimes, failIfRuntime, failOnceRuntime()] });
});
test.after.always(() => node?.close());

const NO_RETRY = { error_retry_limit: 0 };
const PARALLEL = { owner: 'tester', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 100 } };

function foreachDef(id: string): string {
  // Iteration 2's `f` fails once; iteration 3's `g` always fails; 1 and 4 succeed.
  const body = [
    { step: { id: 'f', type: 'FailOnce', retry_policy: NO_RETRY, params: { bad: { expression: 'i == 2', type: 'BOOLEAN' } } } },
    { step: { id: 'g', type: 'FailIf', retry_policy: NO_RETRY, params: { bad: { expression: 'i == 3', type: 'BOOLEAN' } } } },
  ];
  return JSON.stringify({
    properties: PARALLEL,
    workflow: { id, steps: [{ foreach: { id: 'loop', params: { loop_params: { value: { i: { value: [1, 2, 3, 4], type: 'LONG_ARRAY' } }, type: 'MAP' } }, steps: body } }] },
  });
}

const foreachOf = (v: { steps: Array<{ stepId: string; overview?: unknown }> }) => v.steps.find((s) => s.stepId === 'loop')!.overview as ForeachOverview;

test('a step restart in iteration k of an ended foreach re-runs only k; every other terminal iteration, FAILED ones too, is kept', async (t) => {
  await node.api.createWorkflow(foreachDef('specific-foreach'));
  const run = await node.api.startWorkflow({ workflowId: 'specific-foreach' });
  const first = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(first.status, 'FAILED');
  const o1 = foreachOf(first);
  t.deepEqual(o1.details, { SUCCEEDED: [[1, 1], [4, 4]], FAILED: [[2, 3]] });

  await node.api.stepAction(o1.inlineWorkflowId, 2, 'f', 'restart');
  const second = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(second.runId, 2, 'the root ran again');
  t.is(second.runPolicy, 'RESTART_FROM_SPECIFIC');
  const o2 = foreachOf(second);
  t.deepEqual(o2.details, { SUCCEEDED: [[1, 2], [4, 4]], FAILED: [[3, 3]] }, 'iteration 2 now succeeded; 3 is kept FAILED');
  t.is(second.steps[0]!.status, 'FATALLY_FAILED', 'the kept FAILED iteration still fails the foreach');
  t.is(second.status, 'FAILED');
  const it2 = await node.api.getInstance(o1.inlineWorkflowId, 2);
  t.is(it2.runId, 2, 'iteration 2 ran again as a new run');
  t.is(it2.runPolicy, 'RESTART_FROM_SPECIFIC', 'from the given step');
  t.is(it2.status, 'SUCCEEDED');
  for (const k of [1, 3, 4]) t.is((await node.api.getInstance(o1.inlineWorkflowId, k)).runId, 1, `iteration ${k} was not re-run`);
  t.is(second.rollup.total, 8);
  t.is(second.rollup.counts.SUCCEEDED, 7, "iteration 2's failed run left the rollup; its new run is counted once");

  // A restart of iteration 3 itself (no step): the end of the path takes the user's policy.
  await node.api.restart(o1.inlineWorkflowId, 3);
  const third = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(third.runId, 3);
  t.deepEqual(foreachOf(third).details, { SUCCEEDED: [[1, 2], [4, 4]], FAILED: [[3, 3]] }, 'iteration 3 fails again (g always fails)');
  const it3 = await node.api.getInstance(o1.inlineWorkflowId, 3);
  t.true(it3.runId >= 2, 'iteration 3 ran again');
  t.is(it3.runPolicy, 'RESTART_FROM_INCOMPLETE');
  t.is((await node.api.getInstance(o1.inlineWorkflowId, 2)).runId, 2, 'iteration 2 kept (SUCCEEDED)');
});

test('a step restart in iteration k of an ended while restarts the loop from k with its values; the rollup is re-aggregated from iterations < k', async (t) => {
  const def = JSON.stringify({
    properties: PARALLEL,
    workflow: {
      id: 'specific-while',
      params: { stop_at: { value: 5, type: 'LONG' } }, // `i` in `bad` is the step's own i (i + 1): iteration 4 fails
      steps: [
        {
          while: {
            id: 'w',
            condition: 'i < 6',
            params: { loop_params: { value: { i: { value: 1, type: 'LONG' } }, type: 'MAP' } },
            steps: [{ step: { id: 'f', type: 'FailIf', retry_policy: NO_RETRY, params: { bad: { expression: 'i == stop_at', type: 'BOOLEAN' }, i: { expression: 'i + 1', type: 'LONG' } } } }],
          },
        },
      ],
    },
  });
  await node.api.createWorkflow(def);
  const run = await node.api.startWorkflow({ workflowId: 'specific-while' });
  const first = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(first.status, 'FAILED');
  const o1 = first.steps[0]!.overview as WhileOverview;
  t.is(o1.iterations, 4, 'iteration 4 (input i = 4) failed');
  t.deepEqual(o1.loopParamValues['i'], [1, 2, 3, 4]);

  await node.api.stepAction(o1.inlineWorkflowId, 2, 'f', 'restart');
  const second = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(second.runId, 2);
  const o2 = second.steps[0]!.overview as WhileOverview;
  t.is(o2.runId, 2);
  t.is(o2.iterations, 4, 'iterations 2, 3 and 4 ran again; 4 failed again');
  t.deepEqual(o2.loopParamValues['i'], [1, 2, 3, 4], 'iteration 2 started from the value it had');
  t.is((await node.api.getInstance(o1.inlineWorkflowId, 1)).runId, 1, 'iteration 1 is kept');
  const it2 = await node.api.getInstance(o1.inlineWorkflowId, 2);
  t.is(it2.runId, 2);
  t.is(it2.runPolicy, 'RESTART_FROM_SPECIFIC');
  const it3 = await node.api.getInstance(o1.inlineWorkflowId, 3);
  t.is(it3.runId, 2);
  t.is(it3.runPolicy, 'RESTART_FROM_BEGINNING', 'later iterations run anew');
  t.is(second.rollup.total, 4, 'iteration 1 (re-aggregated) + 2, 3, 4 of this run');
  t.is(second.rollup.counts.SUCCEEDED, 3);
});

test('nested loops: a step restart in an inner iteration restarts the root along the whole path; only the iterations on it run again', async (t) => {
  const inner = { foreach: { id: 'inner', params: { loop_params: { value: { j: { value: [1, 2], type: 'LONG_ARRAY' } }, type: 'MAP' } }, steps: [{ step: { id: 'g', type: 'FailOnce', retry_policy: NO_RETRY, params: { bad: { expression: 'i == 2 && j == 2', type: 'BOOLEAN' } } } }] } };
  await node.api.createWorkflow(
    JSON.stringify({
      properties: PARALLEL,
      workflow: { id: 'specific-nested', steps: [{ foreach: { id: 'outer', params: { loop_params: { value: { i: { value: [1, 2], type: 'LONG_ARRAY' } }, type: 'MAP' } }, steps: [inner] } }] },
    }),
  );
  const run = await node.api.startWorkflow({ workflowId: 'specific-nested' });
  const first = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(first.status, 'FAILED');
  const outer = (first.steps[0]!.overview as ForeachOverview).inlineWorkflowId;
  t.deepEqual((first.steps[0]!.overview as ForeachOverview).details, { SUCCEEDED: [[1, 1]], FAILED: [[2, 2]] });
  const outer2 = await node.api.getInstance(outer, 2);
  const innerWf = (outer2.steps[0]!.overview as ForeachOverview).inlineWorkflowId;
  t.deepEqual((outer2.steps[0]!.overview as ForeachOverview).details, { SUCCEEDED: [[1, 1]], FAILED: [[2, 2]] });

  await node.api.stepAction(innerWf, 2, 'g', 'restart');
  const second = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(second.runId, 2);
  t.is(second.status, 'SUCCEEDED');
  t.deepEqual((second.steps[0]!.overview as ForeachOverview).details, { SUCCEEDED: [[1, 2]] });
  t.is((await node.api.getInstance(outer, 1)).runId, 1, 'outer iteration 1 is kept');
  const o2 = await node.api.getInstance(outer, 2);
  t.like(o2, { runId: 2, runPolicy: 'RESTART_FROM_SPECIFIC', status: 'SUCCEEDED' });
  t.is((await node.api.getInstance(innerWf, 1)).runId, 1, 'inner iteration 1 is kept');
  t.like(await node.api.getInstance(innerWf, 2), { runId: 2, runPolicy: 'RESTART_FROM_SPECIFIC', status: 'SUCCEEDED' });
  t.deepEqual(second.rollup.counts, { SUCCEEDED: 4 });
});

test('a step restart in an ended iteration while its foreach runs re-runs that iteration from the step (RESTART_FROM_SPECIFIC)', async (t) => {
  const body = [
    { step: { id: 'f', type: 'FailOnce', retry_policy: NO_RETRY, params: { bad: { expression: 'i == 1', type: 'BOOLEAN' } }, transition: { successors: { h: 'true' } } } },
    { step: { id: 'h', type: 'Hold' } },
  ];
  await node.api.createWorkflow(
    JSON.stringify({
      properties: PARALLEL,
      workflow: { id: 'specific-running', steps: [{ foreach: { id: 'loop', concurrency: 2, params: { loop_params: { value: { i: { value: [1, 2], type: 'LONG_ARRAY' } }, type: 'MAP' } }, steps: body } }] },
    }),
  );
  const run = await node.api.startWorkflow({ workflowId: 'specific-running' });
  let v = await node.api.getInstance(run.workflowId, run.instanceId);
  for (let i = 0; i < 500 && !(foreachOf(v)?.details?.FAILED && foreachOf(v).running.length === 1); i++) {
    await new Promise((r) => setTimeout(r, 10)); // the overview changes without a step status change: no watch event to wait on
    v = await node.api.getInstance(run.workflowId, run.instanceId);
  }
  const inline = foreachOf(v).inlineWorkflowId;
  t.deepEqual(foreachOf(v).running, [2]);
  await node.api.stepAction(inline, 1, 'f', 'restart');
  const holdOf = async (k: number) => {
    for (let i = 0; i < 500; i++) {
      const x = await node.api.getInstance(inline, k);
      if (x.steps.find((s) => s.stepId === 'h')?.status === 'RUNNING') return x;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`iteration ${k} never reached h`);
  };
  const it1 = await holdOf(1);
  t.is(it1.runId, 2, 'iteration 1 runs again as its next run');
  t.is(it1.runPolicy, 'RESTART_FROM_SPECIFIC');
  t.deepEqual(it1.steps.find((s) => s.stepId === 'f')!.attempts.length, 1, 'f of run 2: one attempt (the restart from it)');
  holds.release(it1, 'h');
  holds.release(await holdOf(2), 'h');
  const end = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(end.status, 'SUCCEEDED');
  t.is(end.runId, 1, 'the root did not restart');
  await holds.idle();
});

test('after a restart through iteration k, a kept FAILED iteration can be restarted while the loop runs (Maestro: any terminal iteration not being restarted)', async (t) => {
  const body = [
    { step: { id: 'f', type: 'FailOnce', retry_policy: NO_RETRY, params: { bad: { expression: 'i >= 2', type: 'BOOLEAN' } }, transition: { successors: { h: 'true' } } } },
    { step: { id: 'h', type: 'Hold' } },
  ];
  await node.api.createWorkflow(
    JSON.stringify({
      properties: PARALLEL,
      workflow: { id: 'specific-kept', steps: [{ foreach: { id: 'loop', params: { loop_params: { value: { i: { value: [1, 2, 3], type: 'LONG_ARRAY' } }, type: 'MAP' } }, steps: body } }] },
    }),
  );
  const run = await node.api.startWorkflow({ workflowId: 'specific-kept' });
  const holdOf = async (wf: string, k: number, runId: number) => {
    for (let i = 0; i < 500; i++) {
      const x = await node.api.getInstance(wf, k).catch(() => undefined);
      if (x?.runId === runId && x.steps.find((s) => s.stepId === 'h')?.status === 'RUNNING') return x;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`iteration ${k} run ${runId} never reached h`);
  };
  let v = await node.api.getInstance(run.workflowId, run.instanceId);
  for (let i = 0; i < 500 && !foreachOf(v)?.inlineWorkflowId; i++) {
    await new Promise((r) => setTimeout(r, 10));
    v = await node.api.getInstance(run.workflowId, run.instanceId);
  }
  const inline = foreachOf(v).inlineWorkflowId;
  holds.release(await holdOf(inline, 1, 1), 'h');
  const first = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.deepEqual(foreachOf(first).details, { SUCCEEDED: [[1, 1]], FAILED: [[2, 3]] });

  await node.api.stepAction(inline, 2, 'f', 'restart'); // root run 2: only iteration 2 runs; 3 is kept FAILED
  const it2 = await holdOf(inline, 2, 2);
  const running = await node.api.getInstance(run.workflowId, run.instanceId);
  t.is(running.runId, 2);
  t.deepEqual(foreachOf(running).details, { SUCCEEDED: [[1, 1]], FAILED: [[3, 3]] });
  await node.api.restart(inline, 3); // kept FAILED, restarted while the loop runs
  const it3 = await holdOf(inline, 3, 3);
  t.is(it3.runPolicy, 'RESTART_FROM_INCOMPLETE');
  holds.release(it2, 'h');
  holds.release(it3, 'h');
  const end = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(end.status, 'SUCCEEDED', 'the kept failure was repaired while the loop ran');
  t.is(end.runId, 2);
  t.deepEqual(foreachOf(end).details, { SUCCEEDED: [[1, 3]] });
  await holds.idle();
});
