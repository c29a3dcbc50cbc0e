import test from 'ava';
import { TOPIC_PARTITION_EPOCH } from '../../src/protocol/executor.js';
import { InvalidMessageError } from '../../src/protocol/errors.js';
import type { StepResultMessage, StepTask } from '../../src/protocol/executor.js';
import {
  attemptHeartbeat,
  cancelAttempt,
  HEARTBEAT_MAX_ATTEMPTS,
  partitionEpoch,
  PROTOCOL_TOPICS,
  stepResult,
  stepTask,
  TASK_PARAMS_MAX_ENTRIES,
} from '../../src/protocol/schemas.js';
import { ID_MAX_CHARS, PLAIN_DATA_MAX_DEPTH } from '../../src/protocol/wire.js';
import { decode, encode } from '../../src/nats/codec.js';

function task(overrides: Record<string, unknown> = {}): StepTask {
  return {
    instanceKey: 'etl/7',
    workflowId: 'etl',
    instanceId: 7,
    runId: 1,
    stepId: 'extract',
    attempt: 2,
    attemptId: 'etl/7/1/extract/2',
    stepType: 'Sleep',
    params: { sleep_seconds: 1, region: 'eu', when: new Date(1_700_000_000_000), big: 2n ** 60n, nested: { list: [1, null, 'x'] } },
    startedAtMs: 1_700_000_000_000,
    timeoutMs: 60_000,
    partition: 3,
    epoch: 41,
    ...overrides,
  } as StepTask;
}

/** Asserts `parse(value)` refuses with an InvalidMessageError at `path`, message matching `problem`. */
function refuses(t: import('ava').ExecutionContext, parse: (v: unknown) => unknown, value: unknown, path: string, problem: RegExp): void {
  const err = t.throws(() => parse(value), { instanceOf: InvalidMessageError });
  t.is(err?.path, path, err?.message);
  t.regex(err?.message ?? '', problem);
  t.is(err?.kind, 'invalid_argument');
}

test('a valid step task passes unchanged, also after a msgpack round trip', (t) => {
  const tk = task();
  t.deepEqual(stepTask.parse(tk), tk);
  t.deepEqual(stepTask.parse(decode(encode(tk))), tk);
  t.not(stepTask.parse(tk), tk, 'the handler gets a copy');
});

test('fencing fields: a task and a cancel carry partition and epoch; partition.epoch events', (t) => {
  const tk = task({ partition: 3, epoch: 41 });
  t.deepEqual(stepTask.parse(tk), tk);
  const { partition: _p, ...noPartition } = tk as unknown as Record<string, unknown>;
  refuses(t, stepTask.parse, noPartition, 'partition', /is missing/);
  refuses(t, cancelAttempt.parse, { attemptId: 'a/1/1/s/1', partition: 3 }, 'epoch', /is missing/);
  t.deepEqual(cancelAttempt.parse({ attemptId: 'a/1/1/s/1', partition: 3, epoch: 41 }), { attemptId: 'a/1/1/s/1', partition: 3, epoch: 41 });
  t.deepEqual(partitionEpoch.parse({ partition: 3, epoch: 41, nodeId: 'n1' }), { partition: 3, epoch: 41 }, 'unknown fields are stripped');
  t.is(PROTOCOL_TOPICS[TOPIC_PARTITION_EPOCH], partitionEpoch);
  refuses(t, stepTask.parse, task({ epoch: -1 }), 'epoch', /greater or equal to 0, got -1/);
  refuses(t, partitionEpoch.parse, { partition: 3 }, 'epoch', /is missing/);
});

test('unknown fields are stripped, at every level of a schema, but free-form maps are kept whole', (t) => {
  const parsed = stepTask.parse({ ...task(), injected: 'x', params: { a: 1, extra: { deep: true } } });
  t.false('injected' in parsed);
  t.deepEqual(parsed.params, { a: 1, extra: { deep: true } });
  const r = stepResult.parse({ status: 'SUCCEEDED', outputs: { n: 1 }, sneaky: 1 });
  t.deepEqual(r, { status: 'SUCCEEDED', outputs: { n: 1 } });
});

