/**
 * Step signal dependencies and outputs in the pure machine (maestro-semantics §8.3–8.5, §6.5):
 * what is evaluated from what, the waits and announces it asks the actor for, how matches and
 * announce results move the step, bypass, stop, retries and restarts, recovery, and replay.
 */
import test from 'ava';
import { Driver, workflow } from './instance-helpers.js';
import { replayInstance, toInstanceView, type InstanceCommand, type InstanceEvent, type MachineContext } from '../../src/core/instance/index.js';
import type { ExpressionEngine } from '../../src/core/expr-port.js';

const DAY = { expression: 'day + 1', type: 'LONG' };

function def(job: Record<string, unknown> = {}): Record<string, unknown> {
  return workflow(
    [
      { id: 'up', type: 'Sleep', next: { job: 'true' } },
      {
        id: 'job',
        type: 'Sleep',
        extra: {
          params: {
            own: { value: 'mine', type: 'STRING' },
            p3: { expression: "params.getFromSignalDependency('0', 'dateint')", type: 'STRING' },
          },
          signal_dependencies: [
            {
              name: 'db/${tbl}',
              match_params: {
                dateint: { param: { expression: "'' + nextDay", type: 'STRING' }, operator: '>=' },
                hour: { param: { value: '00', type: 'STRING' }, operator: '=' },
              },
            },
            { name: 'up/${up__out}' },
          ],
          signal_outputs: [
            {
              name: 'out/${own}',
              params: { k: { value: '${own}-${p3}', type: 'STRING' }, n: { expression: '1 + 1', type: 'LONG' } },
              payload: { x: { value: 1, type: 'LONG' } },
            },
          ],
          ...job,
        },
      },
    ],
    { params: { tbl: { value: 't1', type: 'STRING' }, day: { value: 20500100, type: 'LONG' }, nextDay: DAY } },
  );
}

function commandsOf<C extends InstanceCommand['c']>(cmds: InstanceCommand[], c: C): Array<Extract<InstanceCommand, { c: C }>> {
  return cmds.filter((x): x is Extract<InstanceCommand, { c: C }> => x.c === c);
}

function matched(d: Driver, index: number, params: Record<string, string | number>, seqId = 10 + index, runId = d.state!.runId, name?: string): InstanceCommand[] {
  const n = name ?? d.state!.steps['job']!.signalDependencies!.dependencies[index]!.name;
  return d.apply({ t: 'signal-matched', atMs: d.now, runId, stepId: 'job', index, signal: { name: n, seqId, params } });
}

/** Runs `up` with output `out: x`, so `job` reaches its signal wait. */
function toWait(d: Driver): InstanceCommand[] {
  d.start();
  return d.result('up', 'SUCCEEDED', { outputs: { out: 'x' } });
}

const GOOD = { dateint: '20500102', hour: '00', extra: 5 };

test('dependencies are evaluated from workflow params and upstream outputs; a Wait per dependency', (t) => {
  const d = new Driver(def());
  const cmds = toWait(d);
  t.is(d.status('job'), 'WAITING_FOR_SIGNALS');
  const waits = commandsOf(cmds, 'signal-wait').flatMap((c) => c.waits);
  t.deepEqual(waits, [
    {
      name: 'db/t1',
      waiter: { instanceKey: 'wf/1', runId: 1, stepId: 'job', index: 0 },
      match: { dateint: { value: '20500101', operator: '>=' }, hour: { value: '00', operator: '=' } },
    },
    { name: 'up/x', waiter: { instanceKey: 'wf/1', runId: 1, stepId: 'job', index: 1 }, match: {} },
  ]);
  t.deepEqual(
    d.state!.steps['job']!.signalDependencies!.dependencies.map((x) => x.status),
    ['PENDING', 'PENDING'],
  );
  t.deepEqual(d.state!.steps['job']!.params, {}, 'step params wait for the signals');
});

