/**
 * The pure machine's side of a restart that walked up from a subworkflow child (restart-path.ts):
 * a RESTART_FROM_SPECIFIC run whose path starts at the subworkflow step's child re-runs the SAME
 * child from the path's step; a step restart with a path while the instance runs does it in a
 * new attempt; a re-run child takes its parent's new run/attempt; replay folds the same.
 */
import test from 'ava';
import { Driver } from './instance-helpers.js';
import type { ChildLaunch, InstanceCommand } from '../../src/core/instance/commands.js';
import type { RestartNode } from '../../src/core/instance/events.js';
import type { ParentRef } from '../../src/core/instance/state.js';

const launches = (cmds: InstanceCommand[]): ChildLaunch[] => cmds.flatMap((c) => (c.c === 'launch' ? [c.launch] : []));
const sub = { subworkflow: { id: 'sub', params: { subworkflow_id: { value: 'child', type: 'STRING' } } } };
const def = (steps: unknown[]) => ({ properties: { owner: 'tester', run_strategy: 'parallel' }, workflow: { id: 'wf', steps } });

function childNode(extra: Partial<RestartNode> = {}): RestartNode {
  return { workflowId: 'child', instanceId: 7, runId: 1, policy: 'RESTART_FROM_SPECIFIC', stepId: 'c2', prior: { status: 'FAILED', rollup: { total: 2, counts: { SUCCEEDED: 1, FATALLY_FAILED: 1 } } }, ...extra };
}

function attemptOf(d: Driver, id: string): number {
  return d.state!.steps[id]!.attempts.length;
}

function childEnded(d: Driver, runId: number, status: 'SUCCEEDED' | 'FAILED'): InstanceCommand[] {
  return d.apply({ t: 'child-ended', atMs: d.now, stepId: 'sub', attempt: attemptOf(d, 'sub'), instanceId: 7, runId, status, rollup: { total: 1, counts: { [status === 'FAILED' ? 'FATALLY_FAILED' : 'SUCCEEDED']: 1 } } });
}

