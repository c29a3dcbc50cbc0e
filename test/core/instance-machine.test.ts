import test from 'ava';
import { PreconditionError } from '../../src/core/errors.js';
import { Driver, dispatched, dispatchedIds, workflow } from './instance-helpers.js';

const chain = workflow([
  { id: 'a', next: { b: 'true' } },
  { id: 'b', next: { c: 'true' } },
  { id: 'c' },
]);

test('a chain runs each step in order and succeeds', (t) => {
  const d = new Driver(chain);
  t.deepEqual(dispatchedIds(d.start()), ['a']);
  t.is(d.status(), 'IN_PROGRESS');
  t.is(d.status('a'), 'RUNNING');
  t.is(d.status('b'), 'NOT_CREATED');
  t.deepEqual(dispatchedIds(d.result('a')), ['b']);
  t.deepEqual(dispatchedIds(d.result('b')), ['c']);
  const cmds = d.result('c');
  t.is(d.status(), 'SUCCEEDED');
  t.true(cmds.some((c) => c.c === 'finished'));
  t.deepEqual(
    d.history.get('a'),
    ['CREATED', 'INITIALIZED', 'EVALUATING_PARAMS', 'WAITING_FOR_PERMITS', 'STARTING', 'RUNNING', 'FINISHING', 'SUCCEEDED'],
  );
});

test('a dispatch carries a unique attempt id, the params and the start time', (t) => {
  const d = new Driver(workflow([{ id: 's', type: 'Sleep', extra: { params: { sleep_seconds: { value: 5, type: 'LONG' } } } }]));
  const [task] = dispatched(d.start());
  t.is(task!.attemptId, 'wf/1/1/s/1');
  t.is(task!.params.sleep_seconds, 5);
  t.is(task!.startedAtMs, d.now);
  t.is(task!.stepType, 'Sleep');
});

test('false edges make a step UNSATISFIED, and that spreads downstream', (t) => {
  const d = new Driver(
    workflow([
      { id: 'a', next: { yes: 'true', no: 'false' } },
      { id: 'yes', next: { end: 'true' } },
      { id: 'no', next: { after_no: 'true' } },
      { id: 'after_no' },
      { id: 'end' },
    ]),
  );
  d.start();
  t.deepEqual(dispatchedIds(d.result('a')), ['yes']);
  t.is(d.status('no'), 'UNSATISFIED');
  t.is(d.status('after_no'), 'UNSATISFIED');
  d.result('yes');
  d.result('end');
  t.is(d.status(), 'SUCCEEDED');
});

test('a join waits for every predecessor and runs when any edge is true', (t) => {
  const d = new Driver(
    workflow([
      { id: 'a', next: { j: 'false' } },
      { id: 'b', next: { j: 'true' } },
      { id: 'j' },
    ]),
  );
  t.deepEqual(dispatchedIds(d.start()).sort(), ['a', 'b']);
  t.deepEqual(dispatchedIds(d.result('b')), []);
  t.is(d.status('j'), 'NOT_CREATED');
  t.deepEqual(dispatchedIds(d.result('a')), ['j']);
});

test('edge conditions compare params of the predecessor', (t) => {
  const d = new Driver(
    workflow([
      { id: 'a', next: { neg: 'x < 0', pos: 'x >= 0' }, extra: { params: { x: { value: 15, type: 'LONG' } } } },
      { id: 'neg' },
      { id: 'pos' },
    ]),
  );
  d.start();
  t.deepEqual(dispatchedIds(d.result('a')), ['pos']);
  t.is(d.status('neg'), 'UNSATISFIED');
});

