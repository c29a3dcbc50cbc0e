/**
 * The trust boundary against a real nats-server: a plain nats.js client (not maestro's code)
 * publishes garbage on every subject a transport, and then a whole cluster node, serves —
 * random bytes, truncated and deeply nested msgpack, msgpack of the wrong shape or types,
 * internal message types, maps over their limits, ~800 KB payloads, messages for another
 * partition or step type — as requests and as plain publishes. Nothing reaches a handler,
 * nothing changes, requests are answered invalid_argument, every refusal is counted, reports
 * come once per source, and valid messages afterwards still work.
 */
import test, { type ExecutionContext } from 'ava';
import { connect, headers, type NatsConnection } from 'nats';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { routeOf } from '../../src/core/partition.js';
import { decodeError, encode, decode } from '../../src/nats/codec.js';
import { actorSubject, execSubject, HDR_ERROR, HDR_TO, topicSubject } from '../../src/nats/subjects.js';
import { TOPIC_ATTEMPT_HEARTBEAT, TOPIC_CANCEL_ATTEMPT, type DispatchedTask, type StepTask } from '../../src/protocol/executor.js';
import { TOPIC_PARTITION_EPOCH } from '../../src/protocol/executor.js';
import { NatsTransport } from '../../src/transport/nats/nats-transport.js';
import type { RejectedInfo, WireKind } from '../../src/transport/port.js';
import { instanceTopic } from '../../src/workflow/messages.js';
import { WIRE_SCHEMAS } from '../../src/workflow/message-schemas.js';
import { startClusterNode } from '../../src/node/cluster-node.js';
import type { StepRuntime } from '../../src/executor/runtime.js';
import { haveNats, NATS_MISSING, startNats, type NatsFixture } from '../helpers/nats-server.js';
import { etcdMissingReason, startEtcd, type EtcdServer } from '../helpers/etcd-server.js';
import { waitUntil } from '../cluster-unit/fixture.js';

const natsMissing = haveNats() ? undefined : NATS_MISSING;
const nodeMissing = natsMissing ?? etcdMissingReason();
const transportTest = natsMissing ? test.skip : test.serial;
const nodeTest = nodeMissing ? test.skip : test.serial;
if (nodeMissing) console.warn(`trust-boundary tests skipped: ${nodeMissing}`);

let nats: NatsFixture | undefined;
let etcd: EtcdServer | undefined;
let raw: NatsConnection | undefined;

test.before(async () => {
  if (natsMissing) return;
  nats = await startNats({ jetstream: true });
  raw = await connect({ servers: nats.urls, name: 'garbage-publisher' });
  if (!nodeMissing) etcd = await startEtcd();
});
test.after.always(async () => {
  await raw?.close();
  await etcd?.stop();
  await nats?.stop();
});

/** Bodies no subject accepts. */
function garbage(): Array<[string, Uint8Array]> {
  const nested = new Uint8Array(200_001).fill(0x91);
  nested[200_000] = 0xc0;
  const big = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, 'v'.repeat(150)]));
  return [
    ['random bytes', randomBytes(97)],
    ['no bytes', new Uint8Array(0)],
    ['truncated msgpack', Uint8Array.from([0x92, 0x01])],
    ['200,000 nested lists', nested],
    ['a msgpack string', encode('hello')],
    ['a map of the wrong types', encode({ type: 'Start', workflowId: 5, attemptId: 7, attempts: 'x', instanceKey: [] })],
    ['an internal message type', encode({ type: 'Timer', timerId: 't1' })],
    ['an 800 KB map over its limits', encode({ type: 'PutOutputs', stepId: 's', outputs: big, attemptId: 5 })],
  ];
}

function to(key: string): ReturnType<typeof headers> {
  const h = headers();
  h.set(HDR_TO, key);
  return h;
}

/** Sends a request with the plain client; asserts the answer is an invalid_argument error. */
async function refusedRequest(t: ExecutionContext, subject: string, data: Uint8Array, what: string, key?: string): Promise<Error> {
  const reply = await raw!.request(subject, data, { timeout: 10_000, ...(key ? { headers: to(key) } : {}) });
  t.truthy(reply.headers?.get(HDR_ERROR), `${what}: an error reply`);
  const err = decodeError(reply.data);
  t.is(err.kind, 'invalid_argument', `${what}: ${err.message}`);
  t.is(err.name, 'InvalidMessageError', what);
  return err;
}

