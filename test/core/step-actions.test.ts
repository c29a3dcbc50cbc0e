/**
 * Step actions on the pure machine: every action in every step status (Maestro's table, §6.1),
 * allowed and refused, with the workflow running and ended; kill and failure modes; skip; bypass;
 * restart of a step as a new attempt and as a new run; instance restart RESTART_FROM_SPECIFIC.
 */
import test from 'ava';
import { Driver, workflow } from './instance-helpers.js';
import { STEP_STATUSES, type StepStatus } from '../../src/core/status.js';
import { PreconditionError, ValidationError } from '../../src/core/errors.js';
import type { InstanceState, StepActionKind } from '../../src/core/instance/index.js';
import { aggregatedStatus } from '../../src/core/instance/aggregate.js';
import { toInstanceView } from '../../src/core/instance/index.js';

/** Maestro's table, written out independently of src (C/models/Actions.java). */
const TABLE: Record<StepStatus, string[]> = {
  NOT_CREATED: [],
  CREATED: ['PAUSE', 'STOP', 'KILL'],
  INITIALIZED: ['PAUSE', 'STOP', 'KILL', 'SKIP'],
  PAUSED: ['RESUME', 'STOP', 'KILL', 'SKIP'],
  WAITING_FOR_SIGNALS: ['STOP', 'KILL', 'SKIP', 'BYPASS_STEP_DEPENDENCIES'],
  EVALUATING_PARAMS: ['STOP', 'KILL', 'SKIP'],
  WAITING_FOR_PERMITS: ['STOP', 'KILL', 'SKIP'],
  STARTING: ['STOP', 'KILL', 'SKIP'],
  RUNNING: ['STOP', 'KILL', 'SKIP'],
  FINISHING: ['STOP', 'KILL', 'SKIP'],
  USER_FAILED: ['STOP', 'KILL', 'SKIP'],
  PLATFORM_FAILED: ['STOP', 'KILL', 'SKIP'],
  TIMEOUT_FAILED: ['STOP', 'KILL', 'SKIP'],
  DISABLED: ['RESTART'],
  UNSATISFIED: ['RESTART'],
  SKIPPED: ['RESTART', 'SKIP'],
  SUCCEEDED: ['RESTART', 'SKIP'],
  COMPLETED_WITH_ERROR: ['RESTART', 'SKIP'],
  FATALLY_FAILED: ['RESTART', 'SKIP'],
  INTERNALLY_FAILED: ['RESTART', 'SKIP'],
  STOPPED: ['RESTART', 'SKIP'],
  TIMED_OUT: ['RESTART', 'SKIP'],
};
const NAME: Record<StepActionKind, string> = { stop: 'STOP', kill: 'KILL', skip: 'SKIP', bypass: 'BYPASS_STEP_DEPENDENCIES', restart: 'RESTART', resume: 'RESUME' };
const ACTIONS: StepActionKind[] = ['stop', 'kill', 'skip', 'bypass', 'restart', 'resume'];
const ACTIVE = new Set(STEP_STATUSES.slice(1, 10));
const RETRYABLE = new Set(['USER_FAILED', 'PLATFORM_FAILED', 'TIMEOUT_FAILED']);
const COMPLETE = new Set(['DISABLED', 'UNSATISFIED', 'SKIPPED', 'SUCCEEDED', 'COMPLETED_WITH_ERROR']);

/** Two independent Sleep steps, both RUNNING after start ('a' keeps the run alive). */
function running(): Driver {
  const d = new Driver(workflow([{ id: 'a', type: 'Sleep' }, { id: 'b', type: 'Sleep' }]));
  d.start();
  return d;
}

/** Puts step b in `status` (with a pending retry for the retryable failures). */
function force(d: Driver, status: StepStatus, endRun = false): void {
  const s = structuredClone(d.state!) as InstanceState;
  const b = s.steps['b']!;
  b.status = status;
  if (status === 'NOT_CREATED') b.attempts = [];
  else b.attempts[b.attempts.length - 1]!.status = status;
  if (RETRYABLE.has(status)) s.timers['retry:b'] = { timerId: 'retry:b', kind: 'retry', atMs: d.now + 1000, stepId: 'b', attempt: 2 };
  delete s.runningSteps;
  if (endRun) {
    s.status = 'FAILED';
    s.endedAtMs = d.now;
    s.steps['a']!.status = 'SUCCEEDED';
    s.steps['a']!.attempts[0]!.status = 'SUCCEEDED';
    delete s.timers['retry:b'];
  }
  d.state = s;
}