test('user failures retry with Maestro defaults (2 retries, exponential 60 s) then fail the run', (t) => {
  const d = new Driver(workflow([{ id: 'a' }]));
  d.start();
  const c1 = d.result('a', 'USER_FAILED', { error: 'boom' });
  const timer = c1.find((c) => c.c === 'set-timer');
  t.truthy(timer);
  t.is(timer!.c === 'set-timer' && timer!.atMs - d.now, 60_000);
  t.is(d.status(), 'IN_PROGRESS');
  t.is(d.status('a'), 'USER_FAILED');
  t.deepEqual(dispatchedIds(d.fire('retry:a')), ['a']);
  t.is(d.state!.steps.a!.attempts.length, 2);
  const c2 = d.result('a', 'USER_FAILED');
  const timer2 = c2.find((c) => c.c === 'set-timer');
  t.is(timer2!.c === 'set-timer' && timer2!.atMs - d.now, 120_000);
  d.fire('retry:a');
  d.result('a', 'USER_FAILED');
  t.is(d.status(), 'FAILED');
  t.is(d.state!.steps.a!.attempts.length, 3);
  t.regex(d.state!.error!, /step a ended USER_FAILED/);
});

test('platform failures use their own limit and fixed backoff from the definition', (t) => {
  const d = new Driver(
    workflow([
      {
        id: 'a',
        extra: { retry_policy: { platform_retry_limit: 1, backoff: { type: 'FIXED_BACKOFF', platform_retry_backoff_in_secs: 3 } } },
      },
    ]),
  );
  d.start();
  const c = d.result('a', 'PLATFORM_FAILED');
  t.is(c.find((x) => x.c === 'set-timer')!.c === 'set-timer' && (c.find((x) => x.c === 'set-timer') as { atMs: number }).atMs - d.now, 3000);
  d.fire('retry:a');
  d.result('a', 'PLATFORM_FAILED');
  t.is(d.status(), 'FAILED');
  t.is(d.state!.steps.a!.retries.platform, 1);
});

test('FATALLY_FAILED is never retried', (t) => {
  const d = new Driver(workflow([{ id: 'a' }]));
  d.start();
  d.result('a', 'FATALLY_FAILED');
  t.is(d.status('a'), 'FATALLY_FAILED');
  t.is(d.status(), 'FAILED');
});

test('FAIL_AFTER_RUNNING (default) lets other branches finish, then fails', (t) => {
  const d = new Driver(
    workflow([
      { id: 'bad', next: { after: 'true' }, extra: { retry_policy: { error_retry_limit: 0 } } },
      { id: 'other' },
      { id: 'after' },
    ]),
  );
  d.start();
  d.result('bad', 'USER_FAILED');
  t.is(d.status(), 'IN_PROGRESS');
  t.is(d.status('other'), 'RUNNING');
  d.result('other');
  t.is(d.status(), 'FAILED');
  t.is(d.status('after'), 'NOT_CREATED');
});

test('FAIL_IMMEDIATELY stops the running steps and fails the run at once', (t) => {
  const d = new Driver(
    workflow([
      { id: 'bad', extra: { failure_mode: 'fail_immediately', retry_policy: { error_retry_limit: 0 } } },
      { id: 'other' },
    ]),
  );
  d.start();
  const cmds = d.result('bad', 'USER_FAILED');
  t.is(d.status(), 'FAILED');
  t.is(d.status('other'), 'STOPPED');
  t.true(cmds.some((c) => c.c === 'cancel' && c.attemptId === 'wf/1/1/other/1'));
});

test('IGNORE_FAILURE completes the step with error and continues', (t) => {
  const d = new Driver(
    workflow([
      { id: 'a', next: { b: 'true' }, extra: { failure_mode: 'IGNORE_FAILURE', retry_policy: { error_retry_limit: 0 } } },
      { id: 'b' },
    ]),
  );
  d.start();
  t.deepEqual(dispatchedIds(d.result('a', 'USER_FAILED')), ['b']);
  t.is(d.status('a'), 'COMPLETED_WITH_ERROR');
  d.result('b');
  t.is(d.status(), 'SUCCEEDED');
});

test('a step timeout cancels the attempt and ends it TIMEOUT_FAILED (no timeout retries by default)', (t) => {
  const d = new Driver(workflow([{ id: 's', type: 'Sleep', extra: { timeout: '10s', params: { sleep_seconds: { value: 60, type: 'LONG' } } } }]));
  const start = d.start();
  const timer = start.find((c) => c.c === 'set-timer');
  t.is(timer!.c === 'set-timer' && timer!.atMs - d.now, 10_000);
  const cmds = d.fire('step-timeout:s');
  t.true(cmds.some((c) => c.c === 'cancel'));
  t.is(d.status('s'), 'TIMEOUT_FAILED');
  t.is(d.status(), 'FAILED');
});

