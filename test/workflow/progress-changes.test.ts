/**
 * src/workflow/progress-changes.ts: while an instance is watched, a child's end that moves a
 * composite step's counts without changing its status still reaches the watchers (the step's
 * status again); nothing extra when the status changed anyway.
 */
import test from 'ava';
import { createEmbeddedNode } from '../../src/node/embedded.js';
import type { InstanceChange } from '../../src/core/instance/view.js';
import { noteProgress, progressChanges } from '../../src/workflow/progress-changes.js';
import type { InstanceCommand } from '../../src/core/instance/commands.js';
import type { InstanceState } from '../../src/core/instance/state.js';
import { testRuntimes } from '../fixtures/test-runtimes.js';
import { waitForEnd, waitForStep } from '../helpers/wait.js';

test('a watched foreach reports each iteration\'s end as a change of the loop step, with its status', async (t) => {
  const rt = testRuntimes();
  const node = await createEmbeddedNode({ extraRuntimes: rt.runtimes });
  t.teardown(() => node.close());
  await node.api.createWorkflow(
    JSON.stringify({
      properties: { owner: 'tester' },
      workflow: { id: 'progress', steps: [{ foreach: { id: 'loop', params: { loop_params: { value: { i: { value: [1, 2], type: 'LONG_ARRAY' } }, type: 'MAP' } }, steps: [{ step: { id: 'w', type: 'Hold' } }] } }] },
    }),
  );
  const run = await node.api.startWorkflow({ workflowId: 'progress' });
  const root = await waitForStep(node.api, 'progress', run.instanceId, 'loop', 'RUNNING');
  const inline = (root.steps[0]!.overview as { inlineWorkflowId: string }).inlineWorkflowId;
  const it1 = await waitForStep(node.api, inline, 1, 'w', 'RUNNING');
  const it2 = await waitForStep(node.api, inline, 2, 'w', 'RUNNING');
  const seen: InstanceChange[] = [];
  let wake: (() => void) | undefined;
  const sub = await node.api.watchWithSnapshot('progress', run.instanceId, (c) => {
    seen.push(c);
    wake?.();
  });
  t.teardown(() => sub.stop());
  const next = async (pred: (c: InstanceChange) => boolean): Promise<InstanceChange> => {
    for (;;) {
      const c = seen.find(pred);
      if (c) return c;
      await new Promise<void>((r) => (wake = r));
    }
  };
  rt.holds.release(it1, 'w');
  const progress = await next((c) => c.stepId === 'loop');
  t.like(progress, { stepId: 'loop', status: 'RUNNING', attempt: 1, runId: 1 });
  t.true(progress.seq! > sub.view.seq!);
  const after = await node.api.getInstance('progress', run.instanceId);
  t.like(after.steps[0]!.overview, { running: [2], stats: { SUCCEEDED: 1 } });
  rt.holds.release(it2, 'w');
  await waitForEnd(node.api, 'progress', run.instanceId);
  await next((c) => c.stepId === undefined && c.status === 'SUCCEEDED');
  const loopChanges = seen.filter((c) => c.stepId === 'loop').map((c) => c.status);
  t.deepEqual(loopChanges, ['RUNNING', 'SUCCEEDED'], 'the last end changed the status: no extra RUNNING for it');
});

test('progressChanges: one change per moved step without one, none for a step the batch already changed', (t) => {
  const state = {
    workflowId: 'w',
    instanceId: 3,
    runId: 2,
    seq: 9,
    steps: { a: { status: 'RUNNING', attempts: [{ attempt: 1 }, { attempt: 2 }] }, b: { status: 'SUCCEEDED', attempts: [{ attempt: 1 }] } },
  } as unknown as InstanceState;
  let moved = noteProgress(undefined, { t: 'child-ended', stepId: 'a' } as never);
  moved = noteProgress(moved, { t: 'child-ended', stepId: 'b' } as never);
  moved = noteProgress(moved, { t: 'step-result' } as never);
  const commands: InstanceCommand[] = [{ c: 'changed', change: { workflowId: 'w', instanceId: 3, runId: 2, atMs: 5, stepId: 'b', status: 'SUCCEEDED', seq: 9 } }];
  progressChanges(moved, state, 7, commands);
  t.deepEqual(commands.slice(1), [{ c: 'changed', change: { workflowId: 'w', instanceId: 3, runId: 2, atMs: 7, stepId: 'a', attempt: 2, status: 'RUNNING', seq: 9 } }]);
  progressChanges(undefined, state, 7, commands);
  t.is(commands.length, 2);
});