test('matches move dependencies to MATCHED; once all are, params are evaluated (getFromSignalDependency) and the step starts', (t) => {
  const d = new Driver(def());
  toWait(d);
  matched(d, 0, GOOD, 3);
  t.is(d.status('job'), 'WAITING_FOR_SIGNALS', 'one dependency still pending');
  // stale or wrong matches change nothing
  const before = d.state;
  matched(d, 0, { dateint: '20990101', hour: '00' }, 4); // already MATCHED
  matched(d, 1, {}, 5, 2); // another run
  matched(d, 1, {}, 6, 1, 'up/y'); // another name
  t.deepEqual(d.state!.steps, before!.steps);
  matched(d, 1, {}, 7);
  t.is(d.status('job'), 'RUNNING');
  t.is(d.state!.steps['job']!.params['p3']!.value, '20500102');
  const view = toInstanceView(d.state!, d.ctx.def).steps.find((s) => s.stepId === 'job')!;
  t.deepEqual(view.signalDependencies, {
    dependencies: [
      { name: 'db/t1', status: 'MATCHED', signalId: 3, matchParams: { dateint: { value: '20500101', operator: '>=' }, hour: { value: '00', operator: '=' } } },
      { name: 'up/x', status: 'MATCHED', signalId: 7 },
    ],
  });
});

test('a signal that does not satisfy the match is ignored', (t) => {
  const d = new Driver(def());
  toWait(d);
  matched(d, 0, { dateint: '20400101', hour: '00' });
  matched(d, 0, { dateint: 20500102, hour: '00' }); // a long never matches a string
  t.is(d.state!.steps['job']!.signalDependencies!.dependencies[0]!.status, 'PENDING');
});

test('outputs are evaluated in FINISHING with the step’s own params, announced, and the step succeeds once all are recorded', (t) => {
  const d = new Driver(def());
  toWait(d);
  matched(d, 0, GOOD);
  matched(d, 1, {});
  const cmds = d.result('job');
  t.is(d.status('job'), 'FINISHING');
  const [announce] = commandsOf(cmds, 'signal-announce');
  const uuid = d.state!.steps['job']!.params['step_instance_uuid']!.value;
  t.deepEqual(announce!.announces, [
    {
      name: 'out/mine',
      index: 0,
      signal: { params: { k: 'mine-20500102', n: 2 }, payload: { x: 1 } },
      source: { workflowId: 'wf', instanceId: 1, runId: 1, stepId: 'job', attempt: 1, stepInstanceUuid: uuid as string },
      runId: 1,
      stepId: 'job',
      attempt: 1,
    },
  ]);
  t.is(d.status(), 'IN_PROGRESS');
  // an announce result for another attempt changes nothing
  d.apply({ t: 'signal-announced', atMs: d.now, runId: 1, stepId: 'job', attempt: 2, index: 0, signalId: 1, announceTimeMs: 5 });
  t.is(d.status('job'), 'FINISHING');
  d.apply({ t: 'signal-announced', atMs: d.now, runId: 1, stepId: 'job', attempt: 1, index: 0, signalId: 9, announceTimeMs: null });
  t.is(d.status('job'), 'SUCCEEDED', 'a duplicate (null announce time) counts as done');
  t.is(d.status(), 'SUCCEEDED');
  const view = toInstanceView(d.state!, d.ctx.def).steps.find((s) => s.stepId === 'job')!;
  t.deepEqual(view.signalOutputs, {
    info: 'Signal step outputs have been completed.',
    outputs: [{ name: 'out/mine', params: { k: 'mine-20500102', n: 2 }, payload: { x: 1 }, announced: true, signalId: 9 }],
  });
});

test('the step’s own params are not visible to its dependencies: the attempt ends INTERNALLY_FAILED', (t) => {
  const d = new Driver(def({ signal_dependencies: [{ name: 'x/${own}' }] }));
  toWait(d);
  t.is(d.status('job'), 'INTERNALLY_FAILED');
  const a = d.state!.steps['job']!.attempts[0]!;
  t.regex(a.error!, /signal dependencies evaluation failed: .*signal_dependencies\[0\]\.name/);
});

