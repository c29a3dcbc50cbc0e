import test from 'ava';
import { status } from '@grpc/grpc-js';
import type { ControlClient } from '../../src/control/client.js';
import { ControlError } from '../../src/control/errors.js';
import type { InstanceView } from '../../src/core/instance/view.js';
import { definition, startFakeHarness, type Harness } from './harness.js';
import type { FakeEngine } from './fake-engine.js';

let h: Harness<FakeEngine>;
test.before(async () => {
  h = await startFakeHarness();
  await h.client.createWorkflow(definition('wf-run', [{ id: 'first' }, { id: 'second' }]));
  await h.client.createWorkflow(definition('wf-fail', [{ id: 'ok' }, { id: 'boom', type: 'Fail' }, { id: 'never' }]));
  await h.client.createWorkflow(definition('wf-block', [{ id: 'wait', type: 'Block' }, { id: 'after' }]));
});
test.after.always(async () => {
  await h?.close();
});

/** Follows the watch stream to its end (a terminal status), then reads the instance. */
async function finished(client: ControlClient, workflowId: string, instanceId: number): Promise<InstanceView> {
  for await (const _ of client.watch(workflowId, instanceId));
  return client.getInstance(workflowId, instanceId);
}

test('start passes typed params and returns the new instance', async (t) => {
  const view = await h.client.startWorkflow({ workflowId: 'wf-run', params: { name: 'ann', n: 3, on: true, tags: ['a'], nested: { k: null } } });
  t.like(view, { workflowId: 'wf-run', version: 1, runId: 1, status: 'IN_PROGRESS', runPolicy: 'START_FRESH_NEW_RUN' });
  t.true(view.instanceId > 0);
  t.deepEqual(view.params, { name: 'ann', n: 3, on: true, tags: ['a'], nested: { k: null } });
  t.deepEqual(view.steps.map((s) => s.stepId), ['first', 'second']);
});

test('a second start with the same request_id returns the first instance', async (t) => {
  const a = await h.client.startWorkflow({ workflowId: 'wf-run', requestId: 'req-42' });
  const b = await h.client.startWorkflow({ workflowId: 'wf-run', requestId: 'req-42' });
  const c = await h.client.startWorkflow({ workflowId: 'wf-run', requestId: 'req-43' });
  t.is(b.instanceId, a.instanceId);
  t.is(b.requestId, 'req-42');
  t.not(c.instanceId, a.instanceId);
});

test('get shows steps with attempts, statuses, timestamps and outputs', async (t) => {
  const started = await h.client.startWorkflow({ workflowId: 'wf-run', params: { x: 1 } });
  const view = await finished(h.client, 'wf-run', started.instanceId);
  t.is(view.status, 'SUCCEEDED');
  t.true((view.endedAtMs ?? 0) >= (view.startedAtMs ?? Infinity));
  for (const step of view.steps) {
    t.is(step.status, 'SUCCEEDED');
    t.is(step.stepType, 'NoOp');
    t.is(step.attempts.length, 1);
    const attempt = step.attempts[0]!;
    t.like(attempt, { attempt: 1, status: 'SUCCEEDED' });
    t.truthy(attempt.attemptId);
    t.true(attempt.createdAtMs > 0 && (attempt.endedAtMs ?? 0) >= (attempt.startedAtMs ?? Infinity));
    t.deepEqual(step.outputs, { echo: { x: 1 } });
    t.deepEqual(attempt.outputs, { echo: { x: 1 } });
  }
});

test('a failed step shows its error and fails the run', async (t) => {
  const started = await h.client.startWorkflow({ workflowId: 'wf-fail' });
  const view = await finished(h.client, 'wf-fail', started.instanceId);
  t.is(view.status, 'FAILED');
  t.is(view.error, 'step boom failed');
  t.deepEqual(view.steps.map((s) => s.status), ['SUCCEEDED', 'USER_FAILED', 'NOT_CREATED']);
  t.is(view.steps[1]?.attempts[0]?.error, 'step failed on purpose');
});

