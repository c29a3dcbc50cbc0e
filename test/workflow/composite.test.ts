/**
 * foreach, while and subworkflow steps on the embedded engine: concurrency windows, failure
 * modes and final status precedence, limits, restart keeping SUCCEEDED iterations, reading
 * results back (getFromForeach / getFromSubworkflow), params passed down, the depth limit and
 * stop cascades (maestro-semantics.md §1-3, §6.6).
 */
import test from 'ava';
import { createEmbeddedNode, type EmbeddedNode } from '../../src/node/embedded.js';
import type { ForeachOverview, InstanceView, SubworkflowOverview, WhileOverview } from '../../src/core/instance/view.js';
import { testRuntimes, type Holds, failOnceRuntime, failIfRuntime } from '../fixtures/test-runtimes.js';
import { waitForEnd } from '../helpers/wait.js';

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

function foreachWf(id: string, loop: Record<string, unknown>, body: unknown[], extra: Record<string, unknown> = {}, after: unknown[] = []): string {
  return JSON.stringify({
    properties: PARALLEL,
    workflow: {
      id,
      steps: [{ foreach: { id: 'loop', params: { loop_params: { value: loop, type: 'MAP' } }, steps: body, ...extra, ...(after.length > 0 ? { transition: { successors: { after: 'true' } } } : {}) } }, ...after],
    },
  });
}

async function start(def: string): Promise<InstanceView> {
  const wf = await node.api.createWorkflow(def);
  return node.api.startWorkflow({ workflowId: wf.workflowId });
}

/**
 * Polls get-instance until `pred` holds: a foreach's overview (running iterations) changes
 * without a step status change, so there is no watch event to wait on.
 */
