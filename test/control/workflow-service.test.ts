import test from 'ava';
import { status } from '@grpc/grpc-js';
import { ControlError } from '../../src/control/errors.js';
import { definition, startHarness, type Harness } from './harness.js';

let h: Harness;
test.before(async () => {
  h = await startHarness();
});
test.after.always(async () => {
  await h?.close();
});

test('create stores versions; get returns the active one by default and any by number', async (t) => {
  const v1 = await h.client.createWorkflow(definition('wf-create', [{ id: 'a' }]), 'json');
  t.like(v1, { workflowId: 'wf-create', version: 1, isActive: true, activeVersion: 1 });
  t.true(v1.createdAtMs > 0);
  t.is(JSON.parse(v1.definitionJson).workflow.id, 'wf-create');

  const v2 = await h.client.createWorkflow(definition('wf-create', [{ id: 'a' }, { id: 'b' }], { is_active: false }));
  t.like(v2, { version: 2, isActive: false, activeVersion: 1 });

  t.like(await h.client.getWorkflow('wf-create'), { version: 1, isActive: true });
  t.like(await h.client.getWorkflow('wf-create', 2), { version: 2, isActive: false });
});

test('create accepts YAML', async (t) => {
  const yaml = ['properties:', '  owner: tester', 'workflow:', '  id: wf-yaml', '  steps:', '    - step: {id: only, type: NoOp}', ''].join('\n');
  const v = await h.client.createWorkflow(yaml, 'yaml');
  t.like(v, { workflowId: 'wf-yaml', version: 1 });
});

test('validate returns the workflow id and top-level steps without storing anything', async (t) => {
  const summary = await h.client.validateWorkflow(definition('wf-validate', [{ id: 'x' }, { id: 'y' }]));
  t.deepEqual(summary, { workflowId: 'wf-validate', stepIds: ['x', 'y'], isActive: true, warnings: [] });
  const err = await t.throwsAsync(h.client.getWorkflow('wf-validate'), { instanceOf: ControlError });
  t.is(err?.code, status.NOT_FOUND);
});

test('validate of a bad definition is INVALID_ARGUMENT naming the field', async (t) => {
  const bad = JSON.stringify({ properties: { owner: 'tester' }, workflow: { id: 'wf-bad', steps: [{ step: { type: 'NoOp' } }] } });
  const err = await t.throwsAsync(h.client.validateWorkflow(bad), { instanceOf: ControlError });
  t.is(err?.code, status.INVALID_ARGUMENT);
  t.is(err?.kind, 'invalid_argument');
  t.is(err?.path, 'workflow.steps[0].step.id');
  t.regex(err?.message ?? '', /^workflow\.steps\[0\]\.step\.id: /);
});

test('list shows every workflow with latest and active versions', async (t) => {
  await h.client.createWorkflow(definition('wf-list', [{ id: 'a' }]));
  await h.client.createWorkflow(definition('wf-list', [{ id: 'a' }], { is_active: false }));
  const all = await h.client.listWorkflows();
  const mine = all.find((w) => w.workflowId === 'wf-list');
  t.like(mine, { latestVersion: 2, activeVersion: 1 });
  t.true((mine?.createdAtMs ?? 0) > 0);
});

test('activate switches the default version', async (t) => {
  await h.client.createWorkflow(definition('wf-activate', [{ id: 'a' }]));
  await h.client.createWorkflow(definition('wf-activate', [{ id: 'a' }], { is_active: false }));
  const activated = await h.client.activateWorkflow('wf-activate', 2);
  t.like(activated, { version: 2, isActive: true, activeVersion: 2 });
  t.like(await h.client.getWorkflow('wf-activate'), { version: 2 });
  const err = await t.throwsAsync(h.client.activateWorkflow('wf-activate', 0), { instanceOf: ControlError });
  t.is(err?.path, 'version');
});

test('delete removes the workflow', async (t) => {
  await h.client.createWorkflow(definition('wf-delete', [{ id: 'a' }]));
  await h.client.deleteWorkflow('wf-delete');
  const err = await t.throwsAsync(h.client.getWorkflow('wf-delete'), { instanceOf: ControlError });
  t.is(err?.code, status.NOT_FOUND);
  const again = await t.throwsAsync(h.client.deleteWorkflow('wf-delete'), { instanceOf: ControlError });
  t.is(again?.kind, 'not_found');
});

test('requests missing a required field are rejected before the engine, naming the proto field', async (t) => {
  const noId = await t.throwsAsync(h.client.getWorkflow(''), { instanceOf: ControlError });
  t.is(noId?.code, status.INVALID_ARGUMENT);
  t.is(noId?.path, 'workflow_id');
  const noText = await t.throwsAsync(h.client.createWorkflow('  '), { instanceOf: ControlError });
  t.is(noText?.path, 'definition');
});