function act(d: Driver, action: StepActionKind, stepId = 'b', extra: { attempt?: number } = {}) {
  return d.apply({ t: 'step-action', atMs: d.now, stepId, action, ...extra });
}

const REFUSED_BY_TABLE = /allowed there|no action is allowed there|before it is created|does not exist in run/;

for (const status of STEP_STATUSES) {
  test(`while running, step ${status}: every action allowed or refused as Maestro's table says`, (t) => {
    for (const action of ACTIONS) {
      const d = running();
      force(d, status);
      const allowed = TABLE[status].includes(NAME[action]);
      const attempts = d.state!.steps['b']!.attempts.length;
      let err: unknown;
      try {
        act(d, action);
      } catch (e) {
        err = e;
      }
      const what = `${action} in ${status}`;
      if (!allowed) {
        t.true(err instanceof PreconditionError, `${what} is refused`);
        t.regex((err as Error).message, REFUSED_BY_TABLE, what);
        if (status !== 'NOT_CREATED') t.regex((err as Error).message, new RegExp(status), `${what}: the error names the status`);
        continue;
      }
      const b = () => d.state!.steps['b']!;
      switch (action) {
        case 'stop':
          t.falsy(err, what);
          t.is(b().status, 'STOPPED', what);
          t.falsy(d.state!.timers['retry:b'], `${what}: no retry left pending`);
          break;
        case 'kill':
          t.falsy(err, what);
          t.is(b().status, 'FATALLY_FAILED', what);
          break;
        case 'skip':
          if (ACTIVE.has(status) || RETRYABLE.has(status)) {
            t.falsy(err, what);
            t.is(b().status, 'SKIPPED', what);
            t.is(b().attempts.length, attempts, `${what}: the same attempt`);
          } else if (COMPLETE.has(status)) {
            t.true(err instanceof PreconditionError, `${what}: a complete step cannot be skipped while the run goes on`);
            t.regex((err as Error).message, /non-terminal or complete/);
          } else {
            t.falsy(err, what);
            t.is(b().status, 'SKIPPED', `${what}: a new attempt, skipped`);
            t.is(b().attempts.length, attempts + 1, what);
            t.is(d.state!.runId, 1, `${what}: in the same run`);
          }
          break;
        case 'bypass':
          t.falsy(err, what);
          t.is(b().status, 'RUNNING', what);
          t.deepEqual(b().signalDependencies?.dependencies, [], what);
          break;
        case 'resume':
          t.falsy(err, what);
          t.is(b().status, 'RUNNING', what);
          break;
        case 'restart':
          if (COMPLETE.has(status)) {
            t.true(err instanceof PreconditionError, `${what}: a complete step cannot be restarted while the run goes on`);
            t.regex((err as Error).message, /non-terminal or complete/);
          } else {
            t.falsy(err, what);
            t.is(b().status, 'RUNNING', `${what}: a new attempt`);
            t.is(b().attempts.length, attempts + 1, what);
            t.is(d.state!.runId, 1, what);
          }
          break;
      }
    }
  });
}

for (const status of STEP_STATUSES.filter((s) => s === 'NOT_CREATED' || (!ACTIVE.has(s) && !RETRYABLE.has(s)))) {
  test(`after the run ended, step ${status}: stop/kill refused, skip/restart start a new run`, (t) => {
    for (const action of ACTIONS) {
      const d = running();
      force(d, status, true);
      let err: unknown;
      try {
        act(d, action);
      } catch (e) {
        err = e;
      }
      const what = `${action} in ${status} after the end`;
      if (action === 'stop' || action === 'kill') {
        t.true(err instanceof PreconditionError, what);
        t.regex((err as Error).message, /already FAILED/, what);
        continue;
      }
      if (!TABLE[status].includes(NAME[action])) {
        t.true(err instanceof PreconditionError, what);
        t.regex((err as Error).message, REFUSED_BY_TABLE, what);
        continue;
      }
      t.falsy(err, what);
      t.is(d.state!.runId, 2, `${what}: a new run`);
      t.is(d.state!.runPolicy, 'RESTART_FROM_SPECIFIC', what);
      t.is(d.status('b'), action === 'skip' ? 'SKIPPED' : 'RUNNING', what);
      t.is(d.status('a'), 'SUCCEEDED', `${what}: a complete step outside the new DAG is carried over`);
      t.deepEqual(d.state!.carried, ['a']);
    }
  });
}

