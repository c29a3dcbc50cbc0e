import test from 'ava';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { AlreadyExistsError, MaestroError, NotFoundError, PreconditionError, StaleEpochError, ValidationError, type ErrorKind } from '../../src/core/errors.js';
import { partitionOf, instanceKeyOf } from '../../src/core/partition.js';
import { ControlError, FIELD_TRAILER, KIND_TRAILER, RETRYABLE_TRAILER, fromServiceError, toGrpcStatus } from '../../src/control/errors.js';
import { definition, startHarness, TEST_PARTITIONS, type Harness } from './harness.js';
import { waitForEnd } from '../helpers/wait.js';

// Engine errors as a client sees them: through the real embedded node and gRPC server where the
// engine can be made to raise them, through the mapping functions for the rest.

let h: Harness;
test.before(async () => {
  h = await startHarness();
  await h.client.createWorkflow(definition('wf-done', [{ id: 'a' }]));
});
test.after.always(async () => {
  await h?.close();
});

const badType = JSON.stringify({ properties: { owner: 'tester' }, workflow: { id: 'wf-x', steps: [{ step: { id: 'a', type: 'Nope' } }] } });

test('a definition the engine rejects is INVALID_ARGUMENT naming the field, not retryable', async (t) => {
  const err = await t.throwsAsync(h.client.validateWorkflow(badType), { instanceOf: ControlError });
  t.like(err, { code: status.INVALID_ARGUMENT, kind: 'invalid_argument', retryable: false, path: 'workflow.steps[0].step.type' });
  t.regex(err?.message ?? '', /^workflow\.steps\[0\]\.step\.type: no runtime for step type Nope/);
  t.true(err?.cause instanceof Error, 'the ServiceError is the cause');
});

test('an unknown workflow is NOT_FOUND', async (t) => {
  const err = await t.throwsAsync(h.client.getWorkflow('wf-nowhere'), { instanceOf: ControlError });
  t.like(err, { code: status.NOT_FOUND, kind: 'not_found', retryable: false, path: '' });
  t.regex(err?.message ?? '', /wf-nowhere/);
});

test('an action the instance refuses is FAILED_PRECONDITION', async (t) => {
  const { instanceId } = await h.client.startWorkflow({ workflowId: 'wf-done' });
  await waitForEnd(h.client, 'wf-done', instanceId);
  const err = await t.throwsAsync(h.client.stop('wf-done', instanceId), { instanceOf: ControlError });
  t.like(err, { code: status.FAILED_PRECONDITION, kind: 'failed_precondition', retryable: false });
  t.regex(err?.message ?? '', /already SUCCEEDED/);
});

test('list and watch map errors too', async (t) => {
  const list = await t.throwsAsync(h.client.listInstances({ pageToken: 'not-a-token' }), { instanceOf: ControlError });
  t.like(list, { code: status.INVALID_ARGUMENT, path: 'page_token' });
  const watch = await t.throwsAsync(
    (async () => {
      for await (const _ of h.client.watch('wf-done', 9999));
    })(),
    { instanceOf: ControlError },
  );
  t.like(watch, { code: status.NOT_FOUND, kind: 'not_found' });
});

test('an instance whose partition nobody serves is UNAVAILABLE and retryable, for unary calls and watch', async (t) => {
  const other = await startHarness({ requestTimeoutMs: 300 });
  const partition = partitionOf(instanceKeyOf('wf-any', 1), TEST_PARTITIONS);
  t.teardown(async () => {
    await other.node.partitions.acquire(partition, 'next'); // whole again, so it closes as usual
    await other.close();
  });
  await other.node.partitions.release(partition);
  const get = await t.throwsAsync(other.client.getInstance('wf-any', 1), { instanceOf: ControlError });
  t.like(get, { code: status.UNAVAILABLE, kind: 'unavailable', retryable: true });
  t.regex(get?.message ?? '', /wf-any\/1/);
  const watch = await t.throwsAsync(
    (async () => {
      for await (const _ of other.client.watch('wf-any', 1));
    })(),
    { instanceOf: ControlError },
  );
  t.like(watch, { code: status.UNAVAILABLE, retryable: true });
});

