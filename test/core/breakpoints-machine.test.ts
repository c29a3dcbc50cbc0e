/**
 * Breakpoints in the pure machine: an attempt reaching INITIALIZED with a matching breakpoint
 * pauses (before the signal wait and params), a retry pauses again, resume goes on; the match is
 * a recorded decision, so replay folds journals with every new event to the same state without
 * asking the node anything.
 */
import test from 'ava';
import { Driver, workflow } from './instance-helpers.js';
import { createSelEngine } from '../../src/expr/index.js';
import { decodeRecordEvent, type MachineContext } from '../../src/core/instance/index.js';

function withBreakpoints(d: Driver, set: Set<string>): void {
  d.ctx.breakpoint = (wf, step) => set.has(`${wf}/${step}`);
}

/** A node that differs in everything a decision could have asked, and refuses breakpoint lookups. */
function otherNode(d: Driver): MachineContext {
  return {
    def: d.ctx.def,
    engine: createSelEngine({ wallTimeMs: 1, nodeVisits: 1, loopIterations: 1 }),
    hasRuntime: () => false,
    breakpoint: () => {
      throw new Error('replay asked for a breakpoint');
    },
  };
}

test('a breakpoint pauses the attempt at INITIALIZED, before signals and params; resume goes on', (t) => {
  const d = new Driver(workflow([{ id: 'a', type: 'Sleep', extra: { signal_dependencies: [{ name: 's' }] } }, { id: 'b', type: 'Sleep' }]));
  withBreakpoints(d, new Set(['wf/a']));
  d.start();
  t.is(d.status('a'), 'PAUSED');
  t.is(d.status('b'), 'RUNNING', 'other steps are not held');
  t.deepEqual(d.history.get('a'), ['CREATED', 'INITIALIZED', 'PAUSED']);
  t.deepEqual(d.state!.steps['a']!.params, {}, 'params are not evaluated yet');
  t.true(d.events[0]![2].some((x) => x[0] === 'breakpoint'), 'the match is recorded');
  d.apply({ t: 'step-action', atMs: d.now, stepId: 'a', action: 'resume' });
  t.is(d.status('a'), 'WAITING_FOR_SIGNALS');
  d.apply({ t: 'step-action', atMs: d.now, stepId: 'a', action: 'bypass' });
  t.is(d.status('a'), 'RUNNING');
});

test('each new attempt (a retry) pauses again while the breakpoint exists; not once it is gone', (t) => {
  const d = new Driver(workflow([{ id: 'a', type: 'Sleep', extra: { retry_policy: { error_retry_limit: 2 } } }]));
  const set = new Set(['wf/a']);
  withBreakpoints(d, set);
  d.start();
  d.apply({ t: 'step-action', atMs: d.now, stepId: 'a', action: 'resume', attempt: 1 });
  d.result('a', 'USER_FAILED');
  d.fire('retry:a');
  t.is(d.status('a'), 'PAUSED');
  t.is(d.state!.steps['a']!.attempts.length, 2);
  d.apply({ t: 'step-action', atMs: d.now, stepId: 'a', action: 'resume', attempt: 2 });
  d.result('a', 'USER_FAILED');
  set.clear();
  d.fire('retry:a');
  t.is(d.status('a'), 'RUNNING', 'no breakpoint: no pause');
});

test('stop, kill and skip of a PAUSED step', (t) => {
  for (const [action, status] of [['stop', 'STOPPED'], ['kill', 'FATALLY_FAILED'], ['skip', 'SKIPPED']] as const) {
    const d = new Driver(workflow([{ id: 'a', type: 'Sleep' }, { id: 'b', type: 'Sleep' }]));
    withBreakpoints(d, new Set(['wf/a']));
    d.start();
    const cmds = d.apply({ t: 'step-action', atMs: d.now, stepId: 'a', action });
    t.is(d.status('a'), status, action);
    t.false(cmds.some((c) => c.c === 'cancel'), `${action}: nothing was dispatched, nothing to cancel`);
  }
});

