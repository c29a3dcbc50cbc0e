import test from 'ava';
import { status } from '@grpc/grpc-js';
import { ControlError } from '../../src/control/errors.js';
import type { InstanceChange } from '../../src/core/instance/view.js';
import { definition, startHarness, type Harness } from './harness.js';
import { waitForEnd, waitForStep } from '../helpers/wait.js';

// WatchInstance over the real engine. The server subscribing is seen as the snapshot message (it
// is sent after the subscription); its unsubscribing in the harness's count of engine watches.

let h: Harness;
test.before(async () => {
  h = await startHarness();
  await h.client.createWorkflow(definition('wf-watch', [{ id: 'hold', type: 'Hold' }, { id: 'next' }]));
  await h.client.createWorkflow(definition('wf-quick', [{ id: 'a' }]));
});
test.after.always(async () => {
  await h?.close();
});

const line = (c: InstanceChange): string => `${c.stepId ?? '-'}:${c.status}`;

test('watch streams a snapshot, then every change, and ends after the terminal status', async (t) => {
  const { instanceId } = await h.client.startWorkflow({ workflowId: 'wf-watch' });
  const held = await waitForStep(h.client, 'wf-watch', instanceId, 'hold', 'RUNNING');
  const changes: InstanceChange[] = [];
  for await (const c of h.client.watch('wf-watch', instanceId)) {
    changes.push(c);
    if (changes.length === 1) h.holds.release(held, 'hold'); // subscribed: nothing after this is missed
  }

  t.like(changes[0], { stepId: undefined, status: 'IN_PROGRESS', message: 'snapshot', workflowId: 'wf-watch', instanceId, runId: 1 });
  t.deepEqual(changes.slice(1).map(line), ['hold:SUCCEEDED', 'next:RUNNING', 'next:SUCCEEDED', '-:SUCCEEDED']);
  t.true(changes.every((c) => c.atMs > 0 && c.runId === 1));
  t.is(changes.find((c) => c.stepId === 'next')?.attempt, 1);
  await t.notThrowsAsync(h.watchers.until('wf-watch', instanceId, 0), 'the server unsubscribed from the engine');
});

test('watch of a finished instance sends only the terminal snapshot', async (t) => {
  const { instanceId } = await h.client.startWorkflow({ workflowId: 'wf-quick' });
  await waitForEnd(h.client, 'wf-quick', instanceId);
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
  t.is(h.watchers.count('wf-watch', instanceId), 1);
  cancel();
  await h.watchers.until('wf-watch', instanceId, 0);
  await h.client.stop('wf-watch', instanceId);
  t.deepEqual(seen.map(line), ['-:IN_PROGRESS'], 'nothing is delivered after cancel');
});

test('breaking out of watch() cancels the stream and the server unsubscribes', async (t) => {
  const { instanceId } = await h.client.startWorkflow({ workflowId: 'wf-watch' });
  for await (const c of h.client.watch('wf-watch', instanceId)) {
    t.is(c.message, 'snapshot');
    t.is(h.watchers.count('wf-watch', instanceId), 1);
    break;
  }
  await h.watchers.until('wf-watch', instanceId, 0);
  await h.client.stop('wf-watch', instanceId);
});

test('callback watch reports the end, and errors as ControlError', async (t) => {
  const { instanceId } = await h.client.startWorkflow({ workflowId: 'wf-watch' });
  await waitForStep(h.client, 'wf-watch', instanceId, 'hold', 'RUNNING');
  const seen: string[] = [];
  let subscribed!: () => void;
  const gotSnapshot = new Promise<void>((r) => (subscribed = r));
  const ended = new Promise<ControlError | undefined>((resolve) => {
    void h.client.watchInstance(
      'wf-watch',
      instanceId,
      (c) => {
        seen.push(line(c));
        subscribed();
      },
      resolve,
    );
  });
  await gotSnapshot;
  await h.client.stop('wf-watch', instanceId);
  t.is(await ended, undefined);
  t.deepEqual(seen, ['-:IN_PROGRESS', 'hold:STOPPED', '-:STOPPED']);

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
  const other = await startHarness();
  t.teardown(() => other.close());
  await other.client.createWorkflow(definition('wf-close', [{ id: 'hold', type: 'Hold' }]));
  const { instanceId } = await other.client.startWorkflow({ workflowId: 'wf-close' });
  const changes: string[] = [];
  let subscribed!: () => void;
  const gotSnapshot = new Promise<void>((r) => (subscribed = r));
  const done = (async () => {
    for await (const c of other.client.watch('wf-close', instanceId)) {
      changes.push(line(c));
      subscribed();
    }
  })();
  await gotSnapshot;
  const started = Date.now();
  await other.server.close();
  const err = await t.throwsAsync(done, { instanceOf: ControlError });
  t.like(err, { code: status.UNAVAILABLE, kind: 'unavailable', retryable: true });
  t.true(Date.now() - started < 400, 'close did not wait for the grace period');
  t.deepEqual(changes, ['-:IN_PROGRESS']);
  t.is(other.watchers.count('wf-close', instanceId), 0);
});
