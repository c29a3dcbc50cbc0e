import test from 'ava';
import { status } from '@grpc/grpc-js';
import { ControlError } from '../../src/control/errors.js';
import { startHarness, type Harness } from './harness.js';
import { waitForEnd, waitForStep } from '../helpers/wait.js';

// PutStepOutputs over gRPC against the real embedded node.

let h: Harness;
const def = (id: string): string =>
  JSON.stringify({
    properties: { owner: 'tester', run_strategy: 'sequential' },
    workflow: {
      id,
      steps: [
        {
          step: {
            id: 'load',
            type: 'Hold',
            params: { table: { type: 'STRING', value: 'raw' } },
            transition: { successors: { big: 'rows > 100', small: 'rows <= 100' } },
          },
        },
        { step: { id: 'big', type: 'NoOp', transition: {} } },
        { step: { id: 'small', type: 'NoOp', transition: {} } },
      ],
    },
  });

test.before(async () => {
  h = await startHarness();
  await h.client.createWorkflow(def('po'));
});
test.after.always(async () => {
  await h?.close();
});

const codeOf = (err: unknown): unknown => (err instanceof ControlError ? err.code : err);

test('outputs put on a running step show in its params and attempt outputs; stop ends the run', async (t) => {
  const { instanceId } = await h.client.startWorkflow({ workflowId: 'po' });
  await waitForStep(h.client, 'po', instanceId, 'load', 'RUNNING');

  const put = await h.client.putStepOutputs('po', instanceId, 'load', { rows: 120, table: 'events', parts: ['a', 'b'] });
  const putStep = put.steps.find((s) => s.stepId === 'load');
  t.is(putStep?.status, 'RUNNING');
  t.is(putStep?.params['rows'], 120);

  const view = await h.client.getInstance('po', instanceId);
  const load = view.steps.find((s) => s.stepId === 'load');
  t.like(load?.params, { rows: 120, table: 'events' });
  t.deepEqual(load?.params['parts'], ['a', 'b']);
  t.like(load?.attempts.at(-1)?.outputs, { rows: 120, table: 'events' });
  t.deepEqual(
    view.steps.filter((s) => s.stepId !== 'load').map((s) => s.status),
    ['NOT_CREATED', 'NOT_CREATED'],
    'successors wait for the step to end',
  );

  const stopped = await h.client.stop('po', instanceId);
  t.is(stopped.status, 'STOPPED');
});

test('a later step condition sees the put output: rows > 100 takes the big branch', async (t) => {
  const { instanceId } = await h.client.startWorkflow({ workflowId: 'po' });
  await waitForStep(h.client, 'po', instanceId, 'load', 'RUNNING');
  const put = await h.client.putStepOutputs('po', instanceId, 'load', { rows: 120 });
  h.holds.release(put, 'load');
  const view = await waitForEnd(h.client, 'po', instanceId);
  t.is(view.status, 'SUCCEEDED');
  const statusOf = (id: string) => view.steps.find((s) => s.stepId === id)?.status;
  t.is(statusOf('load'), 'SUCCEEDED');
  t.is(statusOf('big'), 'SUCCEEDED');
  t.not(statusOf('small'), 'SUCCEEDED', 'rows <= 100 is false');
});

test('a step that is not running is FAILED_PRECONDITION; an unknown step INVALID_ARGUMENT naming step_id', async (t) => {
  const { instanceId } = await h.client.startWorkflow({ workflowId: 'po' });
  await waitForStep(h.client, 'po', instanceId, 'load', 'RUNNING');

  const unknown = await t.throwsAsync(h.client.putStepOutputs('po', instanceId, 'nope', { rows: 1 }), { instanceOf: ControlError });
  t.is(codeOf(unknown), status.INVALID_ARGUMENT);
  t.is(unknown?.path, 'step_id');
  t.regex(unknown?.message ?? '', /^step_id: .*nope/);

  const waiting = await t.throwsAsync(h.client.putStepOutputs('po', instanceId, 'big', { rows: 1 }), { instanceOf: ControlError });
  t.is(codeOf(waiting), status.FAILED_PRECONDITION, 'a step that has not started yet is refused');
  t.regex(waiting?.message ?? '', /big.*NOT_CREATED/);

  await h.client.stop('po', instanceId);
  const stopped = await t.throwsAsync(h.client.putStepOutputs('po', instanceId, 'load', { rows: 1 }), { instanceOf: ControlError });
  t.is(codeOf(stopped), status.FAILED_PRECONDITION);
  t.regex(stopped?.message ?? '', /load.*STOPPED.*RUNNING/);
  t.is((await h.client.getInstance('po', instanceId)).steps[0]?.params['rows'], undefined, 'nothing was merged');
});

test('the request is checked: step_id, instance_id and at least one output', async (t) => {
  const cases: Array<[Promise<unknown>, string]> = [
    [h.client.putStepOutputs('po', 1, '', { rows: 1 }), 'step_id'],
    [h.client.putStepOutputs('po', 0, 'load', { rows: 1 }), 'instance_id'],
    [h.client.putStepOutputs('po', 1, 'load', {}), 'outputs'],
    [h.client.putStepOutputs('', 1, 'load', { rows: 1 }), 'workflow_id'],
  ];
  for (const [call, field] of cases) {
    const err = await t.throwsAsync(call, { instanceOf: ControlError });
    t.is(codeOf(err), status.INVALID_ARGUMENT, field);
    t.is(err?.path, field);
  }
  const missing = await t.throwsAsync(h.client.putStepOutputs('po', 9999, 'load', { rows: 1 }), { instanceOf: ControlError });
  t.is(codeOf(missing), status.NOT_FOUND);
});
