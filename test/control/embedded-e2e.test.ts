import test from 'ava';
import { status } from '@grpc/grpc-js';
import { ControlError } from '../../src/control/errors.js';
import type { InstanceChange } from '../../src/core/instance/view.js';
import { startHarness, type Harness } from './harness.js';
import { waitForEnd } from '../helpers/wait.js';

// The gRPC API over the real embedded node with its own step types: what a client in another language sees.

let h: Harness;
const def = (id: string, steps: unknown[]): string =>
  JSON.stringify({
    properties: { owner: 'tester', run_strategy: 'parallel' },
    workflow: { id, params: { who: { type: 'STRING', value: 'nobody' }, n: { type: 'LONG', value: 1 } }, steps },
  });
const noop = (id: string, next?: string, params: unknown = {}) => ({ step: { id, type: 'NoOp', transition: next ? { successors: { [next]: 'true' } } : {}, params } });
const sleep = (id: string, seconds: number) => ({ step: { id, type: 'Sleep', transition: {}, params: { sleep_seconds: { type: 'LONG', value: seconds } } } });

test.before(async () => {
  h = await startHarness();
  await h.client.createWorkflow(def('e2e-quick', [noop('a', 'b', { greeting: { type: 'STRING', expression: "'hi ' + who" } }), noop('b')]));
  await h.client.createWorkflow(def('e2e-slow', [sleep('nap', 60)]));
});
test.after.always(async () => {
  await h?.close();
});

test('start with params and request_id, watch to the end, get the evaluated steps', async (t) => {
  const started = await h.client.startWorkflow({ workflowId: 'e2e-quick', params: { who: 'ann', n: '5' }, requestId: 'e2e-r1' });
  const again = await h.client.startWorkflow({ workflowId: 'e2e-quick', requestId: 'e2e-r1' });
  t.is(again.instanceId, started.instanceId);

  const changes: InstanceChange[] = [];
  for await (const c of h.client.watch('e2e-quick', started.instanceId)) changes.push(c);
  t.is(changes[0]?.message, 'snapshot');
  t.like(changes.at(-1), { stepId: undefined, status: 'SUCCEEDED' });

  const view = await h.client.getInstance('e2e-quick', started.instanceId);
  t.like(view, { status: 'SUCCEEDED', requestId: 'e2e-r1', runId: 1 });
  t.like(view.params, { who: 'ann', n: 5 }, 'the LONG param arrived coerced from its string');
  t.deepEqual(view.steps.map((s) => [s.stepId, s.status, s.attempts.length]), [['a', 'SUCCEEDED', 1], ['b', 'SUCCEEDED', 1]]);
  t.is(view.steps[0]?.params['greeting'], 'hi ann');
  t.true((view.steps[0]?.attempts[0]?.endedAtMs ?? 0) >= (view.steps[0]?.attempts[0]?.startedAtMs ?? Infinity));
});

test('list filters by status and pages', async (t) => {
  for (let i = 0; i < 3; i++) {
    const { instanceId } = await h.client.startWorkflow({ workflowId: 'e2e-quick' });
    await waitForEnd(h.client, 'e2e-quick', instanceId);
  }
  const first = await h.client.listInstances({ workflowId: 'e2e-quick', status: 'SUCCEEDED', pageSize: 2 });
  t.is(first.instances.length, 2);
  t.not(first.nextPageToken, '');
  const rest = await h.client.listInstances({ workflowId: 'e2e-quick', status: 'SUCCEEDED', pageSize: 50, pageToken: first.nextPageToken });
  const ids = [...first.instances, ...rest.instances].map((i) => i.instanceId);
  t.is(new Set(ids).size, ids.length, 'no instance on two pages');
  t.true(ids.length >= 3);
  const running = await h.client.listInstances({ workflowId: 'e2e-quick', status: 'IN_PROGRESS' });
  t.deepEqual(running.instances, []);
});

test('stop, restart and kill a sleeping run; restarting a running one is FAILED_PRECONDITION', async (t) => {
  const { instanceId } = await h.client.startWorkflow({ workflowId: 'e2e-slow' });
  const stopped = await h.client.stop('e2e-slow', instanceId);
  t.is(stopped.status, 'STOPPED');
  const restarted = await h.client.restart('e2e-slow', instanceId, 'RESTART_FROM_INCOMPLETE');
  t.like(restarted, { status: 'IN_PROGRESS', runId: 2, runPolicy: 'RESTART_FROM_INCOMPLETE' });
  const busy = await t.throwsAsync(h.client.restart('e2e-slow', instanceId, 'RESTART_FROM_BEGINNING'), { instanceOf: ControlError });
  t.is(busy?.code, status.FAILED_PRECONDITION);
  const killed = await h.client.kill('e2e-slow', instanceId);
  t.is(killed.status, 'FAILED');
});

test('engine validation errors arrive as INVALID_ARGUMENT naming the definition field', async (t) => {
  const cyclic = def('e2e-cycle', [noop('x', 'y'), noop('y', 'x')]);
  const err = await t.throwsAsync(h.client.createWorkflow(cyclic), { instanceOf: ControlError });
  t.is(err?.code, status.INVALID_ARGUMENT);
  t.regex(err?.path ?? '', /^workflow\.steps\[\d\]\.step\.transition/);
  const unknown = await t.throwsAsync(h.client.getInstance('e2e-quick', 9999), { instanceOf: ControlError });
  t.is(unknown?.code, status.NOT_FOUND);
});
