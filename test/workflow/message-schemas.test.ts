import test, { type ExecutionContext } from 'ava';
import { partitionAddress } from '../../src/core/partition.js';
import { InvalidMessageError } from '../../src/protocol/errors.js';
import { TOPIC_ATTEMPT_HEARTBEAT, TOPIC_CANCEL_ATTEMPT } from '../../src/protocol/executor.js';
import { TOPIC_PARTITION_EPOCH } from '../../src/protocol/executor.js';
import { BREAKPOINTS_TOPIC, instanceTopic, type InstanceMessage } from '../../src/workflow/messages.js';
import { parseActorMessage, parseInstanceMessage, WIRE_SCHEMAS } from '../../src/workflow/message-schemas.js';

const VALID: InstanceMessage[] = [
  { type: 'Start', workflowId: 'etl', instanceId: 3, version: 2, params: { region: { value: 'eu', type: 'STRING' } }, requestId: 'r-1' },
  { type: 'Start', workflowId: 'etl', instanceId: 3, version: 2, params: {}, requestId: undefined },
  { type: 'StepResult', stepId: 's', runId: 1, attempt: 1, attemptId: 'etl/3/1/s/1', result: { status: 'SUCCEEDED', outputs: { rows: 5 } } },
  { type: 'PermitGrant', holder: 'etl/3/1/s/1', stepId: 's', attempt: 1 },
  { type: 'PermitCheck', holders: ['etl/3/1/s/1'] },
  { type: 'Action', action: 'restart', policy: 'RESTART_FROM_BEGINNING' },
  { type: 'Action', action: 'stop' },
  { type: 'Get' },
  { type: 'Watch' },
  { type: 'PutOutputs', stepId: 's', outputs: { rows: 1200 } },
];

function refuses(t: ExecutionContext, f: () => unknown, path: string, problem: RegExp): void {
  const err = t.throws(f, { instanceOf: InvalidMessageError });
  t.is(err?.path, path, err?.message);
  t.regex(err?.message ?? '', problem);
}

test('every instance message type passes unchanged', (t) => {
  for (const m of VALID) t.deepEqual(parseActorMessage('etl/3', m), m, m.type);
  t.deepEqual(parseActorMessage(partitionAddress(4), { type: 'List', workflowId: 'etl' }), { type: 'List', workflowId: 'etl' });
});

test('queue owner messages: checked by the queue schemas; a Launch must name its instance', (t) => {
  t.deepEqual(parseActorMessage('~queue/etl', { type: 'Enqueue', version: 1, params: {}, extra: 1 }), { type: 'Enqueue', version: 1, params: {} });
  refuses(t, () => parseActorMessage('~queue/etl', { type: 'Start' }), 'type', /expected one of Enqueue/);
  refuses(t, () => parseActorMessage('~queue/etl', { type: 'Enqueue', version: 0, params: {} }), 'version', /.+/);
  refuses(t, () => parseActorMessage('~other/etl', { type: 'Enqueue' }), 'to', /no service kind/);
  refuses(t, () => parseActorMessage('etl/4', { type: 'Launch', workflowId: 'etl', instanceId: 3, runId: 1, mode: 'run' }), 'workflowId', /names instance etl\/3, sent to etl\/4/);
});