const PARTITIONS = 8;

/** Waits until some node answers on `subject` (a node that just joined may still be taking over from one that left). */
async function servedBy(subject: string, key: string): Promise<void> {
  await waitUntil(
    async () => {
      try {
        await raw!.request(subject, encode({ type: 'Get' }), { headers: to(key), timeout: 5_000 });
        return true;
      } catch (e) {
        if ((e as { code?: string }).code === '503') return false;
        throw e;
      }
    },
    `an owner of ${subject}`,
    20_000,
    50,
  );
}

transportTest('a NatsTransport refuses garbage on every subject it serves, answers requests invalid_argument, counts and reports once per source', async (t) => {
  const reports: RejectedInfo[] = [];
  const tr = await NatsTransport.connect({ servers: nats!.urls, partitions: PARTITIONS, schemas: WIRE_SCHEMAS, onRejected: (i) => reports.push(i) });
  t.teardown(() => tr.close());
  const seen: unknown[] = [];
  for (let p = 0; p < PARTITIONS; p++) await tr.serve(p, async (_to, body) => (seen.push(body), 'ok'));
  await tr.serveExecutor(['noop'], (task) => seen.push(task));
  const topics = [TOPIC_CANCEL_ATTEMPT, TOPIC_ATTEMPT_HEARTBEAT, TOPIC_PARTITION_EPOCH, instanceTopic('etl/3')];
  const events: Array<[string, unknown]> = [];
  for (const topic of topics) tr.subscribe(topic, (b) => events.push([topic, b]));
  await tr.nc.flush();

  const key = 'etl/3';
  const p = routeOf(key, PARTITIONS);
  const expected: Record<WireKind, number> = { actor: 0, task: 0, topic: 0 };
  for (const [what, data] of garbage()) {
    await refusedRequest(t, actorSubject(p), data, `actor: ${what}`, key);
    await refusedRequest(t, execSubject('noop'), data, `task: ${what}`);
    for (const topic of topics) raw!.publish(topicSubject(topic), data);
    expected.actor++;
    expected.task++;
    expected.topic += topics.length;
  }
  const elsewhere = await refusedRequest(t, actorSubject((p + 1) % PARTITIONS), encode({ type: 'Get' }), 'a message for another partition', key);
  t.regex(elsewhere.message, /to: etl\/3 is in partition \d, not \d/);
  const noTo = await refusedRequest(t, actorSubject(p), encode({ type: 'Get' }), 'no Maestro-To header');
  t.regex(noTo.message, /invalid actor message: to: is missing \(no actor address, the Maestro-To header over NATS\)/);
  const sleepTask: DispatchedTask = {
    instanceKey: key, workflowId: 'etl', instanceId: 3, runId: 1, stepId: 's', attempt: 1,
    attemptId: 'etl/3/1/s/1', stepType: 'Sleep', params: {}, startedAtMs: Date.now(), partition: 0, epoch: 1,
  };
  await refusedRequest(t, execSubject('noop'), encode(sleepTask), 'a Sleep task on the NoOp queue');
  raw!.publish(actorSubject(p), encode({ type: 'Get' }), { headers: to(key) });
  expected.actor += 3;
  expected.task += 1;
  await waitUntil(() => tr.stats().rejected.topic === expected.topic && tr.stats().rejected.actor === expected.actor, 'every refusal counted').catch((e) => { t.log(tr.stats(), expected, events, reports); throw e; });
  t.deepEqual(tr.stats().rejected, expected);
  t.deepEqual(seen, [], 'no handler saw anything');
  t.deepEqual(events, []);

  const actorReports = reports.filter((r) => r.kind === 'actor' && r.subject === actorSubject(p) && r.source !== undefined);
  t.is(actorReports.length, 1, `${garbage().length + 1} refusals from one client's inbox, one report`);
  t.regex(actorReports[0]!.source!, /^_INBOX\./);
  t.true(reports.length < expected.actor + expected.task + expected.topic, 'reports are per source, not per message');

  // Valid messages still work, from the same plain client.
  const reply = await raw!.request(actorSubject(p), encode({ type: 'Get', extra: 'stripped' }), { headers: to(key), timeout: 5_000 });
  t.is(decode(reply.data), 'ok');
  await raw!.request(execSubject('noop'), encode({ ...sleepTask, stepType: 'NoOp' }), { timeout: 5_000 });
  t.deepEqual(seen, [{ type: 'Get' }, { ...sleepTask, stepType: 'NoOp' }]);
  raw!.publish(topicSubject(TOPIC_PARTITION_EPOCH), encode({ partition: 3, epoch: 9 }));
  await waitUntil(() => events.length === 1, 'the valid event');
  t.deepEqual(events, [[TOPIC_PARTITION_EPOCH, { partition: 3, epoch: 9 }]]);
});

