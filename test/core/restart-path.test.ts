/**
 * The pure machine's RESTART_FROM_SPECIFIC through a loop iteration (events.ts RestartNode):
 * which iterations a foreach launches again, what a while restarts from, the refusals, and that
 * replay folds the journaled path to the same state.
 */
import test from 'ava';
import { Driver } from './instance-helpers.js';
import type { ChildLaunch, InstanceCommand } from '../../src/core/instance/commands.js';
import type { RestartNode } from '../../src/core/instance/events.js';
import type { ForeachState, Rollup, WhileState } from '../../src/core/instance/state.js';
import type { WorkflowStatus } from '../../src/core/status.js';

const leaf = (n: number, status = 'SUCCEEDED'): Rollup => ({ total: n, counts: { [status]: n } });

function loopDef(kind: 'foreach' | 'while'): Record<string, unknown> {
  const body = [{ step: { id: 'f', type: 'NoOp' } }];
  const loop =
    kind === 'foreach'
      ? { foreach: { id: 'loop', params: { loop_params: { value: { i: { value: [1, 2, 3, 4], type: 'LONG_ARRAY' } }, type: 'MAP' } }, steps: body } }
      : { while: { id: 'loop', condition: 'i < 10', params: { loop_params: { value: { i: { value: 1, type: 'LONG' } }, type: 'MAP' } }, steps: body } };
  return { properties: { owner: 'tester', run_strategy: 'parallel' }, workflow: { id: 'wf', steps: [loop] } };
}

const launches = (cmds: InstanceCommand[]): ChildLaunch[] => cmds.flatMap((c) => (c.c === 'launch' ? [c.launch] : []));

function ended(d: Driver, instanceId: number, runId: number, status: WorkflowStatus, rollup = leaf(1)): InstanceCommand[] {
  const st = d.state!.steps['loop']!;
  return d.apply({ t: 'child-ended', atMs: d.now, stepId: 'loop', attempt: st.attempts[st.attempts.length - 1]!.attempt, instanceId, runId, status, rollup });
}

