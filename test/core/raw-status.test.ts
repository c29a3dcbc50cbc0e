/**
 * The pure machine's raw FAILED_1 / FAILED_2 (core/instance/raw-status.ts): the `unblocked`
 * event, what a restart keeps of the ended run, the views, and replay folding the same.
 */
import test from 'ava';
import { Driver, workflow } from './instance-helpers.js';
import { toInstanceView } from '../../src/core/instance/project.js';

const flow = workflow([{ id: 'a' }]);
const view = (d: Driver) => toInstanceView(d.state!, d.ctx.def);

test('a FAILED run is raw FAILED; the unblocked event makes it FAILED_1 (still FAILED); a restart keeps it FAILED_1 in the run list', (t) => {
  const d = new Driver(flow);
  d.start();
  d.result('a', 'FATALLY_FAILED', { error: 'boom' });
  t.is(d.status(), 'FAILED');
  t.is(view(d).rawStatus, 'FAILED');
  d.apply({ t: 'unblocked', atMs: d.now });
  t.is(d.status(), 'FAILED');
  t.like(view(d), { status: 'FAILED', rawStatus: 'FAILED_1' });
  t.deepEqual(view(d).runs!.map((r) => [r.runId, r.status, r.rawStatus]), [[1, 'FAILED', 'FAILED_1']]);
  d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_INCOMPLETE' });
  t.is(d.state!.unblocked, undefined, 'the new run is not unblocked');
  d.result('a', 'FATALLY_FAILED', { error: 'again' });
  t.deepEqual(view(d).runs!.map((r) => [r.runId, r.status, r.rawStatus]), [
    [1, 'FAILED', 'FAILED_1'],
    [2, 'FAILED', 'FAILED'],
  ]);
  t.deepEqual(d.replay(), d.state);
});

test('a restarted FAILED run that was not unblocked is raw FAILED_2; other statuses are raw as shown', (t) => {
  const d = new Driver(flow);
  d.start();
  d.result('a', 'FATALLY_FAILED', { error: 'boom' });
  d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_INCOMPLETE' });
  d.result('a');
  const v = view(d);
  t.like(v, { status: 'SUCCEEDED', rawStatus: 'SUCCEEDED' });
  t.deepEqual(v.runs!.map((r) => [r.runId, r.status, r.rawStatus]), [
    [1, 'FAILED', 'FAILED_2'],
    [2, 'SUCCEEDED', 'SUCCEEDED'],
  ]);
  t.deepEqual(d.replay(), d.state);
});

test('unblocked is refused unless the instance is FAILED, naming its status', (t) => {
  const d = new Driver(flow);
  d.start();
  t.throws(() => d.apply({ t: 'unblocked', atMs: d.now }), { message: /cannot unblock instance wf\/1: it is IN_PROGRESS; only a FAILED instance can be unblocked/ });
  d.result('a');
  t.throws(() => d.apply({ t: 'unblocked', atMs: d.now }), { message: /it is SUCCEEDED/ });
});
