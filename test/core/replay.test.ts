/**
 * Replay is a pure fold: recorded decisions are read back, nothing is decided again, a record
 * that cannot be folded is a loud failure, and a journal from a newer format is refused.
 */
import test from 'ava';
import { Driver, workflow } from './instance-helpers.js';
import { createSelEngine } from '../../src/expr/index.js';
import {
  JournalFormatError,
  ReplayDivergenceError,
  decodeRecordEvent,
  encodeRecordEvent,
  replayInstance,
  type MachineContext,
} from '../../src/core/instance/index.js';

const shellFlow = workflow([
  { id: 'prep', type: 'NoOp', next: { run: 'n > 1' } },
  { id: 'run', type: 'Shell', extra: { timeout: '${t}s', params: { cmd: { value: 'true', type: 'STRING' } } } },
], { params: { n: { expression: 'Math.max(2, 1)', type: 'LONG' }, t: { value: 30, type: 'LONG' } } });

/** A node that differs in everything a decision could have asked: runtimes and SEL limits. */
function otherNode(d: Driver): MachineContext {
  return { def: d.ctx.def, engine: createSelEngine({ wallTimeMs: 1, nodeVisits: 1, loopIterations: 1 }), hasRuntime: () => false };
}

test('replay under another node config (no Shell runtime, other SEL limits) gives the identical state', (t) => {
  const d = new Driver(shellFlow);
  d.start();
  d.result('prep');
  t.is(d.status('run'), 'RUNNING');
  d.result('run', 'SUCCEEDED', { outputs: { rows: 3 } });
  t.is(d.status(), 'SUCCEEDED');
  t.deepEqual(d.replay(otherNode(d)), d.state);
});

test('a format-1 history (no decisions) is decided again: the reason format 2 records them', (t) => {
  const d = new Driver(shellFlow);
  d.start();
  d.result('prep');
  d.result('run');
  const legacy = d.events.map(([ev, seq]) => ({ seq, event: ev })); // format 1: the bare events
  const r = replayInstance({ instanceKey: 'wf/1', records: legacy }, otherNode(d), 'test');
  t.truthy(r.failure, 'a format-1 replay on a node without Shell cannot follow the journal');
  t.not(r.state?.steps['run']?.status, 'SUCCEEDED');
});

test('replay asks the node nothing: no expression, no runtime lookup', (t) => {
  const d = new Driver(shellFlow);
  d.start();
  d.result('prep');
  const asked: string[] = [];
  const spy: MachineContext = {
    def: d.ctx.def,
    engine: { compile: () => asked.push('compile'), evaluate: () => asked.push('evaluate') },
    hasRuntime: () => (asked.push('runtime'), true),
  };
  t.deepEqual(d.replay(spy), d.state);
  t.deepEqual(asked, []);
});

test('a record whose decisions do not match is a loud failure at its seq, with the state before it', (t) => {
  const d = new Driver(shellFlow);
  d.start();
  d.result('prep');
  const records = d.records();
  const second = decodeRecordEvent(records[1]!.event, 'test');
  const tampered = second.decisions!.map((x) => (x[0] === 'runtime' ? (['timeout', 5] as typeof x) : x));
  records[1] = { seq: 2, event: encodeRecordEvent(second.event, tampered) };
  const r = replayInstance({ instanceKey: 'wf/1', records }, d.ctx, 'test');
  t.is(r.failure?.seq, 2);
  t.true(r.failure?.error instanceof ReplayDivergenceError);
  t.regex(r.failure!.error.message, /expected a 'runtime' decision .* the journal has 'timeout'/);
  t.is(r.state?.seq, 1, 'the state of the last record that folded');
  // decisions left over, and decisions missing
  records[1] = { seq: 2, event: encodeRecordEvent(second.event, [...second.decisions!, ['retry', [0, 0]]]) };
  t.regex(replayInstance({ instanceKey: 'wf/1', records }, d.ctx, 'test').failure!.error.message, /left unread/);
  records[1] = { seq: 2, event: encodeRecordEvent(second.event, []) };
  t.regex(replayInstance({ instanceKey: 'wf/1', records }, d.ctx, 'test').failure!.error.message, /no recorded decision/);
});

test('a journal written in a newer format is refused, naming both formats', (t) => {
  const d = new Driver(shellFlow);
  d.start();
  const records = [{ seq: 1, event: { v: 3, e: d.events[0]![0], d: [] } }];
  const err = t.throws(() => replayInstance({ instanceKey: 'wf/1', records }, d.ctx, 'partition 2'), { instanceOf: JournalFormatError });
  t.regex(err!.message, /partition 2, wf\/1 seq 1: journal format 3 is newer than this node reads \(formats 1–2\)/);
});

test('a recorded failure replays as the same outcome (a condition that threw)', (t) => {
  const d = new Driver(workflow([{ id: 'a', next: { b: 'x > 1' } }, { id: 'b' }]));
  d.start();
  d.result('a');
  t.is(d.status('b'), 'INTERNALLY_FAILED');
  t.deepEqual(d.replay(otherNode(d)), d.state);
});

test('params whose expressions reference other expression params (evaluated lazily, nested) replay to the same values', (t) => {
  const d = new Driver(
    workflow(
      [
        { id: 'a', next: { b: 'total > 10' }, extra: { params: { twice: { expression: 'total * 2', type: 'LONG' }, first: { expression: 'twice + base', type: 'LONG' } } } },
        { id: 'b' },
      ],
      {
        params: {
          total: { expression: 'base + extra', type: 'LONG' }, // declared before what it uses
          base: { expression: '5 + 1', type: 'LONG' },
          extra: { value: 7, type: 'LONG' },
        },
      },
    ),
  );
  d.start();
  t.is(d.state!.params['total']!.value, 13);
  t.is(d.state!.steps['a']!.params['first']!.value, 32);
  d.result('a');
  t.is(d.status('b'), 'RUNNING');
  t.deepEqual(d.replay(otherNode(d)), d.state);
});