function node(workflowId: string, k: number, status: WorkflowStatus, extra: Partial<RestartNode> = {}): RestartNode {
  return { workflowId, instanceId: k, runId: 1, policy: 'RESTART_FROM_SPECIFIC', stepId: 'f', prior: { status, rollup: leaf(1, status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FATALLY_FAILED') }, ...extra };
}

test('foreach: a path through iteration k keeps every terminal iteration (FAILED too) and launches only k, from the path step; replay folds the same', (t) => {
  const d = new Driver(loopDef('foreach'));
  const first = launches(d.start());
  t.deepEqual(first.map((l) => l.instanceId), [1, 2, 3, 4]);
  const wfId = first[0]!.workflowId;
  ended(d, 1, 1, 'SUCCEEDED');
  ended(d, 2, 1, 'FAILED', leaf(1, 'FATALLY_FAILED'));
  ended(d, 3, 1, 'FAILED', leaf(1, 'FATALLY_FAILED'));
  ended(d, 4, 1, 'STOPPED', leaf(1, 'STOPPED'));
  t.is(d.status(), 'FAILED');

  const again = launches(d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_SPECIFIC', stepId: 'loop', path: [node(wfId, 2, 'FAILED')] }));
  t.is(again.length, 1, 'only the iteration the path names');
  t.like(again[0], { instanceId: 2, runId: 2, restart: 'RESTART_FROM_SPECIFIC', restartStepId: 'f' });
  t.is(again[0]!.restartPath, undefined, 'nothing below it');
  const loop = d.state!.steps['loop']!.loop as ForeachState;
  t.deepEqual(loop.done, { SUCCEEDED: [[1, 1]], FAILED: [[3, 3]], STOPPED: [[4, 4]] });
  t.deepEqual(loop.running, [2]);
  t.deepEqual(loop.rollup, { total: 3, counts: { SUCCEEDED: 1, FATALLY_FAILED: 1, STOPPED: 1 } }, "k's earlier rollup is taken out");

  t.deepEqual(launches(ended(d, 2, 2, 'SUCCEEDED')), [], 'nothing more launched: iteration 3 is still FAILED');
  t.is(d.status('loop'), 'FATALLY_FAILED', 'the kept FAILED iteration decides the final status');
  t.deepEqual((d.state!.steps['loop']!.loop as ForeachState).done, { SUCCEEDED: [[1, 2]], FAILED: [[3, 3]], STOPPED: [[4, 4]] });
  t.deepEqual(d.replay(), d.state);

  // A later RESTART_FROM_INCOMPLETE keeps only the SUCCEEDED ones: the kept FAILED and STOPPED iterations run again.
  const incomplete = launches(d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_INCOMPLETE' }));
  t.deepEqual(incomplete.map((l) => [l.instanceId, l.runId, l.restart]), [
    [3, 3, 'RESTART_FROM_INCOMPLETE'],
    [4, 3, 'RESTART_FROM_INCOMPLETE'],
  ]);
  t.deepEqual((d.state!.steps['loop']!.loop as ForeachState).done, { SUCCEEDED: [[1, 2]] });
});

test('foreach: the path below k travels with its launch; k not among the ended iterations fails the step naming it', (t) => {
  const d = new Driver(loopDef('foreach'));
  const wfId = launches(d.start())[0]!.workflowId;
  for (const k of [1, 2, 3, 4]) ended(d, k, 1, k === 3 ? 'FAILED' : 'SUCCEEDED');
  const below: RestartNode = { workflowId: 'maestro_foreach_inner', instanceId: 5, runId: 1, policy: 'RESTART_FROM_INCOMPLETE', prior: { status: 'FAILED', rollup: leaf(1) } };
  const l = launches(d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_SPECIFIC', stepId: 'loop', path: [node(wfId, 3, 'FAILED', { runId: 4 }), below] }));
  t.like(l[0], { instanceId: 3, runId: 5, restart: 'RESTART_FROM_SPECIFIC', restartStepId: 'f' }, "a run newer than k's own");
  t.deepEqual(l[0]!.restartPath, [below]);
  ended(d, 3, 5, 'SUCCEEDED');
  t.is(d.status(), 'SUCCEEDED');

  const e = new Driver(loopDef('foreach'));
  const id = launches(e.start())[0]!.workflowId;
  for (const k of [1, 2, 3, 4]) ended(e, k, 1, 'SUCCEEDED');
  e.apply({ t: 'restart', atMs: e.now, policy: 'RESTART_FROM_SPECIFIC', stepId: 'loop', path: [node(id, 9, 'FAILED')] });
  t.is(e.status('loop'), 'FATALLY_FAILED');
  t.regex(e.state!.steps['loop']!.attempts.at(-1)!.error!, /iteration 9 on the restart path is not an ended iteration/);
});

test('a path is refused with another policy, or with a RESTART_FROM_SPECIFIC level that names no step', (t) => {
  const d = new Driver(loopDef('foreach'));
  const wfId = launches(d.start())[0]!.workflowId;
  for (const k of [1, 2, 3, 4]) ended(d, k, 1, k === 2 ? 'FAILED' : 'SUCCEEDED');
  t.throws(() => d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_INCOMPLETE', path: [node(wfId, 2, 'FAILED')] }), { message: /restart_path.*only taken with RESTART_FROM_SPECIFIC/ });
  t.throws(() => d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_SPECIFIC', stepId: 'loop', path: [node(wfId, 2, 'FAILED', { stepId: undefined })] }), { message: /restart_path\[0\]\.step_id/ });
});

test('while: a path through iteration k restarts from k with the values it had and the rollup of iterations before it; k past the last iteration fails the step', (t) => {
  const d = new Driver(loopDef('while'));
  let l = launches(d.start());
  const wfId = l[0]!.workflowId;
  for (let k = 1; k <= 3; k++) {
    t.is(l[0]!.instanceId, k);
    l = launches(d.apply({ t: 'child-ended', atMs: d.now, stepId: 'loop', attempt: 1, instanceId: k, runId: 1, status: k === 3 ? 'FAILED' : 'SUCCEEDED', rollup: leaf(1), feedback: { i: k + 1 } }));
  }
  t.is(d.status(), 'FAILED');
  const before = leaf(1);
  l = launches(d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_SPECIFIC', stepId: 'loop', path: [node(wfId, 2, 'SUCCEEDED', { before })] }));
  t.like(l[0], { instanceId: 2, runId: 2, restart: 'RESTART_FROM_SPECIFIC', restartStepId: 'f' });
  t.is(l[0]!.params['i'], 2, 'iteration 2 gets the value it had');
  const w = d.state!.steps['loop']!.loop as WhileState;
  t.deepEqual(w.values, { i: [1, 2] });
  t.deepEqual(w.rollup, before);
  l = launches(d.apply({ t: 'child-ended', atMs: d.now, stepId: 'loop', attempt: 1, instanceId: 2, runId: 2, status: 'SUCCEEDED', rollup: leaf(1), feedback: { i: 3 } }));
  t.like(l[0], { instanceId: 3, runId: 2, restart: 'RESTART_FROM_BEGINNING' }, 'a later existing iteration runs anew');
  t.deepEqual(d.replay(), d.state);

  const e = new Driver(loopDef('while'));
  const id = launches(e.start())[0]!.workflowId;
  e.apply({ t: 'child-ended', atMs: e.now, stepId: 'loop', attempt: 1, instanceId: 1, runId: 1, status: 'FAILED', rollup: leaf(1) });
  e.apply({ t: 'restart', atMs: e.now, policy: 'RESTART_FROM_SPECIFIC', stepId: 'loop', path: [node(id, 2, 'FAILED')] });
  t.is(e.status('loop'), 'FATALLY_FAILED');
  t.regex(e.state!.steps['loop']!.attempts.at(-1)!.error!, /iteration to restart \(2\) is over the earlier run's last iteration \(1\)/);
});

test('while: a RESTART_FROM_SPECIFIC of the while step itself starts again from iteration 1 (Maestro); a journal from before the marker folds as it was written', (t) => {
  const d = new Driver(loopDef('while'));
  let l = launches(d.start());
  for (let k = 1; k <= 3; k++) {
    l = launches(d.apply({ t: 'child-ended', atMs: d.now, stepId: 'loop', attempt: 1, instanceId: k, runId: 1, status: k === 3 ? 'FAILED' : 'SUCCEEDED', rollup: leaf(1), feedback: { i: k + 1 } }));
  }
  const before = structuredClone(d.events);
  l = launches(d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_SPECIFIC', stepId: 'loop' }));
  t.like(l[0], { instanceId: 1, runId: 2, restart: 'RESTART_FROM_BEGINNING' });
  t.is(l[0]!.params['i'], 1, 'from the initial loop value');
  t.deepEqual((d.state!.steps['loop']!.loop as WhileState).values, { i: [1] });
  t.deepEqual(d.replay(), d.state);

  // The same restart journaled by an engine without the marker: replay resumes at the last iteration, as that engine did.
  const [ev, seq, decisions] = d.events[d.events.length - 1]!;
  d.events = [...before, [ev, seq, decisions.filter(([k]) => k !== 'whileFromStart')]];
  const old = d.replay()!;
  const w = old.steps['loop']!.loop as WhileState;
  t.is(w.running, 3, 'resumed at iteration 3');
  t.deepEqual(w.values, { i: [1, 2, 3] });
});