test('an unknown step is a ValidationError naming step_id', (t) => {
  const d = running();
  const err = t.throws(() => act(d, 'stop', 'nope'));
  t.true(err instanceof ValidationError);
  t.regex(err!.message, /^step_id: .*nope/);
});

test('stop of one step cancels its attempt; the other branch goes on; the run ends STOPPED', (t) => {
  const d = running();
  const attemptId = d.state!.steps['b']!.attempts[0]!.attemptId;
  const cmds = act(d, 'stop');
  t.deepEqual(cmds.filter((c) => c.c === 'cancel'), [{ c: 'cancel', attemptId }]);
  t.is(d.status('b'), 'STOPPED');
  t.is(d.status(), 'IN_PROGRESS');
  t.is(d.status('a'), 'RUNNING');
  d.result('a');
  t.is(d.status(), 'STOPPED');
});

test('kill: FATALLY_FAILED with failure_mode FAIL_AFTER_RUNNING; the run fails once the rest ends', (t) => {
  const d = new Driver(workflow([{ id: 'a', type: 'Sleep' }, { id: 'b', type: 'Sleep', next: { c: 'true' } }, { id: 'c' }]));
  d.start();
  act(d, 'kill');
  t.is(d.status('b'), 'FATALLY_FAILED');
  t.is(d.status('c'), 'NOT_CREATED');
  t.is(d.status(), 'IN_PROGRESS');
  d.result('a');
  t.is(d.status(), 'FAILED');
});

test('kill with IGNORE_FAILURE: COMPLETED_WITH_ERROR, successors run', (t) => {
  const d = new Driver(workflow([{ id: 'b', type: 'Sleep', next: { c: 'true' }, extra: { failure_mode: 'IGNORE_FAILURE' } }, { id: 'c', type: 'Sleep' }]));
  d.start();
  act(d, 'kill');
  t.is(d.status('b'), 'COMPLETED_WITH_ERROR');
  t.is(d.status('c'), 'RUNNING');
});

test('kill with FAIL_IMMEDIATELY: every other step stops (cancelled) and the instance FAILS', (t) => {
  const d = new Driver(workflow([{ id: 'a', type: 'Sleep' }, { id: 'b', type: 'Sleep', extra: { failure_mode: 'FAIL_IMMEDIATELY' } }]));
  d.start();
  const aAttempt = d.state!.steps['a']!.attempts[0]!.attemptId;
  const cmds = act(d, 'kill');
  t.is(d.status('b'), 'FATALLY_FAILED');
  t.is(d.status('a'), 'STOPPED');
  t.true(cmds.some((c) => c.c === 'cancel' && c.attemptId === aAttempt));
  t.is(d.status(), 'FAILED');
});

test('skip of a running step: SKIPPED (complete), its successors evaluate their conditions', (t) => {
  const d = new Driver(workflow([{ id: 'b', type: 'Sleep', next: { c: 'true', e: 'false' } }, { id: 'c', type: 'Sleep' }, { id: 'e' }]));
  d.start();
  const cmds = act(d, 'skip');
  t.true(cmds.some((c) => c.c === 'cancel'));
  t.is(d.status('b'), 'SKIPPED');
  t.is(d.status('c'), 'RUNNING');
  t.is(d.status('e'), 'UNSATISFIED');
});

test('bypass: dependencies SKIPPED with the info text, then params and the start', (t) => {
  const d = new Driver(workflow([{ id: 'b', type: 'Sleep', extra: { signal_dependencies: [{ name: 'sig1' }, { name: 'sig2' }] } }]));
  d.start();
  t.is(d.status('b'), 'WAITING_FOR_SIGNALS');
  d.apply({ t: 'step-action', atMs: d.now, stepId: 'b', action: 'bypass', reason: 'ops' });
  const st = d.state!.steps['b']!;
  t.is(st.status, 'RUNNING');
  t.deepEqual(st.signalDependencies, {
    info: 'Signal step dependencies have been bypassed by user [ops]',
    dependencies: [
      { name: 'sig1', status: 'SKIPPED' },
      { name: 'sig2', status: 'SKIPPED' },
    ],
  });
  t.deepEqual(d.history.get('b'), ['CREATED', 'INITIALIZED', 'WAITING_FOR_SIGNALS', 'EVALUATING_PARAMS', 'WAITING_FOR_PERMITS', 'STARTING', 'RUNNING']);
  t.deepEqual(toInstanceView(d.state!, d.ctx.def).steps[0]!.signalDependencies, st.signalDependencies);
});