/** A step runtime that runs until cancelled, recording what it was given. */
function holdRuntime(): { runtime: StepRuntime; runs: StepTask[]; started: Promise<void>; aborted: Promise<void> } {
  const runs: StepTask[] = [];
  let started!: () => void;
  let aborted!: () => void;
  const startedP = new Promise<void>((r) => (started = r));
  const abortedP = new Promise<void>((r) => (aborted = r));
  const runtime: StepRuntime = {
    type: 'Hold',
    run: (task, signal) => {
      runs.push(task);
      started();
      return new Promise((resolve) => signal.addEventListener('abort', () => (aborted(), resolve({ status: 'PLATFORM_FAILED', error: 'cancelled' })), { once: true }));
    },
  };
  return { runtime, runs, started: startedP, aborted: abortedP };
}

const DEFINITION = JSON.stringify({
  properties: { owner: 'trust-test' },
  workflow: { id: 'trust-wf', steps: [{ step: { id: 'hold', type: 'Hold' } }] },
});

nodeTest('a cluster node survives garbage on every subject it serves: state unchanged, no dispatch, counters rise, valid messages still work', async (t) => {
  const hold = holdRuntime();
  const dispatched: string[] = [];
  const node = await startClusterNode({
    nats: nats!.urls,
    etcd: etcd!.endpoints,
    grpcPort: 0,
    partitions: PARTITIONS,
    logLevel: 'error',
    extraRuntimes: [hold.runtime],
    onDispatch: (task) => dispatched.push(task.attemptId),
  });
  t.teardown(() => node.close());
  await waitUntil(() => node.manager.settled(), 'the node to own its partitions', 20_000, 20);
  await node.api.createWorkflow(DEFINITION);
  const started = await node.api.startWorkflow({ workflowId: 'trust-wf' });
  const key = `${started.workflowId}/${started.instanceId}`;
  await hold.started;
  const changes: unknown[] = [];
  const unwatch = await node.api.watchInstance(started.workflowId, started.instanceId, (c) => changes.push(c));
  t.teardown(unwatch);
  const before = await node.api.getInstance(started.workflowId, started.instanceId);
  t.is(before.status, 'IN_PROGRESS');
  const running = hold.runs[0]!;
  t.deepEqual(dispatched, [running.attemptId]);
  const p = routeOf(key, PARTITIONS);

  const targeted: Array<[string, unknown]> = [
    ['a result with a made-up verdict', { type: 'StepResult', stepId: 'hold', runId: 1, attempt: 1, attemptId: running.attemptId, result: { status: 'WON' } }],
    ['a result with 200 outputs', { type: 'StepResult', stepId: 'hold', runId: 1, attempt: 1, attemptId: running.attemptId, result: { status: 'SUCCEEDED', outputs: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`o${i}`, i])) } }],
    ['a start naming another instance', { type: 'Start', workflowId: 'trust-wf', instanceId: started.instanceId + 1, version: 1, params: {} }],
    ['an unknown action', { type: 'Action', action: 'explode' }],
    ['outputs that are not a map', { type: 'PutOutputs', stepId: 'hold', outputs: 'rows=1' }],
  ];
  const expected: Record<WireKind, number> = { ...node.transportStats().rejected };
  const served = [TOPIC_CANCEL_ATTEMPT, TOPIC_ATTEMPT_HEARTBEAT, instanceTopic(key)];
  for (const [what, data] of garbage()) {
    await refusedRequest(t, actorSubject(p), data, `actor: ${what}`, key);
    await refusedRequest(t, execSubject('hold'), data, `task: ${what}`);
    raw!.publish(actorSubject(p), data, { headers: to(key) });
    for (const topic of served) raw!.publish(topicSubject(topic), data);
    expected.actor += 2;
    expected.task += 1;
    expected.topic += served.length;
  }
  // Well-formed msgpack aimed at this instance (on a topic, a body carrying an `attemptId` would be
  // a valid cancel: extra fields are stripped, not refused, so these go to the actor only).
  for (const [what, body] of targeted) {
    await refusedRequest(t, actorSubject(p), encode(body), `actor: ${what}`, key);
    expected.actor += 1;
  }
  raw!.publish(topicSubject(TOPIC_CANCEL_ATTEMPT), encode({ attemptId: 42, partition: p, epoch: 1 }));
  raw!.publish(topicSubject(TOPIC_ATTEMPT_HEARTBEAT), encode({ attempts: [[key, 7]] }));
  await refusedRequest(t, execSubject('hold'), encode({ ...running, stepType: 'NoOp' }), 'a NoOp task on the Hold queue');
  expected.topic += 2;
  expected.task += 1;
  await waitUntil(() => node.transportStats().rejected.topic === expected.topic && node.transportStats().rejected.actor === expected.actor, 'every refusal counted', 10_000, 10);

  t.deepEqual(node.transportStats().rejected, expected);
  t.deepEqual(await node.api.getInstance(started.workflowId, started.instanceId), before, 'the instance is unchanged');
  t.deepEqual(dispatched, [running.attemptId], 'nothing was dispatched');
  t.is(hold.runs.length, 1, 'no executor ran anything');
  t.deepEqual(changes, [], 'no change was published');

  // Valid messages still work: a plain client's Get, then a stop, which cancels the attempt over the topic.
  const view = await raw!.request(actorSubject(p), encode({ type: 'Get' }), { headers: to(key), timeout: 5_000 });
  t.like(decode(view.data), { workflowId: 'trust-wf', status: 'IN_PROGRESS' });
  const stopped = await node.api.stop(started.workflowId, started.instanceId);
  t.is(stopped.status, 'STOPPED');
  await hold.aborted;
  await waitUntil(() => changes.length > 0, 'the watch to see the stop');
});