test('an output that fails to evaluate ends the attempt INTERNALLY_FAILED', (t) => {
  const d = new Driver(def({ signal_outputs: [{ name: 'o', params: { k: { expression: 'nope + 1', type: 'LONG' } } }] }));
  toWait(d);
  matched(d, 0, GOOD);
  matched(d, 1, {});
  d.result('job');
  t.is(d.status('job'), 'INTERNALLY_FAILED');
  t.regex(d.state!.steps['job']!.attempts[0]!.error!, /signal outputs evaluation failed: .*signal_outputs\[0\]\.params\.k/);
});

test('bypass: pending dependencies become SKIPPED and their waits are dropped; a matched one stays MATCHED', (t) => {
  const d = new Driver(def({ params: {} }));
  toWait(d);
  matched(d, 1, {});
  const cmds = d.apply({ t: 'step-action', atMs: d.now, stepId: 'job', action: 'bypass', reason: 'tester' });
  t.is(d.status('job'), 'RUNNING');
  t.deepEqual(commandsOf(cmds, 'signal-unwait').flatMap((c) => c.waits), [{ name: 'db/t1', waiter: { instanceKey: 'wf/1', runId: 1, stepId: 'job', index: 0 } }]);
  const deps = d.state!.steps['job']!.signalDependencies!;
  t.is(deps.info, 'Signal step dependencies have been bypassed by user [tester]');
  t.deepEqual(deps.dependencies.map((x) => x.status), ['SKIPPED', 'MATCHED']);
});

test('getFromSignalDependency of a bypassed (unmatched) dependency fails the param evaluation', (t) => {
  const d = new Driver(def());
  toWait(d);
  d.apply({ t: 'step-action', atMs: d.now, stepId: 'job', action: 'bypass' });
  t.is(d.status('job'), 'FATALLY_FAILED');
  t.regex(d.state!.steps['job']!.attempts[0]!.error!, /cannot find param \[dateint\] for signal dependency index \[0\]/);
});

test('a waiting step that is stopped, or an instance stopped, drops its waits', (t) => {
  const d = new Driver(def());
  toWait(d);
  matched(d, 0, GOOD);
  let cmds = d.apply({ t: 'step-action', atMs: d.now, stepId: 'job', action: 'stop' });
  t.is(d.status('job'), 'STOPPED');
  t.deepEqual(commandsOf(cmds, 'signal-unwait').flatMap((c) => c.waits.map((w) => w.waiter.index)), [1]);
  const e = new Driver(def());
  toWait(e);
  cmds = e.apply({ t: 'stop', atMs: e.now });
  t.deepEqual(commandsOf(cmds, 'signal-unwait').flatMap((c) => c.waits.map((w) => w.waiter.index)), [0, 1]);
});

test('a retry keeps the dependencies: the new attempt does not wait again', (t) => {
  const d = new Driver(def({ retry_policy: { error_retry_limit: 1 } }));
  toWait(d);
  matched(d, 0, GOOD);
  matched(d, 1, {});
  d.result('job', 'USER_FAILED');
  const cmds = d.fire('retry:job');
  t.is(d.status('job'), 'RUNNING');
  t.is(d.state!.steps['job']!.attempts.length, 2);
  t.is(commandsOf(cmds, 'signal-wait').length, 0);
});

test('a restarted run keeps MATCHED dependencies and waits only for the others, as run 2', (t) => {
  const d = new Driver(def());
  toWait(d);
  matched(d, 0, GOOD, 3);
  d.apply({ t: 'stop', atMs: d.now });
  const cmds = d.apply({ t: 'restart', atMs: d.now, policy: 'RESTART_FROM_INCOMPLETE' });
  t.is(d.state!.runId, 2);
  t.is(d.status('job'), 'WAITING_FOR_SIGNALS');
  t.deepEqual(commandsOf(cmds, 'signal-wait').flatMap((c) => c.waits.map((w) => [w.waiter.index, w.waiter.runId])), [[1, 2]]);
  t.is(d.state!.steps['job']!.signalDependencies!.dependencies[0]!.signalId, 3);
  matched(d, 1, {});
  t.is(d.status('job'), 'RUNNING');
  t.is(d.state!.steps['job']!.params['p3']!.value, '20500102');
});