// Kinds the engine raises on paths no API call can reach here (a stale owner, a bug): the server's
// status for each, as the client reads it back. The trailers themselves crossed a real wire above.
const cases: Array<{ error: unknown; code: status; kind: ErrorKind; retryable: boolean; path?: string; message: RegExp }> = [
  { error: new ValidationError('workflow.steps[3].step.type', 'unknown step type "Nope"'), code: status.INVALID_ARGUMENT, kind: 'invalid_argument', retryable: false, path: 'workflow.steps[3].step.type', message: /^workflow\.steps\[3\]\.step\.type: unknown step type "Nope"$/ },
  { error: new NotFoundError('workflow wf-x not found'), code: status.NOT_FOUND, kind: 'not_found', retryable: false, message: /wf-x not found/ },
  { error: new AlreadyExistsError('workflow wf-x already exists'), code: status.ALREADY_EXISTS, kind: 'already_exists', retryable: false, message: /already exists/ },
  { error: new PreconditionError('instance is IN_PROGRESS'), code: status.FAILED_PRECONDITION, kind: 'failed_precondition', retryable: false, message: /IN_PROGRESS/ },
  { error: new StaleEpochError('epoch 3 < 4'), code: status.FAILED_PRECONDITION, kind: 'failed_precondition', retryable: false, message: /epoch 3 < 4/ },
  { error: new MaestroError('unavailable', 'partition 7 has no owner'), code: status.UNAVAILABLE, kind: 'unavailable', retryable: true, message: /partition 7/ },
  { error: new MaestroError('internal', 'journal corrupt'), code: status.INTERNAL, kind: 'internal', retryable: false, message: /journal corrupt/ },
  { error: new TypeError('x is not a function'), code: status.INTERNAL, kind: 'internal', retryable: false, message: /^internal error: x is not a function$/ },
  { error: 'a string', code: status.INTERNAL, kind: 'internal', retryable: false, message: /a string/ },
];

/** What grpc-js hands a client for a status a server sent. */
const received = (s: ReturnType<typeof toGrpcStatus>): ServiceError =>
  Object.assign(new Error(`${s.code} ${status[s.code]}: ${s.details}`), { code: s.code, details: s.details, metadata: s.metadata });

for (const [i, c] of cases.entries()) {
  const label = c.error instanceof Error ? `${c.error.name}(${c.error instanceof MaestroError ? c.error.kind : 'plain'})` : typeof c.error;
  test(`case ${i}: engine ${label} reaches the client as ${status[c.code]}`, (t) => {
    const err = fromServiceError(received(toGrpcStatus(c.error)));
    t.is(err.code, c.code);
    t.is(err.kind, c.kind);
    t.is(err.retryable, c.retryable);
    t.is(err.path, c.path ?? '');
    t.regex(err.message, c.message);
    t.true(err.cause instanceof Error, 'the ServiceError is the cause');
  });
}

test('toGrpcStatus sets the kind, retryable and field trailers', (t) => {
  const s = toGrpcStatus(new ValidationError('workflow.id', 'is required'));
  t.is(s.code, status.INVALID_ARGUMENT);
  t.deepEqual(s.metadata.get(KIND_TRAILER), ['invalid_argument']);
  t.deepEqual(s.metadata.get(RETRYABLE_TRAILER), ['false']);
  t.deepEqual(s.metadata.get(FIELD_TRAILER), ['workflow.id']);
  t.deepEqual(toGrpcStatus(new NotFoundError('x')).metadata.get(FIELD_TRAILER), []);
});

test('a status without our trailers (another server, a proxy) still maps by code', (t) => {
  const plain = (code: status, details: string): ServiceError =>
    Object.assign(new Error(details), { code, details, metadata: new Metadata() });
  t.like(fromServiceError(plain(status.DEADLINE_EXCEEDED, 'deadline')), { kind: 'unavailable', retryable: true });
  t.like(fromServiceError(plain(status.NOT_FOUND, 'gone')), { kind: 'not_found', retryable: false, path: '' });
  t.like(fromServiceError(plain(status.PERMISSION_DENIED, 'no')), { kind: 'internal', code: status.PERMISSION_DENIED });
});

test('a ControlError relayed by a server (forwarding) keeps its kind and field', (t) => {
  const relayed = new ControlError('invalid_argument', status.INVALID_ARGUMENT, 'params.n: not a number', { path: 'params.n' });
  const s = toGrpcStatus(relayed);
  t.is(s.code, status.INVALID_ARGUMENT);
  t.deepEqual(s.metadata.get(FIELD_TRAILER), ['params.n']);
});