test('a RESTART_FROM_SPECIFIC run from a subworkflow step with a path re-runs the same child from the path step; replay folds the same', (t) => {
  const d = new Driver(def([sub]));
  t.is(launches(d.start())[0]!.instanceId, undefined, 'a new child');
  d.apply({ t: 'child-started', atMs: d.now, stepId: 'sub', attempt: 1, instanceId: 7, runId: 1, version: 1 });
  childEnded(d, 1, 'FAILED');
  t.is(d.status(), 'FAILED');

  const again = launches(d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_SPECIFIC', stepId: 'sub', path: [childNode()] }));
  t.is(again.length, 1);
  t.like(again[0], { kind: 'subworkflow', workflowId: 'child', instanceId: 7, runId: 2, restart: 'RESTART_FROM_SPECIFIC', restartStepId: 'c2' });
  t.is(again[0]!.restartPath, undefined, 'nothing below the child');
  t.like(again[0]!.parent, { workflowId: 'wf', runId: 2, stepId: 'sub', attempt: 1 });

  d.apply({ t: 'child-started', atMs: d.now, stepId: 'sub', attempt: 1, instanceId: 7, runId: 2, version: 1 });
  t.is(d.status('sub'), 'RUNNING', 'a sync step waits for the child run');
  childEnded(d, 2, 'SUCCEEDED');
  t.is(d.status(), 'SUCCEEDED');
  t.deepEqual(d.replay(), d.state);
});

test('the levels below the child travel with it; off the path (another subworkflow step) a child re-runs with the downstream policy', (t) => {
  const other = { subworkflow: { id: 'other', params: { subworkflow_id: { value: 'child', type: 'STRING' } } } };
  const d = new Driver(def([sub, other]));
  d.start();
  d.apply({ t: 'child-started', atMs: d.now, stepId: 'sub', attempt: 1, instanceId: 7, runId: 1, version: 1 });
  d.apply({ t: 'child-started', atMs: d.now, stepId: 'other', attempt: 1, instanceId: 8, runId: 1, version: 1 });
  childEnded(d, 1, 'FAILED');
  d.apply({ t: 'child-ended', atMs: d.now, stepId: 'other', attempt: 1, instanceId: 8, runId: 1, status: 'FAILED', rollup: { total: 1, counts: { FATALLY_FAILED: 1 } } });
  t.is(d.status(), 'FAILED');
  const below: RestartNode = { workflowId: 'maestro_foreach_x', instanceId: 3, runId: 1, policy: 'RESTART_FROM_INCOMPLETE', prior: { status: 'FAILED', rollup: { total: 1, counts: {} } } };
  const again = launches(d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_SPECIFIC', stepId: 'sub', path: [childNode({ stepId: 'loop' }), below] }));
  const byStep = Object.fromEntries(again.map((l) => [l.parent.stepId, l]));
  t.like(byStep['sub'], { instanceId: 7, restart: 'RESTART_FROM_SPECIFIC', restartStepId: 'loop' });
  t.deepEqual(byStep['sub']!.restartPath, [below]);
  t.like(byStep['other'], { instanceId: 8, restart: 'RESTART_FROM_INCOMPLETE' }, 'FAILED and not complete: re-runs, off the path');
  t.is(byStep['other']!.restartStepId, undefined);
  t.deepEqual(d.replay(), d.state);
});

test('a step restart with a path while the instance runs: a new attempt re-runs the same child from the path step; its notices name the new attempt', (t) => {
  const d = new Driver(def([sub, { step: { id: 'h', type: 'Sleep', params: { duration: { value: 3600, type: 'LONG' } } } }]));
  d.start();
  d.apply({ t: 'child-started', atMs: d.now, stepId: 'sub', attempt: 1, instanceId: 7, runId: 1, version: 1 });
  childEnded(d, 1, 'FAILED');
  t.is(d.status('sub'), 'FATALLY_FAILED');
  t.is(d.status(), 'IN_PROGRESS');

  const again = launches(d.apply({ t: 'step-action', atMs: d.now, stepId: 'sub', action: 'restart', path: [childNode()] }));
  t.is(again.length, 1);
  t.like(again[0], { instanceId: 7, runId: 2, restart: 'RESTART_FROM_SPECIFIC', restartStepId: 'c2' });
  t.like(again[0]!.parent, { runId: 1, stepId: 'sub', attempt: 2 } satisfies Partial<ParentRef>);
  t.is(attemptOf(d, 'sub'), 2);
  t.is(d.state!.steps['sub']!.loop?.kind === 'subworkflow' && d.state!.steps['sub']!.loop.pending, undefined, 'the pending path is consumed by the attempt');
  childEnded(d, 2, 'SUCCEEDED');
  t.is(d.status('sub'), 'SUCCEEDED');
  t.deepEqual(d.replay(), d.state);
});

test('a step restart with a path is refused on a step that is not a subworkflow step, or whose child is another one', (t) => {
  const d = new Driver(def([sub, { step: { id: 'n', type: 'NoOp', transition: { successors: { h: 'true' } } } }, { step: { id: 'h', type: 'Sleep', params: { duration: { value: 3600, type: 'LONG' } } } }]));
  d.start();
  d.apply({ t: 'child-started', atMs: d.now, stepId: 'sub', attempt: 1, instanceId: 7, runId: 1, version: 1 });
  childEnded(d, 1, 'FAILED');
  const err = t.throws(() => d.apply({ t: 'step-action', atMs: d.now, stepId: 'sub', action: 'restart', path: [childNode({ instanceId: 9 })] }));
  t.regex(err!.message, /ran child child\/7/);
  t.is(attemptOf(d, 'sub'), 1, 'nothing changed');
  d.result('n', 'SUCCEEDED');
  t.is(d.status('n'), 'SUCCEEDED');
  const err2 = t.throws(() => d.apply({ t: 'step-action', atMs: d.now, stepId: 'n', action: 'restart', path: [childNode()] }));
  t.regex(err2!.message, /not a subworkflow step/);
});

test('a re-run child takes its parent ref from the restart event; older restart events (no parent) keep the one it had', (t) => {
  const d = new Driver(def([{ step: { id: 'c2', type: 'NoOp' } }]));
  const parent: ParentRef = { workflowId: 'p', instanceId: 1, runId: 1, stepId: 'sub', attempt: 1, sync: true, report: {} };
  d.apply({ t: 'started', atMs: d.now, workflowId: 'wf', instanceId: 7, version: 1, runParams: {}, initiator: 'SUBWORKFLOW', parent });
  d.result('c2', 'SUCCEEDED');
  t.is(d.status(), 'SUCCEEDED');
  d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_BEGINNING' });
  t.deepEqual(d.state!.parent, parent);
  d.result('c2', 'SUCCEEDED');
  const next = { ...parent, runId: 2, attempt: 2 };
  d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_BEGINNING', parent: next });
  t.deepEqual(d.state!.parent, next);
  t.deepEqual(d.replay(), d.state);
});
