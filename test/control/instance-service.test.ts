import test from 'ava';
import { status } from '@grpc/grpc-js';
import { ControlError } from '../../src/control/errors.js';
import { definition, startHarness, type Harness } from './harness.js';
import { waitForEnd, waitForStep } from '../helpers/wait.js';

let h: Harness;
test.before(async () => {
  h = await startHarness();
  await h.client.createWorkflow(definition('wf-run', [{ id: 'first', type: 'Echo', params: { say: { type: 'STRING', expression: "'hi ' + name" } } }, { id: 'second' }]));
  await h.client.createWorkflow(definition('wf-fail', [{ id: 'ok' }, { id: 'boom', type: 'Fail', params: { error: { type: 'STRING', value: 'disk full' } }, retries: 0 }, { id: 'never' }]));
  await h.client.createWorkflow(definition('wf-block', [{ id: 'first' }, { id: 'wait', type: 'Hold' }, { id: 'after' }]));
});
test.after.always(async () => {
  await h?.close();
});

test('start passes typed params and returns the new instance', async (t) => {
  const params = { name: 'ann', n: 3, on: true, tags: ['a'], nested: { k: 'v', deep: [1, 2] } };
  const view = await h.client.startWorkflow({ workflowId: 'wf-run', params });
  t.like(view, { workflowId: 'wf-run', version: 1, runId: 1, runPolicy: 'START_FRESH_NEW_RUN' });
  t.true(view.instanceId > 0);
  t.like(view.params, params);
  t.truthy(view.params['RUN_TS'], 'system params are resolved at start');
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
  const started = await h.client.startWorkflow({ workflowId: 'wf-run', params: { name: 'bo' } });
  const view = await waitForEnd(h.client, 'wf-run', started.instanceId);
  t.is(view.status, 'SUCCEEDED');
  t.true((view.endedAtMs ?? 0) >= (view.startedAtMs ?? Infinity));
  t.deepEqual(view.steps.map((s) => [s.stepId, s.stepType, s.status, s.attempts.length]), [
    ['first', 'Echo', 'SUCCEEDED', 1],
    ['second', 'NoOp', 'SUCCEEDED', 1],
  ]);
  for (const step of view.steps) {
    const attempt = step.attempts[0]!;
    t.like(attempt, { attempt: 1, status: 'SUCCEEDED' });
    t.truthy(attempt.attemptId);
    t.true(attempt.createdAtMs > 0 && (attempt.endedAtMs ?? 0) >= (attempt.startedAtMs ?? Infinity), step.stepId);
  }
  const first = view.steps[0]!;
  t.is(first.params['say'], 'hi bo');
  t.deepEqual(first.outputs, { echo: 'hi bo' });
  t.deepEqual(first.attempts[0]?.outputs, { echo: 'hi bo' });
});

test('a failed step shows its error and fails the run', async (t) => {
  const started = await h.client.startWorkflow({ workflowId: 'wf-fail' });
  const view = await waitForEnd(h.client, 'wf-fail', started.instanceId);
  t.is(view.status, 'FAILED');
  t.regex(view.error ?? '', /boom.*disk full/);
  t.deepEqual(view.steps.map((s) => s.status), ['SUCCEEDED', 'USER_FAILED', 'NOT_CREATED']);
  t.is(view.steps[1]?.attempts.length, 1, 'retry limit 0: one attempt');
  t.is(view.steps[1]?.attempts[0]?.error, 'disk full');
});

test('list filters by workflow and status and pages with tokens (newest first)', async (t) => {
  await h.client.createWorkflow(definition('wf-page', [{ id: 'a' }]));
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) ids.push((await h.client.startWorkflow({ workflowId: 'wf-page' })).instanceId);
  for (const id of ids) await waitForEnd(h.client, 'wf-page', id);
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
  t.deepEqual(seen, [...ids].reverse());

  const running = await h.client.listInstances({ status: 'IN_PROGRESS' });
  t.true(running.instances.some((i) => i.workflowId === 'wf-block' && i.instanceId === blocked.instanceId));
  t.true(running.instances.every((i) => i.status === 'IN_PROGRESS'));
  t.false(running.instances.some((i) => i.workflowId === 'wf-page'));
  await h.client.stop('wf-block', blocked.instanceId);

  const err = await t.throwsAsync(h.client.listInstances({ pageSize: -1 }), { instanceOf: ControlError });
  t.is(err?.path, 'page_size');
});

