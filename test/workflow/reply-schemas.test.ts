import test from 'ava';
import { readFileSync } from 'node:fs';
import { createEmbeddedNode } from '../../src/node/embedded.js';
import { MalformedReplyError } from '../../src/workflow/errors.js';
import { parseSummariesReply, parseViewReply } from '../../src/workflow/reply-schemas.js';
import { waitForEnd } from '../helpers/wait.js';

test('real views and summaries pass unchanged; malformed replies are MalformedReplyError naming the field', async (t) => {
  const node = await createEmbeddedNode({ partitions: 2 });
  t.teardown(() => node.close());
  const def = await node.api.createWorkflow(readFileSync('examples/conditional-branch.json', 'utf8'));
  const started = await node.api.startWorkflow({ workflowId: def.workflowId, params: { drift_threshold: 20 } });
  const view = await waitForEnd(node.api, started.workflowId, started.instanceId);
  t.true(view.steps.length > 0);
  t.deepEqual(parseViewReply('k', view), view);
  const { instances } = await node.api.listInstances({ workflowId: def.workflowId });
  t.deepEqual(parseSummariesReply('#p/0', instances), instances);

  const bad = { ...view, steps: [{ ...view.steps[0]!, status: 'DANCING' }] };
  const err = t.throws(() => parseViewReply('wf/1', bad), { instanceOf: MalformedReplyError });
  t.regex(err!.message, /malformed reply from the owner of wf\/1: invalid InstanceView reply: steps\[0\]\.status: /);
  t.is(err!.kind, 'internal');
  t.throws(() => parseSummariesReply('#p/1', true), { instanceOf: MalformedReplyError, message: /expected array/ });
  const stripped = parseViewReply('k', { ...view, steps: view.steps.map((s) => ({ ...s, injected: 1 })) });
  t.deepEqual(stripped, view, 'unknown fields are stripped inside lists too');
});
