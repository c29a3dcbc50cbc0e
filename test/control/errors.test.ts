import test from 'ava';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { AlreadyExistsError, MaestroError, NotFoundError, PreconditionError, StaleEpochError, ValidationError, type ErrorKind } from '../../src/core/errors.js';
import { ControlError, FIELD_TRAILER, KIND_TRAILER, RETRYABLE_TRAILER, fromServiceError, toGrpcStatus } from '../../src/control/errors.js';
import { startFakeHarness, type Harness } from './harness.js';
import type { FakeEngine } from './fake-engine.js';

let h: Harness<FakeEngine>;
test.before(async () => {
  h = await startFakeHarness();
});
test.after.always(async () => {
  await h?.close();
});

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

for (const [i, c] of cases.entries()) {
  const label = c.error instanceof Error ? `${c.error.name}(${c.error instanceof MaestroError ? c.error.kind : 'plain'})` : typeof c.error;
  test.serial(`case ${i}: engine ${label} reaches the client as ${status[c.code]}`, async (t) => {
    h.api.failNext('getWorkflow', c.error);
    const err = await t.throwsAsync(h.client.getWorkflow('wf-any'), { instanceOf: ControlError });
    t.is(err?.code, c.code);
    t.is(err?.kind, c.kind);
    t.is(err?.retryable, c.retryable);
    t.is(err?.path, c.path ?? '');
    t.regex(err?.message ?? '', c.message);
    t.true(err?.cause instanceof Error, 'the ServiceError is the cause');
  });
}

test.serial('every kind of method maps errors, including server streams', async (t) => {
  h.api.failNext('listInstances', new ValidationError('page_token', 'expired'));
  const list = await t.throwsAsync(h.client.listInstances({}), { instanceOf: ControlError });
  t.like(list, { code: status.INVALID_ARGUMENT, path: 'page_token' });

  h.api.failNext('watchInstance', new MaestroError('unavailable', 'owner moving'));
  const watch = await t.throwsAsync(
    (async () => {
      for await (const _ of h.client.watch('wf-any', 1));
    })(),
    { instanceOf: ControlError },
  );
  t.like(watch, { code: status.UNAVAILABLE, retryable: true });
});

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
