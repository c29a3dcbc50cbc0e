/**
 * The per-depth cap on child instances in the pure machine (core/instance/depth-cap.ts): a child
 * run waits CREATED for its depth permit, begins on the grant, gives it back on every end; the
 * flag is a recorded decision (replay never reads it); roots and flag-off nodes are untouched.
 */
import test from 'ava';
import { Driver, dispatchedIds, workflow } from './instance-helpers.js';
import type { InstanceCommand, InstanceEvent } from '../../src/core/instance/index.js';
import { DEPTH_PERMIT_STEP, depthCapTag } from '../../src/core/instance/depth-cap.js';
import { permitStatusOf } from '../../src/core/instance/steps.js';

const child = (extra: Partial<Extract<InstanceEvent, { t: 'started' }>> = {}): InstanceEvent => ({
  t: 'started',
  atMs: 1_700_000_000_000,
  workflowId: 'wf',
  instanceId: 1,
  version: 1,
  runParams: {},
  initiator: 'FOREACH',
  parent: { workflowId: 'root', instanceId: 7, runId: 1, stepId: 'loop', attempt: 1, sync: true },
  depth: 2,
  correlationId: 'root:7:1',
  instanceStepConcurrency: 5,
  permits: true,
  ...extra,
});

const acquires = (cmds: InstanceCommand[]) => cmds.flatMap((c) => (c.c === 'acquire' ? [c.req] : []));
const releases = (cmds: InstanceCommand[]) => cmds.flatMap((c) => (c.c === 'release' ? [c.holder] : []));

function capped(): Driver {
  const d = new Driver(workflow([{ id: 'a', type: 'sleep' }]));
  d.ctx.childInstanceCap = true;
  return d;
}

test('a child run waits CREATED for its depth permit, begins on the grant and gives it back when it ends', (t) => {
  const d = capped();
  const cmds = d.apply(child());
  t.is(d.status(), 'CREATED');
  t.deepEqual(dispatchedIds(cmds), []);
  const [req] = acquires(cmds);
  t.deepEqual(req, { holder: `wf/1/1/${DEPTH_PERMIT_STEP}`, instanceKey: 'wf/1', stepId: DEPTH_PERMIT_STEP, attempt: 1, tags: [{ name: 'maestro_root:7:1:depth2', inlineLimit: 5 }] });
  t.is(permitStatusOf(d.state!, req!.holder), 'waiting');
  t.deepEqual(acquires(d.resume()), [req!], 'recovery asks again while it waits');
  // a stale grant (another run) does nothing
  d.apply({ t: 'permit-granted', atMs: d.now, stepId: DEPTH_PERMIT_STEP, attempt: 2 });
  t.is(d.status(), 'CREATED');
  const go = d.apply({ t: 'permit-granted', atMs: d.now, stepId: DEPTH_PERMIT_STEP, attempt: 1 });
  t.is(d.status(), 'IN_PROGRESS');
  t.deepEqual(acquires(go).map((r) => r.stepId), ['a'], 'its steps begin: step a asks for its own tag permits');
  t.is(permitStatusOf(d.state!, req!.holder), 'held');
  t.deepEqual(dispatchedIds(d.apply({ t: 'permit-granted', atMs: d.now, stepId: 'a', attempt: 1 })), ['a']);
  t.deepEqual(acquires(d.resume()), [], 'a held permit is not asked again');
  // a repeated grant does nothing either
  t.deepEqual(d.apply({ t: 'permit-granted', atMs: d.now, stepId: DEPTH_PERMIT_STEP, attempt: 1 }), []);
  const end = d.result('a');
  t.is(d.status(), 'SUCCEEDED');
  t.deepEqual(releases(end), ['wf/1/1/a/1', req!.holder], 'the step gives its permits back, then the run its depth permit');
  t.is(permitStatusOf(d.state!, req!.holder), 'none');
  t.is(d.state!.depthPermit, undefined);
  // replay folds the same without asking the node (its flag is off now)
  const replayed = d.replay({ ...d.ctx, childInstanceCap: false });
  t.deepEqual(replayed, d.state);
});

test('a waiting child that is stopped gives back its request; a restart run waits for a permit of its own', (t) => {
  const d = capped();
  d.apply(child());
  const stop = d.apply({ t: 'stop', atMs: d.now, reason: 'parent stopped' });
  t.is(d.status(), 'STOPPED');
  t.deepEqual(releases(stop), [`wf/1/1/${DEPTH_PERMIT_STEP}`]);
  t.true(stop.some((c) => c.c === 'finished'), 'the parent is told');
  const again = d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_BEGINNING', runId: 2 });
  t.is(d.status(), 'CREATED');
  t.deepEqual(acquires(again).map((r) => r.holder), [`wf/1/2/${DEPTH_PERMIT_STEP}`]);
  d.apply({ t: 'permit-granted', atMs: d.now, stepId: DEPTH_PERMIT_STEP, attempt: 2 });
  t.is(d.status(), 'IN_PROGRESS');
  const kill = d.apply({ t: 'kill', atMs: d.now });
  t.true(releases(kill).includes(`wf/1/2/${DEPTH_PERMIT_STEP}`));
  t.deepEqual(d.replay({ ...d.ctx, childInstanceCap: false }), d.state);
});

test('a queued subworkflow child asks for its depth permit when its queue runs it (and a repeated run waits on)', (t) => {
  const d = capped();
  const held = d.apply(child({ initiator: 'SUBWORKFLOW', hold: true, depth: 1 }));
  t.is(d.status(), 'CREATED');
  t.deepEqual(acquires(held), [], 'queued: nothing asked yet');
  const run = d.apply({ t: 'run', atMs: d.now });
  t.is(d.status(), 'CREATED');
  t.deepEqual(acquires(run).map((r) => r.tags[0]!.name), [depthCapTag('root:7:1', 1)]);
  t.deepEqual(d.apply({ t: 'run', atMs: d.now }), []);
  d.apply({ t: 'permit-granted', atMs: d.now, stepId: DEPTH_PERMIT_STEP, attempt: 1 });
  t.is(d.status(), 'IN_PROGRESS');
});

test('no cap: flag off, roots, nodes without tag permits; the limit defaults to 100', (t) => {
  const off = new Driver(workflow([{ id: 'a', type: 'sleep' }]));
  const cmds = off.apply(child());
  t.is(off.status(), 'IN_PROGRESS');
  t.deepEqual(acquires(cmds).filter((r) => r.stepId === DEPTH_PERMIT_STEP), []);
  t.deepEqual(off.events[0]![2].filter(([k]) => k === 'childCap'), [], 'nothing recorded when off');

  const root = capped();
  root.apply(child({ depth: undefined, parent: undefined, initiator: 'MANUAL' }));
  t.is(root.status(), 'IN_PROGRESS');

  const noPermits = capped();
  noPermits.apply(child({ permits: undefined }));
  t.is(noPermits.status(), 'IN_PROGRESS');

  const dflt = capped();
  const [req] = acquires(dflt.apply(child({ instanceStepConcurrency: undefined })));
  t.deepEqual(req!.tags, [{ name: 'maestro_root:7:1:depth2', inlineLimit: 100 }]);
  t.deepEqual(dflt.events[0]![2].filter(([k]) => k === 'childCap'), [['childCap', true]]);
});