test('stop ends a running instance STOPPED; stopping again is FAILED_PRECONDITION', async (t) => {
  const started = await h.client.startWorkflow({ workflowId: 'wf-block' });
  await waitForStep(h.client, 'wf-block', started.instanceId, 'wait', 'RUNNING');
  const stopped = await h.client.stop('wf-block', started.instanceId);
  t.is(stopped.status, 'STOPPED');
  t.deepEqual(stopped.steps.map((s) => s.status), ['SUCCEEDED', 'STOPPED', 'NOT_CREATED']);
  const err = await t.throwsAsync(h.client.stop('wf-block', started.instanceId), { instanceOf: ControlError });
  t.is(err?.code, status.FAILED_PRECONDITION);
  t.regex(err?.message ?? '', /already STOPPED/);
});

test('kill ends a running instance FAILED', async (t) => {
  const started = await h.client.startWorkflow({ workflowId: 'wf-block' });
  await waitForStep(h.client, 'wf-block', started.instanceId, 'wait', 'RUNNING');
  const killed = await h.client.kill('wf-block', started.instanceId);
  t.is(killed.status, 'FAILED');
  t.deepEqual(killed.steps.map((s) => s.status), ['SUCCEEDED', 'STOPPED', 'NOT_CREATED']);
});

test('restart from incomplete reruns only what did not succeed; from beginning reruns all', async (t) => {
  const { instanceId } = await h.client.startWorkflow({ workflowId: 'wf-block' });
  const run1 = await waitForStep(h.client, 'wf-block', instanceId, 'wait', 'RUNNING');
  const attemptOf = (v: typeof run1, stepId: string) => v.steps.find((s) => s.stepId === stepId)?.attempts.at(-1)?.attemptId;
  await h.client.stop('wf-block', instanceId);

  const run2 = await h.client.restart('wf-block', instanceId, 'RESTART_FROM_INCOMPLETE');
  t.like(run2, { runId: 2, runPolicy: 'RESTART_FROM_INCOMPLETE', status: 'IN_PROGRESS' });
  t.is(attemptOf(run2, 'first'), attemptOf(run1, 'first'), 'the step that succeeded keeps its run-1 attempt');
  t.not(attemptOf(run2, 'wait'), attemptOf(run1, 'wait'), 'the stopped step runs again in run 2');
  const running = await t.throwsAsync(h.client.restart('wf-block', instanceId, 'RESTART_FROM_INCOMPLETE'), { instanceOf: ControlError });
  t.is(running?.code, status.FAILED_PRECONDITION);
  h.holds.release(run2, 'wait');
  const done2 = await waitForEnd(h.client, 'wf-block', instanceId);
  t.like(done2, { status: 'SUCCEEDED', runId: 2 });

  const run3 = await h.client.restart('wf-block', instanceId, 'RESTART_FROM_BEGINNING');
  t.like(run3, { runId: 3, runPolicy: 'RESTART_FROM_BEGINNING', status: 'IN_PROGRESS' });
  t.not(attemptOf(run3, 'first'), attemptOf(run1, 'first'), 'every step runs again in run 3');
  t.is(run3.steps.find((s) => s.stepId === 'after')?.status, 'NOT_CREATED');
  h.holds.release(await waitForStep(h.client, 'wf-block', instanceId, 'wait', 'RUNNING', { runId: 3 }), 'wait');
  t.like(await waitForEnd(h.client, 'wf-block', instanceId), { status: 'SUCCEEDED', runId: 3 });
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
