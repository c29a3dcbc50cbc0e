import test from 'ava';
import { createEmbeddedNode } from '../../src/node/embedded.js';
import { waitForEnd } from '../helpers/wait.js';
import type { InstanceChange } from '../../src/core/instance/view.js';

const def = (id: string, steps: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ properties: { owner: 'tester', run_strategy: 'parallel' }, workflow: { id, steps, ...extra } });
const noop = (id: string, next: Record<string, string> = {}) => ({ step: { id, type: 'NoOp', transition: { successors: next } } });

test('create, start and run a workflow to SUCCEEDED on the embedded node', async (t) => {
  const node = await createEmbeddedNode();
  t.teardown(() => node.close());
  const wf = await node.api.createWorkflow(def('etl', [noop('extract', { load: 'true' }), noop('load')]));
  t.is(wf.version, 1);
  t.true(wf.isActive);
  const started = await node.api.startWorkflow({ workflowId: 'etl' });
  const end = await waitForEnd(node.api, 'etl', started.instanceId);
  t.is(end.status, 'SUCCEEDED');
  t.deepEqual(end.steps.map((s) => [s.stepId, s.status, s.attempts.length]), [
    ['extract', 'SUCCEEDED', 1],
    ['load', 'SUCCEEDED', 1],
  ]);
});

test('a start with the same request id returns the same instance', async (t) => {
  const node = await createEmbeddedNode();
  t.teardown(() => node.close());
  await node.api.createWorkflow(def('dedup', [noop('a')]));
  const a = await node.api.startWorkflow({ workflowId: 'dedup', requestId: 'r-1' });
  const b = await node.api.startWorkflow({ workflowId: 'dedup', requestId: 'r-1' });
  const c = await node.api.startWorkflow({ workflowId: 'dedup', requestId: 'r-2' });
  t.is(a.instanceId, b.instanceId);
  t.not(a.instanceId, c.instanceId);
});

test('versions are immutable; activate picks which version a start uses', async (t) => {
  const node = await createEmbeddedNode();
  t.teardown(() => node.close());
  await node.api.createWorkflow(def('v', [noop('one')]));
  const v2 = await node.api.createWorkflow(def('v', [noop('one', { two: 'true' }), noop('two')]));
  t.is(v2.version, 2);
  t.is(v2.activeVersion, 2);
  await node.api.activateWorkflow('v', 1);
  const run = await node.api.startWorkflow({ workflowId: 'v' });
  t.is(run.version, 1);
  t.is(run.steps.length, 1);
  const pinned = await node.api.startWorkflow({ workflowId: 'v', version: 2 });
  t.is(pinned.steps.length, 2);
});

test('watch streams step and workflow changes; stop and restart work through the API', async (t) => {
  const node = await createEmbeddedNode();
  t.teardown(() => node.close());
  await node.api.createWorkflow(
    def('slow', [{ step: { id: 'nap', type: 'Sleep', params: { sleep_seconds: { value: 30, type: 'LONG' } } } }]),
  );
  const run = await node.api.startWorkflow({ workflowId: 'slow' });
  const seen: InstanceChange[] = [];
  let killed!: () => void;
  const killSeen = new Promise<void>((resolve) => (killed = resolve));
  const unwatch = await node.api.watchInstance('slow', run.instanceId, (c) => {
    seen.push(c);
    if (c.runId === 2 && c.stepId === undefined && c.status === 'FAILED') killed();
  });
  await t.throwsAsync(node.api.restart('slow', run.instanceId, 'RESTART_FROM_INCOMPLETE'), { message: /stop it first/ });
  const stopped = await node.api.stop('slow', run.instanceId);
  t.is(stopped.status, 'STOPPED');
  t.is(stopped.steps[0]!.status, 'STOPPED');
  await t.throwsAsync(node.api.stop('slow', run.instanceId), { message: /already STOPPED/ });
  const again = await node.api.restart('slow', run.instanceId, 'RESTART_FROM_BEGINNING');
  t.is(again.runId, 2);
  t.is(again.status, 'IN_PROGRESS');
  await node.api.kill('slow', run.instanceId);
  await killSeen; // fan-out is asynchronous: the kill's change arrives after the call returns
  unwatch();
  t.true(seen.some((c) => c.stepId === 'nap' && c.status === 'STOPPED'));
  t.true(seen.some((c) => c.stepId === undefined && c.status === 'STOPPED'));
});

test('list instances filters by workflow and status and pages', async (t) => {
  const node = await createEmbeddedNode();
  t.teardown(() => node.close());
  await node.api.createWorkflow(def('many', [noop('a')]));
  await node.api.createWorkflow(def('other', [noop('a')]));
  for (let i = 0; i < 5; i++) await waitForEnd(node.api, 'many', (await node.api.startWorkflow({ workflowId: 'many' })).instanceId);
  await node.api.startWorkflow({ workflowId: 'other' });
  const page1 = await node.api.listInstances({ workflowId: 'many', pageSize: 3 });
  t.deepEqual(page1.instances.map((i) => i.instanceId), [5, 4, 3]);
  const page2 = await node.api.listInstances({ workflowId: 'many', pageSize: 3, pageToken: page1.nextPageToken });
  t.deepEqual(page2.instances.map((i) => i.instanceId), [2, 1]);
  t.is(page2.nextPageToken, '');
  const ok = await node.api.listInstances({ status: 'SUCCEEDED' });
  t.true(ok.instances.every((i) => i.status === 'SUCCEEDED'));
});

test('bad input is refused with the field named', async (t) => {
  const node = await createEmbeddedNode();
  t.teardown(() => node.close());
  await t.throwsAsync(node.api.createWorkflow('{"properties": {"owner": "x"}, "workflow": {"id": "w", "steps": [], "bogus": 1}}'), {
    message: /workflow\.bogus/,
  });
  await t.throwsAsync(node.api.startWorkflow({ workflowId: 'missing' }), { message: /missing not found/ });
  await t.throwsAsync(node.api.getInstance('missing', 1), { message: /not found/ });
});

test('every expression of a definition is compiled at create: a SEL syntax error names the field, line and column', async (t) => {
  const node = await createEmbeddedNode();
  t.teardown(() => node.close());
  const bad = def('bad-sel', [
    { step: { id: 'a', type: 'NoOp', transition: { successors: { b: 'x >' } } } },
    { step: { id: 'b', type: 'NoOp' } },
  ]);
  const err = await t.throwsAsync(node.api.createWorkflow(bad));
  t.regex(err!.message, /^workflow\.steps\[0\]\.step\.transition\.successors\.b: invalid SEL expression: .*line 1/);
  const badParam = def('bad-param', [noop('a')], { params: { p: { expression: 'return (1 + ;', type: 'LONG' } } });
  await t.throwsAsync(node.api.validateWorkflow(badParam), { message: /^workflow\.params\.p\.expression: invalid SEL/ });
});

test('a run of NoOp steps is applied in one batch: the start already returns it SUCCEEDED, replayable', async (t) => {
  const node = await createEmbeddedNode();
  t.teardown(() => node.close());
  await node.api.createWorkflow(def('noops', [noop('a', { b: 'true' }), noop('b', { c: 'true' }), noop('c')]));
  const run = await node.api.startWorkflow({ workflowId: 'noops' });
  t.is(run.status, 'SUCCEEDED');
  t.deepEqual(run.steps.map((s) => s.status), ['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
});