test('a workflow timeout ends running steps TIMED_OUT and the run TIMED_OUT', (t) => {
  const d = new Driver(workflow([{ id: 'a' }], { timeout: '1 minute' }));
  d.start();
  d.fire('workflow-timeout');
  t.is(d.status(), 'TIMED_OUT');
  t.is(d.status('a'), 'TIMED_OUT');
});

test('stop and kill end the run; a second stop is refused', (t) => {
  const d = new Driver(chain);
  d.start();
  d.apply({ t: 'stop', atMs: d.now });
  t.is(d.status(), 'STOPPED');
  t.is(d.status('a'), 'STOPPED');
  t.throws(() => d.apply({ t: 'stop', atMs: d.now }), { instanceOf: PreconditionError, message: /already STOPPED/ });
  const k = new Driver(chain);
  k.start();
  k.apply({ t: 'kill', atMs: k.now });
  t.is(k.status(), 'FAILED');
});

test('restart from incomplete keeps succeeded steps and reruns the rest as run 2', (t) => {
  const d = new Driver(
    workflow([
      { id: 'a', next: { b: 'true' } },
      { id: 'b', extra: { retry_policy: { error_retry_limit: 0 } } },
    ]),
  );
  d.start();
  t.throws(() => d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_INCOMPLETE' }), { instanceOf: PreconditionError });
  d.result('a');
  d.result('b', 'USER_FAILED');
  t.is(d.status(), 'FAILED');
  const cmds = d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_INCOMPLETE' });
  t.is(d.state!.runId, 2);
  t.is(d.status('a'), 'SUCCEEDED');
  t.deepEqual(dispatchedIds(cmds), ['b']);
  t.is(dispatched(cmds)[0]!.attemptId, 'wf/1/2/b/1');
  d.result('b');
  t.is(d.status(), 'SUCCEEDED');
  t.deepEqual(d.state!.runs.map((r) => [r.runId, r.status]), [[1, 'FAILED']]);
});

test('restart from beginning reruns every step', (t) => {
  const d = new Driver(chain);
  d.start();
  d.result('a');
  d.apply({ t: 'stop', atMs: d.now });
  t.deepEqual(dispatchedIds(d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_BEGINNING' })), ['a']);
  t.is(d.status('a'), 'RUNNING');
});

test('duplicate and stale results change nothing', (t) => {
  const d = new Driver(chain);
  d.start();
  d.result('a');
  const before = JSON.stringify({ ...d.state, seq: 0 });
  const cmds = d.apply({ t: 'result', atMs: d.now, stepId: 'a', attempt: 1, result: { status: 'FATALLY_FAILED' } });
  t.deepEqual(cmds, []);
  t.is(JSON.stringify({ ...d.state, seq: 0 }), before);
});

test('a step type with no runtime fails fatally with a clear error', (t) => {
  const d = new Driver(workflow([{ id: 'k', type: 'kubernetes' }]));
  d.start();
  t.is(d.status('k'), 'FATALLY_FAILED');
  t.is(d.state!.steps.k!.attempts[0]!.error, 'no runtime for step type kubernetes');
  t.is(d.status(), 'FAILED');
});

test('instance_step_concurrency holds extra steps in WAITING_FOR_PERMITS', (t) => {
  const d = new Driver(workflow([{ id: 'a' }, { id: 'b' }, { id: 'c' }], { instance_step_concurrency: 2 }));
  t.deepEqual(dispatchedIds(d.start()), ['a', 'b']);
  t.is(d.status('c'), 'WAITING_FOR_PERMITS');
  t.deepEqual(dispatchedIds(d.result('a')), ['c']);
});

test('replaying the events rebuilds the identical state (uuids and times included)', (t) => {
  const d = new Driver(chain);
  d.start();
  d.result('a', 'USER_FAILED');
  d.fire('retry:a');
  d.result('a');
  t.deepEqual(d.replay(), d.state);
});

test('after recovery, running attempts are re-dispatched and timers re-armed', (t) => {
  const d = new Driver(workflow([{ id: 'a' }, { id: 'b' }]));
  d.start();
  d.result('b', 'USER_FAILED');
  const resumed = d.resume();
  t.deepEqual(dispatchedIds(resumed), ['a']);
  t.true(resumed.some((c) => c.c === 'set-timer' && c.timerId === 'retry:b'));
});

test('steps with signal dependencies wait for signals', (t) => {
  const d = new Driver(workflow([{ id: 'a', extra: { signal_dependencies: [{ name: 'sig', match_params: {} }] } }]));
  d.start();
  t.is(d.status('a'), 'WAITING_FOR_SIGNALS');
  t.is(d.status(), 'IN_PROGRESS');
});

test('outputs put for a running step are merged into its params and visible to successors', (t) => {
  const d = new Driver(workflow([{ id: 'a', next: { b: 'rows > 100' } }, { id: 'b' }]));
  d.start();
  d.apply({ t: 'outputs', atMs: d.now, stepId: 'a', outputs: { rows: 120 } });
  t.is(d.state!.steps.a!.params.rows!.value, 120);
  t.deepEqual(dispatchedIds(d.result('a')), ['b']);
  t.throws(() => d.apply({ t: 'outputs', atMs: d.now, stepId: 'a', outputs: { rows: 1 } }), { instanceOf: PreconditionError, message: /RUNNING/ });
  t.throws(() => d.apply({ t: 'outputs', atMs: d.now, stepId: 'nope', outputs: {} }), { message: /no step nope/ });
});

test('a transition keeps every field of the state, the steps and the attempts (explicit clones drop nothing)', (t) => {
  const d = new Driver(chain);
  d.start();
  const s = d.state!;
  // every optional field set, on the instance, a step and its attempt
  Object.assign(s, { requestId: 'r', endedAtMs: 1, error: 'e', runningSteps: 1 });
  Object.assign(s.steps.a!, { startedAtMs: 2, endedAtMs: 3 });
  Object.assign(s.steps.a!.attempts[0]!, { startedAtMs: 4, endedAtMs: 5, error: 'x', outputs: { o: 1 }, stdout: 'out', stderr: 'err', details: { d: 1 } });
  const before = structuredClone(s);
  d.result('a', 'SUCCEEDED'); // clones the instance, step a and its attempt
  const after = d.state!;
  t.not(after, s);
  t.not(after.steps.a, s.steps.a);
  for (const k of Object.keys(before)) t.true(k in after, `instance field ${k} kept`);
  for (const k of Object.keys(before.steps.a!)) t.true(k in after.steps.a!, `step field ${k} kept`);
  for (const k of Object.keys(before.steps.a!.attempts[0]!)) t.true(k in after.steps.a!.attempts[0]!, `attempt field ${k} kept`);
  t.deepEqual(after.steps.a!.attempts[0]!.details, { d: 1 });
  t.deepEqual(s, before, 'the previous state is untouched');
});

test('an edge condition that fails at run time fails the step it leads to, not the result of its predecessor', (t) => {
  const d = new Driver(workflow([{ id: 'a', next: { b: 'x > 1', c: 'true' } }, { id: 'b' }, { id: 'c' }]));
  d.start();
  t.notThrows(() => d.result('a'));
  t.is(d.status('a'), 'SUCCEEDED');
  t.is(d.status('b'), 'INTERNALLY_FAILED');
  t.regex(d.state!.steps.b!.attempts[0]!.error!, /condition of the edge from a: .*unknown variable x/);
  t.is(d.status('c'), 'RUNNING', 'FAIL_AFTER_RUNNING: the rest goes on');
  d.result('c');
  t.is(d.status(), 'FAILED');
  t.regex(d.state!.error!, /step b ended INTERNALLY_FAILED/);
  t.deepEqual(d.replay(), d.state);
});