test('each kind of garbage is refused with a message naming the field', (t) => {
  refuses(t, stepTask.parse, undefined, '', /expected object/i);
  refuses(t, stepTask.parse, 'a string', '', /expected object/i);
  const { attemptId: _dropped, ...noAttemptId } = task();
  refuses(t, stepTask.parse, noAttemptId, 'attemptId', /is missing/);
  refuses(t, stepTask.parse, { ...task(), attemptId: undefined }, 'attemptId', /expected string, got undefined/);
  refuses(t, stepTask.parse, task({ instanceId: '7' }), 'instanceId', /expected integer, got "7"/);
  refuses(t, stepTask.parse, task({ runId: 1.5 }), 'runId', /integer/);
  refuses(t, stepTask.parse, task({ runId: Number.NaN }), 'runId', /integer/);
  refuses(t, stepTask.parse, task({ attempt: 2 ** 60 }), 'attempt', /less or equal/);
  refuses(t, stepTask.parse, task({ startedAtMs: Infinity }), 'startedAtMs', /number/);
  refuses(t, stepTask.parse, task({ stepId: '' }), 'stepId', /length greater or equal to 1/);
  refuses(t, stepTask.parse, task({ stepId: 'x'.repeat(ID_MAX_CHARS + 1) }), 'stepId', /less or equal to 512, got a string of 513 chars/);
  refuses(t, stepTask.parse, task({ params: [1, 2] }), 'params', /expected a map, got a list/);
  refuses(t, stepTask.parse, task({ params: { s: new Set([1]) } }), 'params.s', /a Set is not plain data/);
  refuses(t, stepTask.parse, task({ params: { r: [0, /x+/] } }), 'params.r[1]', /a RegExp is not plain data/);
  refuses(t, stepTask.parse, task({ params: { b: new Uint8Array(2) } }), 'params.b', /Uint8Array is not plain data/);
  refuses(t, stepTask.parse, task({ params: { d: new Date(Number.NaN) } }), 'params.d', /invalid date/);
  const many = Object.fromEntries(Array.from({ length: TASK_PARAMS_MAX_ENTRIES + 1 }, (_, i) => [`p${i}`, i]));
  refuses(t, stepTask.parse, task({ params: many }), 'params', /more than the limit of 1024/);
  let deep: unknown = 1;
  for (let i = 0; i <= PLAIN_DATA_MAX_DEPTH; i++) deep = [deep];
  refuses(t, stepTask.parse, task({ params: { deep } }), `params.deep${'[0]'.repeat(PLAIN_DATA_MAX_DEPTH - 1)}`, /nested deeper than 64/);
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic;
  refuses(t, stepTask.parse, task({ params: { cyclic } }), `params.cyclic${'.self'.repeat(PLAIN_DATA_MAX_DEPTH - 1)}`, /nested deeper/);
});

test('results: status is one of the four verdicts; outputs within Maestro limits', (t) => {
  const msg: StepResultMessage = {
    type: 'StepResult',
    stepId: 's',
    runId: 1,
    attempt: 1,
    attemptId: 'w/1/1/s/1',
    result: { status: 'USER_FAILED', error: 'exit 3', stdout: 'out', stderr: '', details: { exitCode: 3 }, outputs: { n: 1 } },
  };
  t.deepEqual(stepResult.parse(msg.result), msg.result);
  refuses(t, stepResult.parse, { status: 'WON' }, 'status', /union/i);
  refuses(t, stepResult.parse, { status: 'SUCCEEDED', error: 5 }, 'error', /string/);
  const outputs = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`o${i}`, i]));
  refuses(t, stepResult.parse, { status: 'SUCCEEDED', outputs }, 'outputs', /129 entries, more than the limit of 128/);
});

test('cancels and heartbeats', (t) => {
  t.deepEqual(attemptHeartbeat.parse({ attempts: [['w/1', 'w/1/1/s/1']] }), { attempts: [['w/1', 'w/1/1/s/1']] });
  refuses(t, attemptHeartbeat.parse, { attempts: 5 }, 'attempts', /array/);
  refuses(t, attemptHeartbeat.parse, { attempts: [['w/1']] }, 'attempts[0]', /.+/);
  refuses(t, attemptHeartbeat.parse, { attempts: [['w/1', 7]] }, 'attempts[0][1]', /string/);
  const flood = Array.from({ length: HEARTBEAT_MAX_ATTEMPTS + 1 }, () => ['w/1', 'a']);
  refuses(t, attemptHeartbeat.parse, { attempts: flood }, 'attempts', /length to be less or equal to 65536/);
  refuses(t, cancelAttempt.parse, {}, 'attemptId', /is missing/);
});