test('restart while running needs failure_mode FAIL_AFTER_RUNNING and no retry pending', (t) => {
  const d = new Driver(workflow([
    { id: 'a', type: 'Sleep' },
    { id: 'b', type: 'Sleep', extra: { failure_mode: 'IGNORE_FAILURE' } },
    { id: 'r', type: 'Sleep', extra: { retry_policy: { error_retry_limit: 1 } } },
  ]));
  d.start();
  d.result('b', 'FATALLY_FAILED');
  t.is(d.status('b'), 'COMPLETED_WITH_ERROR');
  t.throws(() => act(d, 'restart'), { instanceOf: PreconditionError, message: /non-terminal or complete/ });
  d.result('r', 'USER_FAILED');
  t.truthy(d.state!.timers['retry:r']);
  t.throws(() => act(d, 'restart', 'r'), { instanceOf: PreconditionError, message: /USER_FAILED; allowed there: STOP, KILL, SKIP/ });
  d.fire('retry:r');
  d.result('r', 'USER_FAILED');
  t.falsy(d.state!.timers['retry:r'], 'retries used up');
  act(d, 'restart', 'r'); // counts as FATALLY_FAILED (Maestro's status once retries are used up)
  t.is(d.status('r'), 'RUNNING');
  t.is(d.state!.steps['r']!.attempts.length, 3);
});

test('restart of a failed step while others run: a new attempt; the blocked successor then runs', (t) => {
  const d = new Driver(workflow([{ id: 'a', type: 'Sleep' }, { id: 'b', type: 'Sleep', next: { c: 'true' } }, { id: 'c', type: 'Sleep' }]));
  d.start();
  d.result('b', 'FATALLY_FAILED');
  t.is(d.status('c'), 'NOT_CREATED');
  act(d, 'restart');
  t.is(d.status('b'), 'RUNNING');
  t.is(d.state!.steps['b']!.attempts.length, 2);
  d.result('b');
  t.is(d.status('c'), 'RUNNING');
  d.result('c');
  d.result('a');
  t.is(d.status(), 'SUCCEEDED');
  t.is(d.state!.runId, 1);
});

test('restart from a step after the end: a new run from it; the rest is carried over with its run id', (t) => {
  const d = new Driver(workflow([{ id: 'a', next: { b: 'true' } }, { id: 'b', type: 'Sleep', next: { c: 'true' } }, { id: 'c', type: 'Sleep' }, { id: 'x', type: 'Sleep' }]));
  d.start();
  d.result('a');
  d.result('b');
  d.result('c');
  d.result('x');
  t.is(d.status(), 'SUCCEEDED');
  d.now += 1000;
  act(d, 'restart', 'b');
  t.is(d.state!.runId, 2);
  t.is(d.state!.runPolicy, 'RESTART_FROM_SPECIFIC');
  t.is(d.status('a'), 'SUCCEEDED');
  t.is(d.status('b'), 'RUNNING', 'the restart step starts although it has a predecessor outside the run');
  t.is(d.status('c'), 'NOT_CREATED', 'downstream of the restart step re-runs');
  t.is(d.status('x'), 'SUCCEEDED', 'an unrelated complete step is carried over');
  t.deepEqual(d.state!.carried, ['a', 'x']);
  let view = toInstanceView(d.state!, d.ctx.def);
  t.deepEqual(view.aggregatedInfo!.steps.map((s) => [s.stepId, s.runId, s.status]), [
    ['a', 1, 'SUCCEEDED'],
    ['b', 2, 'RUNNING'],
    ['c', undefined, 'NOT_CREATED'],
    ['x', 1, 'SUCCEEDED'],
  ]);
  d.result('b');
  d.result('c');
  t.is(d.status(), 'SUCCEEDED');
  view = toInstanceView(d.state!, d.ctx.def);
  t.is(view.aggregatedInfo!.workflowInstanceStatus, 'SUCCEEDED');
  t.deepEqual(d.state!.runs.map((r) => [r.runId, r.status]), [[1, 'SUCCEEDED']]);
});

test('restart of an UNSATISFIED step in a new run makes it run (its old condition does not count)', (t) => {
  const d = new Driver(workflow([{ id: 'a', next: { b: 'false' } }, { id: 'b', type: 'Sleep' }]));
  d.start();
  d.result('a');
  t.is(d.status('b'), 'UNSATISFIED');
  t.is(d.status(), 'SUCCEEDED');
  act(d, 'restart');
  t.is(d.status('b'), 'RUNNING');
});

