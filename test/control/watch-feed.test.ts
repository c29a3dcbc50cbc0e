import test from 'ava';
import { NotFoundError } from '../../src/core/errors.js';
import type { InstanceChange, InstanceView } from '../../src/core/instance/view.js';
import type { EngineApi } from '../../src/workflow/engine-api.js';
import { openWatch, watchChanges } from '../../src/control/watch.js';

// openWatch against a scripted engine: the order a subscription sees changes in, relative to the
// actor's answer, is chosen here, so "nothing older than the snapshot, nothing lost after it" is
// checked for the interleavings the real transport may produce.

const view = (seq: number, status: InstanceView['status'] = 'IN_PROGRESS'): InstanceView => ({
  workflowId: 'wf',
  instanceId: 1,
  runId: 1,
  version: 1,
  status,
  runPolicy: 'START_FRESH_NEW_RUN',
  params: {},
  steps: [],
  createdAtMs: 1,
  rollup: { totalLeafCount: 0, counts: {}, refs: [] } as unknown as InstanceView['rollup'],
  initiator: 'MANUAL',
  depth: 0,
  correlationId: 'wf:1:1',
  seq,
});
const change = (seq: number, status: string, stepId?: string): InstanceChange => ({ workflowId: 'wf', instanceId: 1, runId: 1, atMs: seq, status, seq, ...(stepId ? { stepId } : {}) });

/** An engine whose watch delivers `before` while subscribing, answers `snapshot`, and hands out its onChange. */
function scripted(before: InstanceChange[], snapshot: InstanceView) {
  const state = { stops: 0, onChange: undefined as ((c: InstanceChange) => void) | undefined };
  const api = {
    async watchWithSnapshot(_wf: string, _id: number, onChange: (c: InstanceChange) => void) {
      state.onChange = onChange;
      for (const c of before) onChange(c);
      return { view: snapshot, stop: () => void state.stops++ };
    },
  } as unknown as EngineApi;
  return { api, state };
}

const target = async () => ({ workflowId: 'wf', instanceId: 1 });

test('changes at or below the snapshot seq are dropped; newer ones queued while subscribing follow it in order', async (t) => {
  const { api, state } = scripted([change(3, 'RUNNING', 'a'), change(4, 'SUCCEEDED', 'a'), change(5, 'RUNNING', 'b')], view(4));
  const got: Array<[string, number, boolean]> = [];
  let ended: unknown = 'open';
  openWatch(api, target, {
    change: (c, snap) => got.push([`${c.stepId ?? '-'}:${c.status}`, c.seq!, snap !== undefined]),
    end: (err) => (ended = err),
  });
  await new Promise((r) => setImmediate(r));
  state.onChange!(change(6, 'SUCCEEDED', 'b'));
  state.onChange!(change(7, 'SUCCEEDED'));
  state.onChange!(change(8, 'RUNNING', 'late')); // after the terminal status: never sent
  t.deepEqual(got, [
    ['-:IN_PROGRESS', 4, true],
    ['b:RUNNING', 5, false],
    ['b:SUCCEEDED', 6, false],
    ['-:SUCCEEDED', 7, false],
  ]);
  t.is(ended, undefined, 'ended OK after the terminal status');
  t.is(state.stops, 1, 'unsubscribed once');
});

test('a terminal snapshot ends the watch at once, without the queued changes it already holds', async (t) => {
  const { api, state } = scripted([change(9, 'SUCCEEDED', 'a'), change(10, 'SUCCEEDED')], view(10, 'SUCCEEDED'));
  const got: string[] = [];
  for await (const c of watchChanges(api, target)) got.push(`${c.stepId ?? '-'}:${c.status}:${c.snapshot ? 'snapshot' : ''}`);
  t.deepEqual(got, ['-:SUCCEEDED:snapshot']);
  t.is(state.stops, 1);
});

test('a target that fails ends the watch with its error; closing while subscribing unsubscribes when the subscription lands', async (t) => {
  const failing = watchChanges({} as EngineApi, async () => {
    throw new NotFoundError('no instance of workflow wf was started with request id r');
  });
  await t.throwsAsync(failing.next(), { instanceOf: NotFoundError });

  let opened!: () => void;
  const gate = new Promise<void>((r) => (opened = r));
  let stops = 0;
  let subscribing!: () => void;
  const subscribed = new Promise<void>((r) => (subscribing = r));
  const slow = {
    async watchWithSnapshot() {
      subscribing();
      await gate; // the actor's answer is still on its way when the client goes
      return { view: view(1), stop: () => void stops++ };
    },
  } as unknown as EngineApi;
  let ends = 0;
  const close = openWatch(slow, target, { change: () => t.fail('closed before the snapshot'), end: () => void ends++ });
  await subscribed;
  close();
  opened();
  await new Promise((r) => setImmediate(r));
  t.is(stops, 1, 'the subscription that landed after the close was closed');
  t.is(ends, 1);
});

test('breaking out of watchChanges closes the subscription', async (t) => {
  const { api, state } = scripted([], view(2));
  for await (const c of watchChanges(api, target)) {
    t.truthy(c.snapshot);
    break;
  }
  t.is(state.stops, 1);
});
