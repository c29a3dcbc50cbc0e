import test from 'ava';
import { status } from '@grpc/grpc-js';
import { ControlError } from '../../src/control/errors.js';
import type { WatchedChange } from '../../src/control/client.js';
import { definition, startHarness, type Harness } from './harness.js';
import { waitForEnd, waitForStep } from '../helpers/wait.js';

// StartAndWatch, WatchInstance by request_id, and the snapshot-first stream over the real node.

let h: Harness;
test.before(async () => {
  h = await startHarness();
  await h.client.createWorkflow(definition('saw-hold', [{ id: 'hold', type: 'Hold' }, { id: 'next' }, { id: 'last' }]));
  await h.client.createWorkflow(definition('saw-quick', [{ id: 'a' }, { id: 'b' }, { id: 'c' }]));
});
test.after.always(async () => {
  await h?.close();
});

const line = (c: WatchedChange): string => `${c.stepId ?? '-'}:${c.status}`;

test('StartAndWatch: the snapshot right after the start (steps included), then every later change in seq order', async (t) => {
  const changes: WatchedChange[] = [];
  let released = false;
  for await (const c of h.client.startAndWatch({ workflowId: 'saw-hold', params: { p: 1 }, requestId: 'saw-1' })) {
    changes.push(c);
    if (!released) {
      // Release only once the stream is live: every change after this must be streamed.
      released = true;
      h.holds.release(await waitForStep(h.client, 'saw-hold', c.instanceId, 'hold', 'RUNNING'), 'hold');
    }
  }
  const first = changes[0]!;
  t.is(first.message, 'snapshot');
  t.truthy(first.snapshot, 'the first change carries the whole instance');
  t.is(first.snapshot!.instanceId, first.instanceId);
  t.is(first.snapshot!.requestId, 'saw-1');
  t.is(first.snapshot!.params['p'], 1);
  t.deepEqual(first.snapshot!.steps.map((s) => s.stepId), ['hold', 'next', 'last']);
  t.true(changes.slice(1).every((c) => c.snapshot === undefined), 'only the first carries a snapshot');

  // Nothing older than the snapshot, and nothing lost after it: the steps the snapshot shows not
  // yet ended appear in the changes with each status they went through.
  const snapSeq = first.seq!;
  t.true(snapSeq > 0);
  const seqs = changes.slice(1).map((c) => c.seq!);
  t.true(seqs.every((s) => s > snapSeq), `every change is newer than the snapshot (${snapSeq}): ${seqs.join(',')}`);
  t.deepEqual([...seqs].sort((a, b) => a - b), seqs, 'in journal order');
  const snapHold = first.snapshot!.steps.find((s) => s.stepId === 'hold')!;
  t.true(['CREATED', 'INITIALIZED', 'STARTING', 'RUNNING', 'NOT_CREATED', 'EVALUATING_PARAMS', 'WAITING_FOR_PERMITS'].includes(snapHold.status));
  const expected = [...(snapHold.status === 'RUNNING' ? [] : ['hold:RUNNING']), 'hold:SUCCEEDED', 'next:RUNNING', 'next:SUCCEEDED', 'last:RUNNING', 'last:SUCCEEDED', '-:SUCCEEDED'];
  t.deepEqual(
    changes
      .slice(1)
      .map(line)
      .filter((l) => /SUCCEEDED|RUNNING$/.test(l)),
    expected,
  );
  t.is(line(changes[changes.length - 1]!), '-:SUCCEEDED', 'ends after the terminal status');
});

test('StartAndWatch of a run that ends at once: a terminal snapshot with every step, and the stream ends', async (t) => {
  const changes: WatchedChange[] = [];
  for await (const c of h.client.startAndWatch({ workflowId: 'saw-quick' })) changes.push(c);
  const snap = changes[0]!.snapshot!;
  t.truthy(snap);
  // NoOp chains run inline with the start, so the run may be over before the watch begins.
  const end = changes[changes.length - 1]!;
  t.is(line(end), '-:SUCCEEDED');
  if (snap.status === 'SUCCEEDED') {
    t.is(changes.length, 1);
    t.deepEqual(snap.steps.map((s) => [s.stepId, s.status]), [['a', 'SUCCEEDED'], ['b', 'SUCCEEDED'], ['c', 'SUCCEEDED']]);
  } else {
    t.pass('the run was still going: its later changes followed the snapshot');
  }
});

test('StartAndWatch with a request id seen before watches the first instance', async (t) => {
  const first = await h.client.startWorkflow({ workflowId: 'saw-quick', requestId: 'saw-dup' });
  await waitForEnd(h.client, 'saw-quick', first.instanceId);
  const changes: WatchedChange[] = [];
  for await (const c of h.client.startAndWatch({ workflowId: 'saw-quick', requestId: 'saw-dup' })) changes.push(c);
  t.is(changes[0]!.instanceId, first.instanceId);
  t.is(changes[0]!.snapshot!.status, 'SUCCEEDED');
});

test('StartAndWatch refuses a bad start with the field named, and an unknown workflow NOT_FOUND', async (t) => {
  const consume = async (it: AsyncIterable<unknown>): Promise<void> => {
    for await (const _ of it) void _;
  };
  const bad = await t.throwsAsync(consume(h.client.startAndWatch({ workflowId: '' })), { instanceOf: ControlError });
  t.is((bad as ControlError).code, status.INVALID_ARGUMENT);
  t.regex(bad!.message, /workflow_id/);
  const missing = await t.throwsAsync(consume(h.client.startAndWatch({ workflowId: 'no-such-workflow' })), { instanceOf: ControlError });
  t.is((missing as ControlError).code, status.NOT_FOUND);
});

test('WatchInstance by request_id: the instance that start created; NOT_FOUND until one exists', async (t) => {
  const missing = await t.throwsAsync(h.client.watch('saw-hold', { requestId: 'saw-later' }).next(), { instanceOf: ControlError });
  t.is((missing as ControlError).code, status.NOT_FOUND);
  t.regex(missing!.message, /saw-later/);

  const view = await h.client.startWorkflow({ workflowId: 'saw-hold', requestId: 'saw-later' });
  const held = await waitForStep(h.client, 'saw-hold', view.instanceId, 'hold', 'RUNNING');
  const changes: WatchedChange[] = [];
  for await (const c of h.client.watch('saw-hold', { requestId: 'saw-later' })) {
    changes.push(c);
    if (changes.length === 1) h.holds.release(held, 'hold');
  }
  t.is(changes[0]!.instanceId, view.instanceId);
  // Snapshot-first with steps: the held step shows RUNNING in it, with its attempt.
  const hold = changes[0]!.snapshot!.steps.find((s) => s.stepId === 'hold')!;
  t.is(hold.status, 'RUNNING');
  t.is(hold.attempts.length, 1);
  t.deepEqual(changes.slice(1).map(line), ['hold:SUCCEEDED', 'next:RUNNING', 'next:SUCCEEDED', 'last:RUNNING', 'last:SUCCEEDED', '-:SUCCEEDED']);
});