test('instance restart RESTART_FROM_SPECIFIC: the step and every incomplete step re-run', (t) => {
  const d = new Driver(workflow([{ id: 'a', type: 'Sleep' }, { id: 'b', type: 'Sleep', next: { c: 'true' } }, { id: 'c', type: 'Sleep' }]));
  d.start();
  d.result('a');
  d.result('b', 'FATALLY_FAILED');
  t.is(d.status(), 'FAILED');
  t.throws(() => d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_SPECIFIC' }), { instanceOf: ValidationError, message: /restart_step_id: is required/ });
  t.throws(() => d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_INCOMPLETE', stepId: 'a' }), { instanceOf: ValidationError, message: /restart_step_id/ });
  t.throws(() => d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_SPECIFIC', stepId: 'c' }), { instanceOf: PreconditionError, message: /does not exist in run 1/ });
  d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_SPECIFIC', stepId: 'a' });
  t.is(d.status('a'), 'RUNNING');
  t.is(d.status('b'), 'RUNNING');
  t.is(d.state!.carried, undefined);
});

test('aggregated status: a SUCCEEDED restart run shows FAILED while an earlier run step is still failed; run_status keeps SUCCEEDED', (t) => {
  const d = new Driver(workflow([{ id: 'a' }, { id: 'b' }]));
  d.start();
  const s = structuredClone(d.state!) as InstanceState;
  s.runId = 2;
  s.runPolicy = 'RESTART_FROM_SPECIFIC';
  s.carried = ['b'];
  s.aggregated = { steps: { b: { runId: 1, status: 'FATALLY_FAILED' } }, status: 'FAILED' };
  t.is(aggregatedStatus(s, d.ctx.def, 'SUCCEEDED'), 'FAILED');
  s.aggregated.steps['b']!.status = 'STOPPED';
  t.is(aggregatedStatus(s, d.ctx.def, 'SUCCEEDED'), 'STOPPED');
  s.aggregated.steps['b']!.status = 'SUCCEEDED';
  t.is(aggregatedStatus(s, d.ctx.def, 'SUCCEEDED'), 'SUCCEEDED');
  t.is(aggregatedStatus(s, d.ctx.def, 'FAILED'), 'FAILED', 'only a SUCCEEDED run is aggregated');
  s.runPolicy = 'RESTART_FROM_BEGINNING';
  s.aggregated.steps['b']!.status = 'FATALLY_FAILED';
  t.is(aggregatedStatus(s, d.ctx.def, 'SUCCEEDED'), 'SUCCEEDED', 'a fresh run is not aggregated');
});

test('aggregated status when the run ends: the instance takes it, runStatus keeps the run’s own', (t) => {
  const d = new Driver(workflow([{ id: 'a', type: 'Sleep' }, { id: 'b' }]));
  d.start();
  // a restart run (as a nested restart could leave it) whose carried step b failed in run 1
  const s = structuredClone(d.state!) as InstanceState;
  s.runId = 2;
  s.runPolicy = 'RESTART_FROM_SPECIFIC';
  s.carried = ['b'];
  s.aggregated = { steps: { b: { runId: 1, status: 'FATALLY_FAILED' } }, status: 'FAILED' };
  s.runs = [{ runId: 1, status: 'FAILED' }];
  s.steps['b'] = { ...s.steps['b']!, status: 'SUCCEEDED' }; // what the state holds does not matter for a carried step
  delete s.runningSteps;
  d.state = s;
  d.result('a');
  t.is(d.status(), 'FAILED');
  t.is(d.state!.runStatus, 'SUCCEEDED');
  const view = toInstanceView(d.state!, d.ctx.def);
  t.is(view.runStatus, 'SUCCEEDED');
  t.is(view.aggregatedInfo!.workflowInstanceStatus, 'FAILED');
  t.regex(view.error!, /run 2 SUCCEEDED; over all runs the instance is FAILED/);
});

test('resume names the paused attempt; another attempt number is refused', (t) => {
  const d = new Driver(workflow([{ id: 'b', type: 'Sleep' }]));
  d.ctx.breakpoint = () => true;
  d.start();
  t.is(d.status('b'), 'PAUSED');
  t.throws(() => act(d, 'resume', 'b', { attempt: 2 }), { instanceOf: PreconditionError, message: /the paused attempt is 1/ });
  act(d, 'resume', 'b', { attempt: 1 });
  t.is(d.status('b'), 'RUNNING');
});