test('replay of a journal with every new event folds to the same state on another node', (t) => {
  const d = new Driver(workflow([
    { id: 'p', type: 'Sleep', next: { q: 'true' } },
    { id: 'q', type: 'Sleep', extra: { signal_dependencies: [{ name: 'go' }] } },
    { id: 'k', type: 'Sleep', extra: { failure_mode: 'IGNORE_FAILURE' } },
    { id: 'st', type: 'Sleep' },
    { id: 'sk', type: 'Sleep', next: { after: 'true' } },
    { id: 'after', type: 'Sleep' },
    { id: 'r', type: 'Sleep' },
  ]));
  withBreakpoints(d, new Set(['wf/p']));
  d.start();
  d.apply({ t: 'step-action', atMs: d.now, stepId: 'p', action: 'resume' });
  d.result('p');
  d.apply({ t: 'step-action', atMs: d.now, stepId: 'q', action: 'bypass', reason: 'x' });
  d.apply({ t: 'step-action', atMs: d.now, stepId: 'k', action: 'kill' });
  d.apply({ t: 'step-action', atMs: d.now, stepId: 'st', action: 'stop' });
  d.apply({ t: 'step-action', atMs: d.now, stepId: 'sk', action: 'skip' });
  d.result('r', 'FATALLY_FAILED');
  d.apply({ t: 'step-action', atMs: d.now, stepId: 'r', action: 'restart' }); // a new attempt
  d.result('r', 'FATALLY_FAILED');
  d.apply({ t: 'step-action', atMs: d.now, stepId: 'r', action: 'skip' }); // a new attempt, skipped
  d.result('q');
  d.result('after');
  t.is(d.status(), 'STOPPED');
  d.now += 10;
  d.apply({ t: 'step-action', atMs: d.now, stepId: 'after', action: 'restart' }); // run 2 (SPECIFIC)
  t.is(d.state!.runId, 2);
  d.result('after');
  t.is(d.status('st'), 'RUNNING');
  d.result('st');
  t.is(d.status(), 'SUCCEEDED');
  d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_SPECIFIC', stepId: 'p' }); // run 3, p pauses again
  t.is(d.status('p'), 'PAUSED');
  d.apply({ t: 'step-action', atMs: d.now, stepId: 'p', action: 'skip' });
  t.is(d.status('q'), 'RUNNING'); // its dependencies, bypassed in run 1, stay SKIPPED in restarted runs (Maestro)
  d.apply({ t: 'step-action', atMs: d.now, stepId: 'q', action: 'stop' });
  t.is(d.status(), 'STOPPED');
  d.apply({ t: 'step-action', atMs: d.now, stepId: 'q', action: 'skip' }); // run 4, q skipped
  t.is(d.state!.runId, 4);
  t.is(d.status(), 'SUCCEEDED');
  const kinds = new Set(d.records().map((r) => {
    const e = decodeRecordEvent(r.event, 'test').event;
    return e.t === 'step-action' ? `${e.t}:${e.action}` : e.t === 'restart' ? `${e.t}:${e.policy}` : e.t;
  }));
  for (const k of ['step-action:stop', 'step-action:kill', 'step-action:skip', 'step-action:bypass', 'step-action:restart', 'step-action:resume', 'restart:RESTART_FROM_SPECIFIC']) {
    t.true(kinds.has(k), `the journal holds ${k}`);
  }
  t.deepEqual(d.replay(otherNode(d)), d.state);
});

test('a history recorded without breakpoint decisions replays unchanged (no breakpoint asked)', (t) => {
  const d = new Driver(workflow([{ id: 'a', next: { b: 'true' } }, { id: 'b' }]));
  d.start();
  d.result('a');
  d.result('b');
  t.false(d.events.some(([, , ds]) => ds.some((x) => x[0] === 'breakpoint')));
  t.deepEqual(d.replay(otherNode(d)), d.state);
});
