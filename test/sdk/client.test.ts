import test from 'ava';
import { status } from '@grpc/grpc-js';
import { ControlError, createClient, type InstanceChange, type MaestroClient } from '../../src/sdk/client.js';
import { definition, startHarness, type Harness } from '../control/harness.js';
import { waitForStep } from '../helpers/wait.js';

// The SDK's typed client against a real embedded node behind its gRPC server.

let h: Harness;
let maestro: MaestroClient;

const typed = JSON.stringify({
  properties: { owner: 'tester', run_strategy: 'parallel' },
  workflow: {
    id: 'sdk-typed',
    params: { n: { type: 'LONG', value: 1 }, ratio: { type: 'DOUBLE', value: 0.5 }, tags: { type: 'STRING_ARRAY', value: [] } },
    steps: [{ step: { id: 'echo', type: 'Echo', params: { say: { type: 'STRING', expression: "'n=' + n" } }, transition: {} } }],
  },
});
const waiting = JSON.stringify({
  properties: { owner: 'tester', run_strategy: 'parallel' },
  workflow: {
    id: 'sdk-signal',
    steps: [{ step: { id: 'gate', type: 'NoOp', signal_dependencies: [{ name: 'sdk/ready', match_params: { day: { param: { type: 'LONG', value: 20261206 }, operator: '=' } } }], transition: {} } }],
  },
});

test.before(async () => {
  h = await startHarness();
  maestro = createClient({ address: h.address, callTimeoutMs: 10_000 });
  await maestro.push(typed);
  await maestro.push(waiting);
  await maestro.push(definition('sdk-hold', [{ id: 'hold', type: 'Hold' }, { id: 'after' }]));
});
test.after.always(async () => {
  maestro?.close();
  await h?.close();
});

test('push returns the stored version; start takes plain params and gives them back plain and typed', async (t) => {
  const info = await maestro.push(typed);
  t.is(info.workflowId, 'sdk-typed');
  t.true(info.version >= 2);
  const started = await maestro.start('sdk-typed', { n: 20, ratio: 3, tags: ['a', 'b'] }, { requestId: 'sdk-1' });
  const done = await maestro.wait('sdk-typed', started.instanceId);
  t.is(done.status, 'SUCCEEDED');
  t.is(done.params['n'], 20);
  t.is(done.params['ratio'], 3);
  t.deepEqual(done.params['tags'], ['a', 'b']);
  t.deepEqual(done.steps[0]?.outputs, { echo: 'n=20' });
  const again = await maestro.start('sdk-typed', { n: 99 }, { requestId: 'sdk-1' });
  t.is(again.instanceId, started.instanceId, 'the request id dedups');
  t.is((await maestro.get('sdk-typed', started.instanceId)).requestId, 'sdk-1');
});

test('startAndWatch yields the snapshot first, then every change to the end', async (t) => {
  const changes: InstanceChange[] = [];
  for await (const c of maestro.startAndWatch('sdk-hold', {}, { requestId: 'sdk-hold-1' })) {
    changes.push(c);
    if (changes.length === 1) h.holds.release(await waitForStep(maestro.control, 'sdk-hold', c.instanceId, 'hold', 'RUNNING'), 'hold');
  }
  t.truthy(changes[0]?.snapshot);
  t.deepEqual(changes[0]?.snapshot?.steps.map((s) => s.stepId), ['hold', 'after']);
  const tail = changes.slice(1).map((c) => `${c.stepId ?? '-'}:${c.status}`);
  t.true(tail.includes('hold:SUCCEEDED') && tail.includes('after:SUCCEEDED'), tail.join(' '));
  t.is(tail[tail.length - 1], '-:SUCCEEDED');
});

test('run starts and waits in one call; wait by request id', async (t) => {
  const done = await maestro.run('sdk-typed', { n: 5 }, { requestId: 'sdk-run-1' });
  t.is(done.status, 'SUCCEEDED');
  t.deepEqual(done.steps[0]?.outputs, { echo: 'n=5' });
  const byRequest = await maestro.wait('sdk-typed', { requestId: 'sdk-run-1' });
  t.is(byRequest.instanceId, done.instanceId);
  t.is(byRequest.status, 'SUCCEEDED');
});

test('signal releases a step waiting on it', async (t) => {
  const started = await maestro.start('sdk-signal');
  await waitForStep(maestro.control, 'sdk-signal', started.instanceId, 'gate', 'WAITING_FOR_SIGNALS');
  const sent = await maestro.signal('sdk/ready', { day: 20261206 }, { payload: { note: 'ok' } });
  t.is(sent.name, 'sdk/ready');
  t.deepEqual(sent.payload, { note: 'ok' });
  const done = await maestro.wait('sdk-signal', started.instanceId);
  t.is(done.status, 'SUCCEEDED');
  t.is(done.steps[0]?.signalDependencies?.dependencies[0]?.status, 'MATCHED');
});

test('errors are ControlErrors with the gRPC code and the field', async (t) => {
  const missing = await t.throwsAsync(maestro.get('sdk-typed', 999_999), { instanceOf: ControlError });
  t.is((missing as ControlError).code, status.NOT_FOUND);
  const noRequest = await t.throwsAsync(maestro.wait('sdk-typed', { requestId: 'never-started' }), { instanceOf: ControlError });
  t.is((noRequest as ControlError).code, status.NOT_FOUND);
  t.throws(() => createClient({ address: '' }), { message: /address/ });
});
