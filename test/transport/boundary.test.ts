import test from 'ava';
import { InvalidMessageError } from '../../src/protocol/errors.js';
import { TOPIC_CANCEL_ATTEMPT } from '../../src/protocol/executor.js';
import { Boundary } from '../../src/transport/boundary.js';
import { NoTopicSchemaError } from '../../src/transport/errors.js';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import type { RejectedInfo } from '../../src/transport/port.js';
import { WIRE_SCHEMAS } from '../../src/workflow/message-schemas.js';
import { makeTask } from '../executor/task-fixture.js';

function memory(): { tr: MemoryTransport; reports: RejectedInfo[] } {
  const reports: RejectedInfo[] = [];
  const tr = new MemoryTransport({ partitions: 4, schemas: WIRE_SCHEMAS, onRejected: (i) => reports.push(i) });
  return { tr, reports };
}

test('memory: a malformed actor message is refused before the handler, counted, reported; a valid one still works', async (t) => {
  const { tr, reports } = memory();
  const seen: unknown[] = [];
  for (let p = 0; p < 4; p++) await tr.serve(p, async (_to, body) => (seen.push(body), 'ok'));
  const err = await t.throwsAsync(tr.request('etl/3', { type: 'Start', workflowId: 'etl', instanceId: 'three', version: 1, params: {} }), { instanceOf: InvalidMessageError });
  t.is(err?.kind, 'invalid_argument');
  t.is(err?.path, 'instanceId');
  await t.throwsAsync(tr.request('etl/3', { type: 'Timer', timerId: 'x' }), { instanceOf: InvalidMessageError });
  t.deepEqual(seen, []);
  t.deepEqual(tr.stats().rejected, { actor: 2, task: 0, topic: 0 });
  t.is(reports.length, 1, 'one report per source');
  t.like(reports[0], { kind: 'actor', subject: 'etl/3', suppressed: 0 });
  t.is(await tr.request('etl/3', { type: 'Get', junk: 1 }), 'ok');
  t.deepEqual(seen, [{ type: 'Get' }], 'the handler got the checked copy');
});

test('memory: a malformed step task is refused at dispatch and never reaches an executor', async (t) => {
  const { tr } = memory();
  const got: string[] = [];
  let delivered!: () => void;
  const done = new Promise<void>((r) => (delivered = r));
  await tr.serveExecutor(['noop'], (task) => (got.push(task.attemptId), delivered()));
  const bad = { ...makeTask(), params: { s: new Set([1]) } };
  const err = await t.throwsAsync(tr.dispatch(bad), { instanceOf: InvalidMessageError });
  t.is(err?.path, 'params.s');
  const good = makeTask();
  await tr.dispatch(good);
  await done;
  t.deepEqual(got, [good.attemptId]);
  t.is(tr.stats().rejected.task, 1);
});

test('memory: a malformed topic event is dropped; subscribers get the next valid one', async (t) => {
  const { tr, reports } = memory();
  const got: unknown[] = [];
  let delivered!: () => void;
  const done = new Promise<void>((r) => (delivered = r));
  tr.subscribe(TOPIC_CANCEL_ATTEMPT, (b) => (got.push(b), delivered()));
  tr.publish(TOPIC_CANCEL_ATTEMPT, { attemptId: 42, partition: 0, epoch: 1 });
  tr.publish(TOPIC_CANCEL_ATTEMPT, { attemptId: 'a/1/1/s/1', partition: 0, epoch: 1 });
  await done;
  t.deepEqual(got, [{ attemptId: 'a/1/1/s/1', partition: 0, epoch: 1 }]);
  t.is(tr.stats().rejected.topic, 1);
  t.regex(reports[0]!.reason, /attemptId: expected string, got 42/);
});

test('subscribing to a topic without a schema is refused', (t) => {
  const { tr } = memory();
  t.throws(() => tr.subscribe('no.such.topic', () => {}), { instanceOf: NoTopicSchemaError });
});

test('an actor message for a key of another partition is refused (it would create an instance in the wrong partition)', (t) => {
  const b = new Boundary({ schemas: WIRE_SCHEMAS, onRejected: () => {} }, 8);
  const err = t.throws(() => b.actor(0, 'etl/1', '', { type: 'Get' }, 'maestro.actor.0'), { instanceOf: InvalidMessageError });
  t.regex(err!.message, /etl\/1 is in partition \d, not 0/);
  t.throws(() => b.actor(0, 'etl/1', 'm'.repeat(2000), { type: 'Get' }, 'maestro.actor.0'), { message: /msgId: is 2000 chars/ });
});

test('a step task on the subject of another step type is refused', (t) => {
  const b = new Boundary({ schemas: WIRE_SCHEMAS, onRejected: () => {} }, 8);
  t.throws(() => b.task('noop', makeTask({ stepType: 'Shell' }), 'maestro.exec.noop'), { message: /stepType: shell sent to executors of noop/ });
  t.is(b.task('shell', makeTask({ stepType: 'Shell' }), 'maestro.exec.shell').stepType, 'Shell');
});

test('reports are rate-limited: once per source per interval with the suppressed count, and a global cap per second', (t) => {
  let now = 1_000_000;
  const reports: RejectedInfo[] = [];
  const b = new Boundary(
    { schemas: WIRE_SCHEMAS, onRejected: (i) => reports.push(i), rejectReportIntervalMs: 60_000, rejectReportsPerSecond: 3, now: () => now },
    8,
  );
  const bad = (source: string) => b.reject('topic', 'maestro.topic.attempt.cancel', source, new Error('bad'));
  for (let i = 0; i < 1_000; i++) bad('_INBOX.a');
  t.is(reports.length, 1);
  now += 60_000;
  bad('_INBOX.a');
  t.is(reports.length, 2);
  t.is(reports[1]!.suppressed, 999);
  for (let i = 0; i < 50; i++) bad(`_INBOX.flood${i}`);
  t.is(reports.length, 4, 'at most 3 reports in one second, whatever the number of sources');
  now += 1_000;
  bad('_INBOX.flood49');
  t.is(reports.length, 5, 'the next second reports again');
  t.is(b.stats().rejected.topic, 1_052, 'every rejection is counted');
});