test('list filters by workflow and status and pages with tokens', async (t) => {
  await h.client.createWorkflow(definition('wf-page', [{ id: 'a' }]));
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) ids.push((await h.client.startWorkflow({ workflowId: 'wf-page' })).instanceId);
  for (const id of ids) await finished(h.client, 'wf-page', id);
  const blocked = await h.client.startWorkflow({ workflowId: 'wf-block' });

  const seen: number[] = [];
  let pageToken: string | undefined;
  let pages = 0;
  do {
    const page = await h.client.listInstances({ workflowId: 'wf-page', pageSize: 2, pageToken });
    t.true(page.instances.length <= 2);
    t.true(page.instances.every((i) => i.workflowId === 'wf-page' && i.status === 'SUCCEEDED'));
    seen.push(...page.instances.map((i) => i.instanceId));
    pageToken = page.nextPageToken || undefined;
    pages++;
  } while (pageToken !== undefined);
  t.is(pages, 3);
  t.deepEqual(seen, ids);

  const running = await h.client.listInstances({ status: 'IN_PROGRESS' });
  t.true(running.instances.some((i) => i.workflowId === 'wf-block' && i.instanceId === blocked.instanceId));
  t.true(running.instances.every((i) => i.status === 'IN_PROGRESS'));
  await h.client.stop('wf-block', blocked.instanceId);

  const err = await t.throwsAsync(h.client.listInstances({ pageSize: -1 }), { instanceOf: ControlError });
  t.is(err?.path, 'page_size');
});

test('stop ends a running instance STOPPED; stopping again is FAILED_PRECONDITION', async (t) => {
  const started = await h.client.startWorkflow({ workflowId: 'wf-block' });
  const stopped = await h.client.stop('wf-block', started.instanceId);
  t.is(stopped.status, 'STOPPED');
  t.is(stopped.steps[0]?.status, 'STOPPED');
  const err = await t.throwsAsync(h.client.stop('wf-block', started.instanceId), { instanceOf: ControlError });
  t.is(err?.code, status.FAILED_PRECONDITION);
  t.regex(err?.message ?? '', /already STOPPED/);
});

test('kill ends a running instance FAILED', async (t) => {
  const started = await h.client.startWorkflow({ workflowId: 'wf-block' });
  const killed = await h.client.kill('wf-block', started.instanceId);
  t.is(killed.status, 'FAILED');
});

test('restart from incomplete reruns only what did not succeed; from beginning reruns all', async (t) => {
  const started = await h.client.startWorkflow({ workflowId: 'wf-block' });
  // `wait` blocks until unblocked; stopping marks it STOPPED and `after` never runs.
  await h.client.stop('wf-block', started.instanceId);
  let view = await h.client.restart('wf-block', started.instanceId, 'RESTART_FROM_INCOMPLETE');
  t.like(view, { runId: 2, runPolicy: 'RESTART_FROM_INCOMPLETE', status: 'IN_PROGRESS' });
  const running = await t.throwsAsync(h.client.restart('wf-block', started.instanceId, 'RESTART_FROM_INCOMPLETE'), { instanceOf: ControlError });
  t.is(running?.code, status.FAILED_PRECONDITION);
  h.api.unblock('wf-block', started.instanceId);
  view = await finished(h.client, 'wf-block', started.instanceId);
  t.is(view.status, 'SUCCEEDED');
  t.is(view.steps[0]?.attempts.length, 2, 'the stopped step ran again as a second attempt');

  const again = await h.client.restart('wf-block', started.instanceId, 'RESTART_FROM_BEGINNING');
  t.like(again, { runId: 3, runPolicy: 'RESTART_FROM_BEGINNING' });
  t.true(again.steps.every((s) => s.attempts.length === 0));
  h.api.unblock('wf-block', started.instanceId);
  t.is((await finished(h.client, 'wf-block', started.instanceId)).status, 'SUCCEEDED');
  t.is(h.api.calls.filter((c) => c.method === 'restart').at(-1)?.args[2], 'RESTART_FROM_BEGINNING');
});

test('instance calls name bad fields and unknown instances', async (t) => {
  const zero = await t.throwsAsync(h.client.getInstance('wf-run', 0), { instanceOf: ControlError });
  t.is(zero?.path, 'instance_id');
  const missing = await t.throwsAsync(h.client.getInstance('wf-run', 999), { instanceOf: ControlError });
  t.is(missing?.code, status.NOT_FOUND);
  const noWorkflow = await t.throwsAsync(h.client.startWorkflow({ workflowId: '' }), { instanceOf: ControlError });
  t.is(noWorkflow?.path, 'workflow_id');
  const unknown = await t.throwsAsync(h.client.startWorkflow({ workflowId: 'nope' }), { instanceOf: ControlError });
  t.is(unknown?.kind, 'not_found');
});
