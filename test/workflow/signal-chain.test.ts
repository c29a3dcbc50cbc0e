/**
 * A chain of workflows driven by signals (maestro-semantics §8.4, §9): a step of `chain-a`
 * announces `chain/ready` with a run param in its signal_outputs; `chain-b` has a signal trigger
 * on that name, so each run of A starts one run of B, whose params read the signal
 * (getFromSignal); a second run of A announcing the same name + params is deduplicated by the
 * store, so B fires once per distinct announcement, as in Maestro.
 */
import test from 'ava';
import { createEmbeddedNode, type EmbeddedNode } from '../../src/node/embedded.js';
import { waitForEnd } from '../helpers/wait.js';

let node: EmbeddedNode;
test.before(async () => {
  node = await createEmbeddedNode({ partitions: 4, logLevel: 'silent' });
});
test.after.always(() => node?.close());

const props = { owner: 'tester', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 10 } };

async function instancesOf(workflowId: string, n: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const page = await node.api.listInstances({ workflowId, pageSize: 100 });
    if (page.instances.length >= n) return page.instances;
    if (Date.now() > deadline) throw new Error(`only ${page.instances.length}/${n} instances of ${workflowId}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a step output signal starts the next workflow through its signal trigger; a repeated announcement is deduplicated', async (t) => {
  await node.api.createWorkflow(
    JSON.stringify({
      properties: props,
      workflow: {
        id: 'chain-b',
        signal_triggers: [{ definitions: { 'chain/ready': { match_params: { stage: { value: 'extract', operator: '=' } } } } }],
        steps: [{ step: { id: 'load', type: 'NoOp', params: { day: { expression: "params.getFromSignal('chain/ready', 'day')", type: 'LONG' } } } }],
      },
    }),
  );
  await node.api.createWorkflow(
    JSON.stringify({
      properties: props,
      workflow: {
        id: 'chain-a',
        params: { day: { value: 0, type: 'LONG' } },
        steps: [
          {
            step: {
              id: 'extract',
              type: 'NoOp',
              signal_outputs: [{ name: 'chain/ready', params: { stage: { value: 'extract', type: 'STRING' }, day: { expression: 'day', type: 'LONG' } } }],
            },
          },
        ],
      },
    }),
  );

  const a1 = await node.api.startWorkflow({ workflowId: 'chain-a', params: { day: 20260101 } });
  t.is((await waitForEnd(node.api, 'chain-a', a1.instanceId, 10_000)).status, 'SUCCEEDED');
  const [b1] = await instancesOf('chain-b', 1);
  const v1 = await waitForEnd(node.api, 'chain-b', b1!.instanceId, 10_000);
  t.is(v1.status, 'SUCCEEDED');
  t.is(v1.initiator, 'SIGNAL');
  t.is(v1.steps[0]!.params['day'], 20260101, 'the triggered run reads the announcing step params');

  // The same name and params again (another run of A, same day): the store dedups it, nothing fires.
  const a2 = await node.api.startWorkflow({ workflowId: 'chain-a', params: { day: 20260101 } });
  await waitForEnd(node.api, 'chain-a', a2.instanceId, 10_000);
  const dup = (await node.api.getInstance('chain-a', a2.instanceId)).steps[0]!;
  t.truthy(dup, 'the second run of A ran its step');
  // A new day is a new signal: B runs again.
  const a3 = await node.api.startWorkflow({ workflowId: 'chain-a', params: { day: 20260102 } });
  await waitForEnd(node.api, 'chain-a', a3.instanceId, 10_000);
  const bs = await instancesOf('chain-b', 2);
  const days = await Promise.all(bs.map(async (b) => (await waitForEnd(node.api, 'chain-b', b.instanceId, 10_000)).steps[0]!.params['day']));
  t.deepEqual(days.sort(), [20260101, 20260102]);
  t.is((await node.api.listSignals('chain/ready')).instances.length, 2, 'two distinct announcements stored, the repeat deduplicated');
  t.is((await node.api.listInstances({ workflowId: 'chain-b', pageSize: 100 })).instances.length, 2, 'B ran once per distinct announcement');
});
