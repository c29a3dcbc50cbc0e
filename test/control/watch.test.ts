import test from 'ava';
import { status } from '@grpc/grpc-js';
import { ControlError } from '../../src/control/errors.js';
import type { InstanceChange } from '../../src/core/instance/view.js';
import { definition, startFakeHarness, type Harness } from './harness.js';
import type { FakeEngine } from './fake-engine.js';

let h: Harness<FakeEngine>;
test.before(async () => {
  h = await startFakeHarness();
  await h.client.createWorkflow(definition('wf-watch', [{ id: 'hold', type: 'Block' }, { id: 'next' }]));
  await h.client.createWorkflow(definition('wf-quick', [{ id: 'a' }]));
});
test.after.always(async () => {
  await h?.close();
});

const line = (c: InstanceChange): string => `${c.stepId ?? '-'}:${c.status}`;

/** Polls `cond` (an engine-side fact with no event to await) for up to 5 s. */
async function eventually(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolves once the engine has a watcher on the instance (the server subscribed). */
const subscribed = (workflowId: string, instanceId: number, engine: FakeEngine = h.api): Promise<void> =>
  eventually(() => engine.watcherCount(workflowId, instanceId) > 0, 'the server subscribed');

test('watch streams a snapshot, then every change, and ends after the terminal status', async (t) => {
  const { instanceId } = await h.client.startWorkflow({ workflowId: 'wf-watch' });
  const changes: InstanceChange[] = [];
  const done = (async () => {
    for await (const c of h.client.watch('wf-watch', instanceId)) changes.push(c);
  })();
  await subscribed('wf-watch', instanceId);
  h.api.unblock('wf-watch', instanceId);
  await done;

  t.like(changes[0], { stepId: undefined, status: 'IN_PROGRESS', message: 'snapshot', workflowId: 'wf-watch', instanceId, runId: 1 });
  const rest = changes.slice(1).map(line);
  t.is(rest.at(-1), '-:SUCCEEDED');
  t.true(rest.includes('hold:SUCCEEDED'));
  t.deepEqual(rest.slice(rest.indexOf('next:CREATED')), ['next:CREATED', 'next:RUNNING', 'next:SUCCEEDED', '-:SUCCEEDED']);
  t.true(changes.every((c) => c.atMs > 0));
  t.is(changes.find((c) => c.stepId === 'next')?.attempt, 1);
  t.is(h.api.watcherCount('wf-watch', instanceId), 0, 'the server unsubscribed');
});

test('watch of a finished instance sends only the terminal snapshot', async (t) => {
  const { instanceId } = await h.client.startWorkflow({ workflowId: 'wf-quick' });
  for await (const _ of h.client.watch('wf-quick', instanceId));
  const changes: InstanceChange[] = [];
  for await (const c of h.client.watch('wf-quick', instanceId)) changes.push(c);
  t.deepEqual(changes.map(line), ['-:SUCCEEDED']);
  t.is(changes[0]?.message, 'snapshot');
});

test('a client that stops watching makes the server unsubscribe', async (t) => {
  const { instanceId } = await h.client.startWorkflow({ workflowId: 'wf-watch' });
  const seen: InstanceChange[] = [];
  let snapshot!: () => void;
  const gotSnapshot = new Promise<void>((r) => (snapshot = r));
  const cancel = await h.client.watchInstance('wf-watch', instanceId, (c) => {
    seen.push(c);
    snapshot();
  });
  await gotSnapshot;
  cancel();
  await eventually(() => h.api.watcherCount('wf-watch', instanceId) === 0, 'the server unsubscribed');
  await h.client.stop('wf-watch', instanceId);
  t.deepEqual(seen.map(line), ['-:IN_PROGRESS'], 'nothing is delivered after cancel');
});

test('breaking out of watch() cancels the stream and the server unsubscribes', async (t) => {
  const { instanceId } = await h.client.startWorkflow({ workflowId: 'wf-watch' });
  for await (const c of h.client.watch('wf-watch', instanceId)) {
    t.is(c.message, 'snapshot');
    break;
  }
  await eventually(() => h.api.watcherCount('wf-watch', instanceId) === 0, 'the server unsubscribed');
  await h.client.stop('wf-watch', instanceId);
});

test('callback watch reports the end, and errors as ControlError', async (t) => {
  const { instanceId } = await h.client.startWorkflow({ workflowId: 'wf-watch' });
  const seen: string[] = [];
  const ended = new Promise<ControlError | undefined>((resolve) => {
    void h.client.watchInstance('wf-watch', instanceId, (c) => seen.push(line(c)), resolve);
  });
  await subscribed('wf-watch', instanceId);
  await h.client.stop('wf-watch', instanceId);
  t.is(await ended, undefined);
  t.deepEqual(seen.slice(-2), ['hold:STOPPED', '-:STOPPED']);

  const failed = await new Promise<ControlError | undefined>((resolve) => {
    void h.client.watchInstance('wf-watch', 12345, () => t.fail('no change expected'), resolve);
  });
  t.is(failed?.code, status.NOT_FOUND);
});

test('watch of a bad request fails with the field named', async (t) => {
  const err = await t.throwsAsync(
    (async () => {
      for await (const _ of h.client.watch('', 1));
    })(),
    { instanceOf: ControlError },
  );
  t.is(err?.code, status.INVALID_ARGUMENT);
  t.is(err?.path, 'workflow_id');
});

test('closing the server ends open watch streams with UNAVAILABLE', async (t) => {
  const other = await startFakeHarness();
  await other.client.createWorkflow(definition('wf-close', [{ id: 'hold', type: 'Block' }]));
  const { instanceId } = await other.client.startWorkflow({ workflowId: 'wf-close' });
  const changes: string[] = [];
  const done = (async () => {
    for await (const c of other.client.watch('wf-close', instanceId)) changes.push(line(c));
  })();
  await subscribed('wf-close', instanceId, other.api);
  const started = Date.now();
  await other.server.close();
  const err = await t.throwsAsync(done, { instanceOf: ControlError });
  t.like(err, { code: status.UNAVAILABLE, kind: 'unavailable', retryable: true });
  t.true(Date.now() - started < 400, 'close did not wait for the grace period');
  t.deepEqual(changes, ['-:IN_PROGRESS']);
  t.is(other.api.watcherCount('wf-close', instanceId), 0);
  await other.close();
});