async function waitFor(_api: unknown, workflowId: string, instanceId: number, pred: (v: InstanceView) => boolean, opts: { timeoutMs: number }): Promise<InstanceView> {
  const until = Date.now() + opts.timeoutMs;
  let last: InstanceView | undefined;
  while (Date.now() < until) {
    last = await node.api.getInstance(workflowId, instanceId).catch(() => undefined);
    if (last && pred(last)) return last;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${workflowId}/${instanceId}; last seen ${JSON.stringify(last?.steps.map((s) => [s.stepId, s.status, s.overview]))}`);
}

const overview = (v: InstanceView, id = 'loop') => v.steps.find((s) => s.stepId === id)!.overview as ForeachOverview;

test('concurrency bounds running iterations; strict ordering is a sliding window behind the lowest unfinished', async (t) => {
  const body = [{ step: { id: 'h', type: 'Hold' } }];
  for (const strict of [false, true]) {
    const run = await start(foreachWf(`conc-${strict}`, { i: { value: [1, 2, 3, 4, 5, 6], type: 'LONG_ARRAY' } }, body, { concurrency: 2, strict_ordering: strict }));
    const v = await waitFor(node.api, run.workflowId, run.instanceId, (x) => overview(x)?.running.length === 2, { timeoutMs: 5_000 });
    const o = overview(v);
    t.deepEqual(o.running, [1, 2]);
    // Finish iteration 2 only: non-strict launches 3; strict may not (1 is still the lowest unfinished).
    const it2 = await waitFor(node.api, o.inlineWorkflowId, 2, (x) => x.steps[0]!.status === 'RUNNING', { timeoutMs: 5_000 });
    holds.release(it2, 'h');
    await waitForEnd(node.api, o.inlineWorkflowId, 2, 5_000);
    const after = overview(await waitFor(node.api, run.workflowId, run.instanceId, (x) => (overview(x)?.stats.SUCCEEDED ?? 0) === 1, { timeoutMs: 5_000 }));
    if (strict) {
      t.deepEqual(after.running, [1], 'strict: nothing beyond lowest unfinished + concurrency - 1');
    } else {
      const now = overview(await waitFor(node.api, run.workflowId, run.instanceId, (x) => overview(x)?.running.length === 2, { timeoutMs: 5_000 }));
      t.deepEqual(now.running, [1, 3]);
    }
    await node.api.stop(run.workflowId, run.instanceId);
    await holds.idle();
  }
});

test('a failed iteration stops new launches; the foreach ends FATALLY_FAILED and the instance FAILED (FAIL_AFTER_RUNNING)', async (t) => {
  const body = [{ step: { id: 'f', type: 'FailIf', retry_policy: NO_RETRY, params: { bad: { expression: 'i == 2', type: 'BOOLEAN' } } } }];
  const run = await start(foreachWf('fail-after', { i: { value: [1, 2, 3, 4, 5], type: 'LONG_ARRAY' } }, body, { concurrency: 1 }));
  const v = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(v.status, 'FAILED');
  const step = v.steps[0]!;
  t.is(step.status, 'FATALLY_FAILED');
  t.regex(step.attempts[0]!.error!, /iteration\(s\) 2 failed/);
  t.deepEqual(overview(v).details, { SUCCEEDED: [[1, 1]], FAILED: [[2, 2]] }, 'iterations 3-5 never launched');
  const failedLeaf = v.rollup.refs?.find((r) => r.stepId === 'f');
  t.like(failedLeaf, { workflowId: overview(v).inlineWorkflowId, instanceId: 2, runId: 1, attempt: 1 }, 'the rollup points at the failed leaf step inside the iteration');
  t.true(failedLeaf !== undefined && failedLeaf.status.endsWith('FAILED'));
});

test('IGNORE_FAILURE makes a failed foreach COMPLETED_WITH_ERROR and the run goes on', async (t) => {
  const body = [{ step: { id: 'f', type: 'FailIf', retry_policy: NO_RETRY, params: { bad: { expression: 'i == 1', type: 'BOOLEAN' } } } }];
  const run = await start(foreachWf('fail-ignore', { i: { value: [1, 2], type: 'LONG_ARRAY' } }, body, { failure_mode: 'IGNORE_FAILURE' }, [{ step: { id: 'after', type: 'NoOp' } }]));
  const v = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(v.steps[0]!.status, 'COMPLETED_WITH_ERROR');
  t.is(v.steps[1]!.status, 'SUCCEEDED');
  t.is(v.status, 'SUCCEEDED');
});

test('an empty loop succeeds at once; more than 25,000 iterations fail the step', async (t) => {
  const empty = await start(foreachWf('empty', { i: { value: [], type: 'LONG_ARRAY' } }, [{ step: { id: 'n', type: 'NoOp' } }]));
  const e = await waitForEnd(node.api, empty.workflowId, empty.instanceId, 5_000);
  t.is(e.status, 'SUCCEEDED');
  t.is(overview(e).total, 0);
  const big = await start(foreachWf('too-big', { i: { expression: 'Util.intsBetween(0, 200, 1)', type: 'LONG_ARRAY' }, j: { expression: 'Util.intsBetween(0, 126, 1)', type: 'LONG_ARRAY' } }, [{ step: { id: 'n', type: 'NoOp' } }]));
  const b = await waitForEnd(node.api, big.workflowId, big.instanceId, 5_000);
  t.is(b.status, 'FAILED');
  t.regex(b.steps[0]!.attempts[0]!.error!, /25200 iterations; the limit is 25000/);
});

test('restart from incomplete keeps SUCCEEDED iterations and re-runs the others as run 2 (foreach_run_id)', async (t) => {
  const body = [{ step: { id: 'f', type: 'FailIf', retry_policy: NO_RETRY, params: { bad: { expression: 'i == 2 && attempt_flag', type: 'BOOLEAN' } } } }];
  const def = JSON.stringify({
    properties: PARALLEL,
    workflow: {
      id: 'restart-loop',
      params: { attempt_flag: { value: true, type: 'BOOLEAN' } },
      steps: [{ foreach: { id: 'loop', params: { loop_params: { value: { i: { value: [1, 2, 3], type: 'LONG_ARRAY' } }, type: 'MAP' } }, steps: body } }],
    },
  });
  const run = await start(def);
  const first = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(first.status, 'FAILED');
  const o1 = overview(first);
  t.deepEqual(o1.details, { SUCCEEDED: [[1, 1], [3, 3]], FAILED: [[2, 2]] });
  await node.api.restart(run.workflowId, run.instanceId, 'RESTART_FROM_INCOMPLETE');
  // attempt_flag is still true in run 2 (params carry over), so iteration 2 fails again; 1 and 3 are not re-run.
  const second = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  const o2 = overview(second);
  t.is(o2.runId, 2);
  t.deepEqual(o2.details, { SUCCEEDED: [[1, 1], [3, 3]], FAILED: [[2, 2]] });
  t.is((await node.api.getInstance(o2.inlineWorkflowId, 1)).runId, 1, 'a kept iteration is not re-run');
  t.is((await node.api.getInstance(o2.inlineWorkflowId, 2)).runId, 2, 'the failed iteration re-ran as run 2');
});

test('getFromForeach reads one value per iteration; getFromSubworkflow reads a child step param', async (t) => {
  const def = foreachWf(
    'reads',
    { i: { value: [10, 20, 30], type: 'LONG_ARRAY' } },
    [{ step: { id: 'inner', type: 'FailIf', params: { v: { expression: 'i * 2', type: 'LONG' } } } }],
    {},
    [{ step: { id: 'after', type: 'NoOp', params: { all: { expression: "params.getFromForeach('loop', 'inner', 'v')", type: 'LONG_ARRAY' } } } }],
  );
  const run = await start(def);
  const v = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(v.status, 'SUCCEEDED', v.error);
  t.deepEqual(v.steps[1]!.params['all'], [20, 40, 60]);

  await node.api.createWorkflow(JSON.stringify({ properties: PARALLEL, workflow: { id: 'leaf-child', steps: [{ step: { id: 'c', type: 'NoOp', params: { answer: { value: 15, type: 'LONG' } } } }] } }));
  const parent = await start(
    JSON.stringify({
      properties: PARALLEL,
      workflow: {
        id: 'reads-sub',
        steps: [
          { subworkflow: { id: 'sub', params: { subworkflow_id: { value: 'leaf-child', type: 'STRING' } }, transition: { successors: { after: 'true' } } } },
          { step: { id: 'after', type: 'NoOp', params: { got: { expression: "params.getFromSubworkflow('sub', 'c', 'answer')", type: 'LONG' } } } },
        ],
      },
    }),
  );
  const p = await waitForEnd(node.api, parent.workflowId, parent.instanceId, 10_000);
  t.is(p.status, 'SUCCEEDED', p.error);
  t.is(p.steps[1]!.params['got'], 15);
});

test('subworkflow params: all parent params unless explicit_params; versions active, latest, exact; a missing workflow fails the step', async (t) => {
  await node.api.createWorkflow(JSON.stringify({ properties: PARALLEL, workflow: { id: 'versioned', steps: [{ step: { id: 'c', type: 'NoOp' } }] } }));
  await node.api.createWorkflow(JSON.stringify({ properties: PARALLEL, is_active: false, workflow: { id: 'versioned', steps: [{ step: { id: 'c', type: 'NoOp' } }, { step: { id: 'd', type: 'NoOp' } }] } }));
  const sub = (id: string, extra: Record<string, unknown>, params: Record<string, unknown> = {}) => ({ subworkflow: { id, params: { subworkflow_id: { value: 'versioned', type: 'STRING' }, ...params }, ...extra } });
  const run = await start(
    JSON.stringify({
      properties: PARALLEL,
      workflow: {
        id: 'sub-params',
        params: { pp: { value: 'from-parent', type: 'STRING' } },
        steps: [
          sub('all', {}, { own: { value: 1, type: 'LONG' } }),
          sub('explicit', { explicit_params: true }, { own: { value: 2, type: 'LONG' } }),
          sub('latest', {}, { subworkflow_version: { value: 'latest', type: 'STRING' } }),
          sub('exact', {}, { subworkflow_version: { value: '1', type: 'STRING' } }),
          { subworkflow: { id: 'missing', params: { subworkflow_id: { value: 'no-such-workflow', type: 'STRING' } } } },
        ],
      },
    }),
  );
  const v = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  const child = async (id: string) => {
    const o = v.steps.find((s) => s.stepId === id)!.overview as SubworkflowOverview;
    return node.api.getInstance('versioned', o.instanceId!);
  };
  const all = await child('all');
  t.is(all.params['pp'], 'from-parent');
  t.is(all.params['own'], 1);
  t.is(all.version, 1, 'active');
  const explicit = await child('explicit');
  t.false('pp' in explicit.params);
  t.is(explicit.params['own'], 2);
  t.is((await child('latest')).version, 2);
  t.is((await child('exact')).version, 1);
  const missing = v.steps.find((s) => s.stepId === 'missing')!;
  t.is(missing.status, 'FATALLY_FAILED');
  t.regex(missing.attempts[0]!.error!, /no-such-workflow/);
  t.is(v.status, 'FAILED');
});

test('a recursive subworkflow is refused at the depth limit (fewer than 10 ancestors)', async (t) => {
  const run = await start(JSON.stringify({ properties: PARALLEL, workflow: { id: 'recurse', steps: [{ subworkflow: { id: 'again', params: { subworkflow_id: { value: 'recurse', type: 'STRING' } } } }] } }));
  const v = await waitForEnd(node.api, run.workflowId, run.instanceId, 15_000);
  t.is(v.status, 'FAILED');
  // Walk down the chain: depths 0..9 exist, the instance at depth 9 failed its step.
  let cur = v;
  for (let depth = 0; depth < 9; depth++) {
    t.is(cur.depth, depth);
    const o = cur.steps[0]!.overview as SubworkflowOverview;
    cur = await node.api.getInstance('recurse', o.instanceId!);
  }
  t.is(cur.depth, 9);
  t.regex(cur.steps[0]!.attempts[0]!.error!, /10 ancestors; the limit is 9/);
});

test('stopping a parent stops its running iterations and sync children; async children run on', async (t) => {
  await node.api.createWorkflow(JSON.stringify({ properties: PARALLEL, workflow: { id: 'held-child', steps: [{ step: { id: 'h', type: 'Hold' } }] } }));
  const run = await start(
    JSON.stringify({
      properties: PARALLEL,
      workflow: {
        id: 'cascade',
        steps: [
          { foreach: { id: 'loop', params: { loop_params: { value: { i: { value: [1, 2, 3], type: 'LONG_ARRAY' } }, type: 'MAP' } }, steps: [{ step: { id: 'h', type: 'Hold' } }] } },
          { subworkflow: { id: 'sync', params: { subworkflow_id: { value: 'held-child', type: 'STRING' } } } },
          { subworkflow: { id: 'async', sync: false, params: { subworkflow_id: { value: 'held-child', type: 'STRING' } } } },
        ],
      },
    }),
  );
  const v = await waitFor(
    node.api,
    run.workflowId,
    run.instanceId,
    (x) => overview(x)?.running.length === 3 && (x.steps[1]!.overview as SubworkflowOverview | undefined)?.instanceId !== undefined && x.steps[2]!.status === 'SUCCEEDED',
    { timeoutMs: 5_000 },
  );
  await node.api.stop(run.workflowId, run.instanceId);
  const o = overview(v);
  for (const id of [1, 2, 3]) t.is((await waitForEnd(node.api, o.inlineWorkflowId, id, 5_000)).status, 'STOPPED');
  const syncChild = (v.steps[1]!.overview as SubworkflowOverview).instanceId!;
  t.is((await waitForEnd(node.api, 'held-child', syncChild, 5_000)).status, 'STOPPED');
  const asyncChild = (v.steps[2]!.overview as SubworkflowOverview).instanceId!;
  const a = await node.api.getInstance('held-child', asyncChild);
  t.is(a.status, 'IN_PROGRESS', 'async children are immune to the parent stop');
  holds.release(a, 'h');
  t.is((await waitForEnd(node.api, 'held-child', asyncChild, 5_000)).status, 'SUCCEEDED');
});

test('a top-level template step fails the dry run, as in Maestro', async (t) => {
  const def = JSON.stringify({ properties: PARALLEL, workflow: { id: 'tmpl', steps: [{ template: { id: 't', sub_type: 'x' } }] } });
  await t.throwsAsync(node.api.validateWorkflow(def), { message: /template/ });
});

test('a parent restart re-runs the same subworkflow child as its next run', async (t) => {
  await node.api.createWorkflow(
    JSON.stringify({
      properties: PARALLEL,
      workflow: { id: 'flaky-child', steps: [{ step: { id: 'f', type: 'FailIf', retry_policy: NO_RETRY, params: { bad: { value: true, type: 'BOOLEAN' } } } }] },
    }),
  );
  const run = await start(JSON.stringify({ properties: PARALLEL, workflow: { id: 'restart-sub', steps: [{ subworkflow: { id: 'sub', params: { subworkflow_id: { value: 'flaky-child', type: 'STRING' } } } }] } }));
  const first = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(first.status, 'FAILED');
  const o1 = first.steps[0]!.overview as SubworkflowOverview;
  t.is(o1.status, 'FAILED');
  await node.api.restart(run.workflowId, run.instanceId, 'RESTART_FROM_INCOMPLETE');
  const second = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(second.runId, 2);
  const o2 = second.steps[0]!.overview as SubworkflowOverview;
  t.is(o2.instanceId, o1.instanceId, 'the same child instance');
  t.is(o2.runId, 2);
  t.is((await node.api.getInstance('flaky-child', o1.instanceId!)).runId, 2);
});

test('a while loop restarted from incomplete re-runs its last iteration with the values it had', async (t) => {
  const def = JSON.stringify({
    properties: PARALLEL,
    workflow: {
      id: 'restart-while',
      params: { stop_at: { value: 4, type: 'LONG' } }, // `i` in `bad` is the step's own i (i + 1), evaluated lazily
      steps: [
        {
          while: {
            id: 'w',
            condition: 'i < 5',
            params: { loop_params: { value: { i: { value: 1, type: 'LONG' } }, type: 'MAP' } },
            steps: [{ step: { id: 'f', type: 'FailIf', retry_policy: NO_RETRY, params: { bad: { expression: 'i == stop_at', type: 'BOOLEAN' }, i: { expression: 'i + 1', type: 'LONG' } } } }],
          },
        },
      ],
    },
  });
  const run = await start(def);
  const first = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(first.status, 'FAILED');
  const o1 = first.steps[0]!.overview as WhileOverview;
  t.is(o1.iterations, 3);
  t.deepEqual(o1.loopParamValues['i'], [1, 2, 3]);
  await node.api.restart(run.workflowId, run.instanceId, 'RESTART_FROM_INCOMPLETE');
  const second = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  const o2 = second.steps[0]!.overview as WhileOverview;
  t.is(o2.runId, 2);
  t.is(o2.iterations, 3, 'iteration 3 re-ran (and failed again: stop_at is unchanged)');
  t.deepEqual(o2.loopParamValues['i'], [1, 2, 3]);
  t.is((await node.api.getInstance(o2.inlineWorkflowId, 3)).runId, 2);
  t.is((await node.api.getInstance(o2.inlineWorkflowId, 2)).runId, 1, 'earlier iterations are kept');
});

test('a breakpoint on a step inside a foreach pauses it in every iteration; deleting it with resume lets them all go on', async (t) => {
  await node.api.createWorkflow(foreachWf('bp-loop', { i: { value: [1, 2, 3], type: 'LONG_ARRAY' } }, [{ step: { id: 'inner', type: 'NoOp' } }]));
  await node.api.createBreakpoint('bp-loop', 'inner');
  const run = await node.api.startWorkflow({ workflowId: 'bp-loop' });
  const v = await waitFor(node.api, run.workflowId, run.instanceId, (x) => overview(x)?.running.length === 3, { timeoutMs: 5_000 });
  const o = overview(v);
  for (const id of [1, 2, 3]) await waitFor(node.api, o.inlineWorkflowId, id, (x) => x.steps[0]!.status === 'PAUSED', { timeoutMs: 5_000 });
  const paused = await node.api.listPausedAttempts('bp-loop', 'inner');
  t.deepEqual(paused.map((p) => [p.workflowId, p.instanceId]).sort(), [1, 2, 3].map((id) => [o.inlineWorkflowId, id]));
  t.is(await node.api.deleteBreakpoint('bp-loop', 'inner', true), 3);
  const end = await waitForEnd(node.api, run.workflowId, run.instanceId, 5_000);
  t.is(end.status, 'SUCCEEDED');
});

test('subworkflow children obey the child workflow run strategy: three children of a SEQUENTIAL workflow run one at a time', async (t) => {
  await node.api.createWorkflow(JSON.stringify({ properties: { owner: 'tester', run_strategy: 'sequential' }, workflow: { id: 'seq-child', steps: [{ step: { id: 'h', type: 'Hold' } }] } }));
  const sub = (id: string) => ({ subworkflow: { id, params: { subworkflow_id: { value: 'seq-child', type: 'STRING' } } } });
  const run = await start(JSON.stringify({ properties: PARALLEL, workflow: { id: 'three-subs', steps: [sub('a'), sub('b'), sub('c')] } }));
  const childOf = (v: InstanceView, id: string) => (v.steps.find((s) => s.stepId === id)!.overview as SubworkflowOverview | undefined)?.instanceId;
  const v = await waitFor(node.api, run.workflowId, run.instanceId, (x) => ['a', 'b', 'c'].every((id) => childOf(x, id) !== undefined), { timeoutMs: 5_000 });
  const kids = ['a', 'b', 'c'].map((id) => childOf(v, id)!).sort((x, y) => x - y);
  t.deepEqual(kids, [1, 2, 3], 'numbered by the child workflow');
  for (let i = 0; i < 3; i++) {
    const views = await Promise.all(kids.map((k) => node.api.getInstance('seq-child', k)));
    t.is(views.filter((c) => c.status === 'IN_PROGRESS').length, 1, 'one child runs at a time');
    t.is(views.filter((c) => c.status === 'CREATED').length, 2 - i, 'the others are queued (CREATED)');
    const running = await waitFor(node.api, 'seq-child', views.find((c) => c.status === 'IN_PROGRESS')!.instanceId, (x) => x.steps[0]!.status === 'RUNNING', { timeoutMs: 5_000 });
    t.true(['a', 'b', 'c'].every((id) => v.steps.find((s) => s.stepId === id)!.status === 'RUNNING'), 'every parent step is RUNNING meanwhile');
    holds.release(running, 'h');
    await waitForEnd(node.api, 'seq-child', running.instanceId, 5_000);
    if (i < 2) await waitFor(node.api, 'seq-child', kids[i + 1]!, (x) => x.status === 'IN_PROGRESS', { timeoutMs: 5_000 });
  }
  t.is((await waitForEnd(node.api, run.workflowId, run.instanceId, 5_000)).status, 'SUCCEEDED');
});

test('restarting a step of an ended iteration restarts the loop root along the restart path: only that iteration re-runs', async (t) => {
  const body = [{ step: { id: 'f', type: 'FailOnce', retry_policy: NO_RETRY, params: { bad: { expression: 'i == 2', type: 'BOOLEAN' } } } }];
  const run = await start(foreachWf('inline-root', { i: { value: [1, 2, 3], type: 'LONG_ARRAY' } }, body));
  const first = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(first.status, 'FAILED');
  const o = overview(first);
  await node.api.stepAction(o.inlineWorkflowId, 2, 'f', 'restart');
  const second = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(second.runId, 2, 'the root ran again');
  t.is(second.status, 'SUCCEEDED');
  t.deepEqual(overview(second).details, { SUCCEEDED: [[1, 3]] });
  t.is((await node.api.getInstance(o.inlineWorkflowId, 2)).runId, 2, 'only the failed iteration re-ran');
  t.is((await node.api.getInstance(o.inlineWorkflowId, 1)).runId, 1);
});

test('an ended iteration restarted while its foreach runs runs again at once as its next run; the loop counts it once (Maestro pending RESTART)', async (t) => {
  const body = [
    { step: { id: 'f', type: 'FailOnce', retry_policy: NO_RETRY, params: { bad: { expression: 'i == 1', type: 'BOOLEAN' } }, transition: { successors: { h: 'true' } } } },
    { step: { id: 'h', type: 'Hold' } },
  ];
  const run = await start(foreachWf('iteration-restart', { i: { value: [1, 2, 3], type: 'LONG_ARRAY' } }, body, { concurrency: 2 }));
  const v = await waitFor(node.api, run.workflowId, run.instanceId, (x) => overview(x)?.details?.FAILED !== undefined && overview(x).running.length === 1, { timeoutMs: 5_000 });
  const inline = overview(v).inlineWorkflowId;
  t.deepEqual(overview(v).running, [2], 'iteration 1 failed; 2 holds; 3 is not launched after a failure');
  const err = await t.throwsAsync(node.api.restart(inline, 2));
  t.regex(err!.message, /cannot restart iteration .*: it is IN_PROGRESS/);

  const restarted = await node.api.restart(inline, 1);
  t.is(restarted.instanceId, 1);
  const again = await waitFor(node.api, run.workflowId, run.instanceId, (x) => overview(x)?.running.length === 2, { timeoutMs: 5_000 });
  t.deepEqual(overview(again).running, [1, 2]);
  t.is(overview(again).details?.FAILED, undefined, 'the failed run left the counts');
  const it1 = await waitFor(node.api, inline, 1, (x) => x.runId === 2 && x.steps.find((s) => s.stepId === 'h')?.status === 'RUNNING', { timeoutMs: 5_000 });
  const twice = await t.throwsAsync(node.api.restart(inline, 1));
  t.regex(twice!.message, /cannot restart iteration .*: it is IN_PROGRESS/, 'one restart at a time');
  holds.release(it1, 'h');
  holds.release(await waitFor(node.api, inline, 2, (x) => x.steps.find((s) => s.stepId === 'h')?.status === 'RUNNING', { timeoutMs: 5_000 }), 'h');
  holds.release(await waitFor(node.api, inline, 3, (x) => x.steps.find((s) => s.stepId === 'h')?.status === 'RUNNING', { timeoutMs: 5_000 }), 'h');
  const end = await waitForEnd(node.api, run.workflowId, run.instanceId, 10_000);
  t.is(end.status, 'SUCCEEDED', 'the failure was repaired, so the loop went on and launched iteration 3');
  t.is(end.runId, 1, 'the root did not restart');
  t.deepEqual(overview(end).details, { SUCCEEDED: [[1, 3]] });
  t.deepEqual(end.rollup.counts, { SUCCEEDED: 6 }, "iteration 1's failed run is not counted");
  await holds.idle();
});

test('restarting an ended iteration while its foreach runs is refused under FAIL_IMMEDIATELY', async (t) => {
  const held = await start(
    foreachWf('iteration-restart-fi', { i: { value: [1, 2], type: 'LONG_ARRAY' } }, [{ step: { id: 'h', type: 'Hold' } }], { concurrency: 1, failure_mode: 'FAIL_IMMEDIATELY' }),
  );
  const v = await waitFor(node.api, held.workflowId, held.instanceId, (x) => overview(x)?.running.length === 1, { timeoutMs: 5_000 });
  const inline = overview(v).inlineWorkflowId;
  holds.release(await waitFor(node.api, inline, 1, (x) => x.steps[0]!.status === 'RUNNING', { timeoutMs: 5_000 }), 'h');
  await waitForEnd(node.api, inline, 1, 5_000);
  const err = await t.throwsAsync(node.api.restart(inline, 1));
  t.regex(err!.message, /FAIL_IMMEDIATELY/);
  await node.api.stop(held.workflowId, held.instanceId);
  await holds.idle();
});

test('getFromForeach over 600 iterations finishing in any order: each value at its iteration; Java defaults where an iteration gave none', async (t) => {
  const def = (id: string, bad: string) =>
    foreachWf(
      id,
      { i: { expression: 'Util.intsBetween(0, 600, 1)', type: 'LONG_ARRAY' } },
      [{ step: { id: 'inner', type: 'FailIf', retry_policy: NO_RETRY, params: { v: { expression: 'i * 2', type: 'LONG' }, bad: { expression: bad, type: 'BOOLEAN' } } } }],
      { failure_mode: 'IGNORE_FAILURE' },
      [{ step: { id: 'after', type: 'NoOp', params: { all: { expression: "params.getFromForeach('loop', 'inner', 'v')", type: 'LONG_ARRAY' } } } }],
    );
  const ok = await start(def('reads-many', 'false'));
  const v = await waitForEnd(node.api, ok.workflowId, ok.instanceId, 30_000);
  t.deepEqual(v.steps[1]!.params['all'], Array.from({ length: 600 }, (_, i) => i * 2));
  // Iteration 300 fails: no new launches after it (Maestro), so later iterations give the default 0.
  const failing = await start(def('reads-some', 'i == 299'));
  const f = await waitForEnd(node.api, failing.workflowId, failing.instanceId, 30_000);
  t.is(f.steps[0]!.status, 'COMPLETED_WITH_ERROR');
  const succeeded = overview(f).details.SUCCEEDED ?? [];
  const ran = (id: number) => succeeded.some(([a, b]) => id >= a && id <= b);
  t.true(ran(299) && !ran(300) && !ran(600));
  t.deepEqual(f.steps[1]!.params['all'], Array.from({ length: 600 }, (_, i) => (ran(i + 1) ? i * 2 : 0)));
});