test('the message type picks the schema; unknown and internal types are refused', (t) => {
  refuses(t, () => parseInstanceMessage({ type: 'Timer', timerId: 't' }), 'type', /expected one of Start, Launch, StepResult, Action, StepAction, Get, Watch, PutOutputs, ChildEnded, ChildStarted, ChildFailed, RestartIteration, Unblock, PermitGrant, PermitCheck, SignalMatched, got "Timer"/);
  refuses(t, () => parseInstanceMessage({}), 'type', /got none/);
  refuses(t, () => parseInstanceMessage(42), 'type', /got no map/);
  refuses(t, () => parseInstanceMessage({ type: 'Action', action: 'explode' }), 'action', /union/i);
  refuses(t, () => parseInstanceMessage({ type: 'Action', action: 'restart', policy: 'RESTART_SOMEHOW' }), 'policy', /union/i);
  refuses(t, () => parseInstanceMessage({ type: 'PutOutputs', stepId: 's' }), 'outputs', /is missing/);
  refuses(t, () => parseInstanceMessage({ type: 'StepResult', stepId: 's', runId: 1, attempt: 1, attemptId: 'a', result: { status: 'OK' } }), 'result.status', /union/i);
  const params = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`p${i}`, i]));
  refuses(t, () => parseInstanceMessage({ type: 'Start', workflowId: 'etl', instanceId: 3, version: 1, params }), 'params', /more than the limit of 128/);
});

test('extra fields are stripped: a Get carrying a payload reaches the actor as a bare Get', (t) => {
  t.deepEqual(parseActorMessage('etl/3', { type: 'Get', payload: 'x'.repeat(1000) }), { type: 'Get' });
});

test('the address must fit the message: List only to a partition, a Start only to its own key', (t) => {
  refuses(t, () => parseActorMessage(partitionAddress(1), { type: 'Get' }), 'type', /expected 'List', got "Get"/);
  refuses(t, () => parseActorMessage('etl/3', { type: 'List' }), 'type', /got "List"/);
  refuses(t, () => parseActorMessage('other/9', VALID[0]), 'workflowId', /names instance etl\/3, sent to other\/9/);
  refuses(t, () => parseActorMessage('', { type: 'Get' }), 'to', /1\.\.512 chars/);
});

test('every topic the engine uses has a schema; others have none', (t) => {
  const change = { workflowId: 'etl', instanceId: 3, runId: 1, atMs: 5, status: 'RUNNING', stepId: 's', attempt: 1 };
  t.deepEqual(WIRE_SCHEMAS.topic(instanceTopic('etl/3'))!(change), change);
  refuses(t, () => WIRE_SCHEMAS.topic(instanceTopic('etl/3'))!({ ...change, runId: 'one' }), 'runId', /integer/);
  t.truthy(WIRE_SCHEMAS.topic(TOPIC_CANCEL_ATTEMPT));
  t.truthy(WIRE_SCHEMAS.topic(TOPIC_ATTEMPT_HEARTBEAT));
  t.truthy(WIRE_SCHEMAS.topic(TOPIC_PARTITION_EPOCH));
  t.is(WIRE_SCHEMAS.topic('made.up'), undefined);
  t.deepEqual(WIRE_SCHEMAS.topic(BREAKPOINTS_TOPIC)!({ workflowId: 'etl', stepId: 's' }), { workflowId: 'etl', stepId: 's' });
  refuses(t, () => WIRE_SCHEMAS.topic(BREAKPOINTS_TOPIC)!({ workflowId: 'etl' }), 'stepId', /is missing/);
});

test('step actions and paused-attempt listings are checked', (t) => {
  t.deepEqual(parseActorMessage('etl/3', { type: 'StepAction', stepId: 's', action: 'resume', attempt: 2 }), { type: 'StepAction', stepId: 's', action: 'resume', attempt: 2 });
  refuses(t, () => parseActorMessage('etl/3', { type: 'StepAction', stepId: 's', action: 'pause' }), 'action', /./);
  t.deepEqual(parseActorMessage(partitionAddress(1), { type: 'ListPaused', workflowId: 'etl', stepId: 's' }), { type: 'ListPaused', workflowId: 'etl', stepId: 's' });
  refuses(t, () => parseActorMessage(partitionAddress(1), { type: 'ListPaused', workflowId: 'etl' }), 'stepId', /./);
  t.deepEqual(parseActorMessage('etl/3', { type: 'Action', action: 'restart', policy: 'RESTART_FROM_SPECIFIC', stepId: 's' }), { type: 'Action', action: 'restart', policy: 'RESTART_FROM_SPECIFIC', stepId: 's' });
});
