/**
 * Subworkflow children that end before their parent journaled which child it launched (a NoOp
 * child ends in the batch that creates it, before the launch reply comes back): the parent still
 * learns the end. And the nesting limit: a root with nine descendants runs, one more level fails.
 */
import test from 'ava';
import { createEmbeddedNode } from '../../src/node/embedded.js';
import { waitForEnd } from '../helpers/wait.js';

/** Workflow `${prefix}${level}` runs `${prefix}${level + 1}` as a subworkflow; the last level is a NoOp. */
function chainLevelDef(prefix: string, level: number, levels: number): string {
  const step =
    level + 1 < levels
      ? { subworkflow: { id: 'sub', params: { subworkflow_id: { value: `${prefix}${level + 1}`, type: 'STRING' } } } }
      : { step: { id: 'leaf', type: 'NoOp' } };
  return JSON.stringify({ properties: { owner: 'tester', run_strategy: 'parallel' }, workflow: { id: `${prefix}${level}`, steps: [step] } });
}

test('a chain of 10 nested subworkflows (NoOp leaf) runs to SUCCEEDED: each parent learns its instant child ended', async (t) => {
  const node = await createEmbeddedNode();
  t.teardown(() => node.close());
  for (let l = 9; l >= 0; l--) await node.api.createWorkflow(chainLevelDef('c', l, 10));
  for (let run = 0; run < 3; run++) {
    const root = await node.api.startWorkflow({ workflowId: 'c0' });
    const end = await waitForEnd(node.api, 'c0', root.instanceId);
    t.is(end.status, 'SUCCEEDED', end.error);
    t.deepEqual(end.rollup.counts, { SUCCEEDED: 1 });
    const ov = end.steps[0]!.overview;
    t.is(ov?.kind === 'subworkflow' ? ov.status : undefined, 'SUCCEEDED');
  }
  const leaf = await node.api.getInstance('c9', 1);
  t.is(leaf.depth, 9);
  t.is(leaf.parent?.workflowId, 'c8');
});

test('an 11th level is refused: the step that would create a 10th ancestor fails', async (t) => {
  const node = await createEmbeddedNode();
  t.teardown(() => node.close());
  for (let l = 10; l >= 0; l--) await node.api.createWorkflow(chainLevelDef('d', l, 11));
  const root = await node.api.startWorkflow({ workflowId: 'd0' });
  const end = await waitForEnd(node.api, 'd0', root.instanceId);
  t.is(end.status, 'FAILED');
  const deepest = await node.api.getInstance('d9', 1);
  t.is(deepest.status, 'FAILED');
  t.is(deepest.steps[0]!.status, 'FATALLY_FAILED');
  t.regex(deepest.steps[0]!.attempts.at(-1)?.error ?? '', /10 ancestors; the limit is 9/);
});