test('recovery re-sends the waits of a waiting step and the pending announces of a FINISHING one', (t) => {
  const d = new Driver(def());
  toWait(d);
  matched(d, 1, {});
  t.deepEqual(commandsOf(d.resume(), 'signal-wait').flatMap((c) => c.waits.map((w) => w.waiter.index)), [0]);
  matched(d, 0, GOOD);
  d.result('job');
  t.deepEqual(commandsOf(d.resume(), 'signal-announce').flatMap((c) => c.announces.map((a) => a.name)), ['out/mine']);
});

/** A node that evaluates no SEL: replay must not ask. */
function noSelNode(d: Driver): MachineContext {
  const engine: ExpressionEngine = {
    compile: () => undefined,
    evaluate: (src) => {
      throw new Error(`replay evaluated SEL: ${src}`);
    },
  };
  return { def: d.ctx.def, engine, hasRuntime: () => false };
}

test('replay folds to the same state and evaluates nothing (signal decisions are recorded)', (t) => {
  const d = new Driver(def());
  toWait(d);
  matched(d, 0, GOOD);
  matched(d, 1, {});
  d.result('job');
  d.apply({ t: 'signal-announced', atMs: d.now, runId: 1, stepId: 'job', attempt: 1, index: 0, signalId: 9, announceTimeMs: 77 });
  t.is(d.status(), 'SUCCEEDED');
  const kinds = d.events.flatMap(([, , decisions]) => decisions.map((x) => x[0]));
  t.true(kinds.includes('signalDeps'));
  t.true(kinds.includes('signalOutputs'));
  t.deepEqual(d.replay(noSelNode(d)), d.state);
});

test('a step without SEL in its signals records no signal decision and replays the same', (t) => {
  const d = new Driver(
    def({
      params: {},
      signal_dependencies: [{ name: 'db/${tbl}', match_params: { h: { param: { value: '00', type: 'STRING' }, operator: '=' } } }],
      signal_outputs: [{ name: 'o/${tbl}', params: { k: { value: 3, type: 'LONG' } } }],
    }),
  );
  toWait(d);
  matched(d, 0, { h: '00' });
  d.result('job');
  const ev: InstanceEvent = { t: 'signal-announced', atMs: d.now, runId: 1, stepId: 'job', attempt: 1, index: 0, signalId: 1, announceTimeMs: 1 };
  d.apply(ev);
  t.is(d.status(), 'SUCCEEDED');
  const kinds = d.events.flatMap(([, , decisions]) => decisions.map((x) => x[0]));
  t.false(kinds.includes('signalDeps'));
  t.false(kinds.includes('signalOutputs'));
  t.deepEqual(d.replay(noSelNode(d)), d.state);
});

test('a journal from before step signals (no version markers) folds as it did: the step waits for a bypass and succeeds without announcing', (t) => {
  const d = new Driver(def({ params: {}, signal_outputs: [{ name: 'o', params: { k: { value: 'v', type: 'STRING' } } }] }));
  toWait(d);
  d.apply({ t: 'step-action', atMs: d.now, stepId: 'job', action: 'bypass' });
  d.result('job');
  t.is(d.status('job'), 'FINISHING', 'this engine announces the output first');
  const NEW = new Set(['signalWaitOn', 'signalDeps', 'signalOutputsOn', 'signalOutputs']);
  const old = d.records().map((r) => {
    const rec = r.event as { v: number; e: unknown; d: Array<[string, unknown]> };
    return { seq: r.seq, event: { ...rec, d: rec.d.filter((x) => !NEW.has(x[0])) } };
  });
  t.true(old.some((r, i) => r.event.d.length !== (d.records()[i]!.event as { d: unknown[] }).d.length), 'the markers were recorded');
  const r = replayInstance({ instanceKey: 'wf/1', records: old }, noSelNode(d), 'test');
  t.is(r.failure, undefined);
  const job = r.state!.steps['job']!;
  t.is(job.status, 'SUCCEEDED');
  t.is(job.signalOutputs, undefined);
  t.deepEqual(job.signalDependencies!.dependencies, [
    { name: 'db/${tbl}', status: 'SKIPPED' },
    { name: 'up/${up__out}', status: 'SKIPPED' },
  ]);
  t.is(r.state!.status, 'SUCCEEDED');
});