nodeTest('a node process logs a rejection once per source (pino warn with subject, sender inbox, reason), however many arrive', async (t) => {
  const child = spawn(process.execPath, ['--import=tsx', 'test/fixtures/cluster-node.ts', nats!.urls.join(','), etcd!.endpoints.join(','), '', 'trust-logs'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MAESTRO_PARTITIONS: String(PARTITIONS), MAESTRO_LOG_LEVEL: 'warn' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => ((out += b.toString()), /ready /.test(out) && resolve()));
    child.once('exit', (code) => reject(new Error(`node exited with ${code}: ${stderr.slice(-2000)}`)));
  });
  const key = 'trust-logs/1';
  const p = routeOf(key, PARTITIONS);
  await servedBy(actorSubject(p), key);
  for (let i = 0; i < 50; i++) await refusedRequest(t, actorSubject(p), randomBytes(40), `garbage #${i}`, key);
  const rejections = () =>
    stderr
      .split('\n')
      .slice(0, -1) // complete lines only: a chunk may end mid-line
      .filter((l) => l.includes('trust boundary'))
      .map((l) => JSON.parse(l) as { level: number; module: string; kind: string; subject: string; source?: string; reason: string });
  await waitUntil(() => rejections().length > 0, 'the rejection to be logged', 10_000, 10);
  child.kill('SIGTERM');
  await exited;
  const lines = rejections();
  t.is(lines.length, 1, '50 rejections from one client: one log line');
  t.like(lines[0], { level: 40, module: 'transport', kind: 'actor', subject: actorSubject(p) });
  t.regex(lines[0]!.source ?? '', /^_INBOX\./);
  t.regex(lines[0]!.reason, /invalid actor message: undecodable|invalid .*message/);
});
