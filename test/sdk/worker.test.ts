/**
 * The worker protocol end to end in one process: an embedded node behind the real gRPC server
 * (with WorkerService), TypeScript SDK workers connected to it over the loopback.
 */
import test from 'ava';
import * as grpc from '@grpc/grpc-js';
import { createEmbeddedNode, type EmbeddedNode } from '../../src/node/embedded.js';
import { startGrpcServer, type GrpcServerHandle } from '../../src/control/server.js';
import { createWorker, FatalError, type Worker, type WorkerTask } from '../../src/sdk/worker.js';
import { WorkerServiceClient, type WorkerCommand } from '../../src/gen/maestro/v1/worker.js';
import { waitForEnd, waitForStep } from '../helpers/wait.js';
import { recordingLogger } from '../helpers/log.js';

interface Rig {
  node: EmbeddedNode;
  server: GrpcServerHandle;
  address: string;
  workers: Worker[];
  worker(opts: Omit<Parameters<typeof createWorker>[0], 'address'>): Worker;
}

async function rig(t: { teardown(fn: () => Promise<void> | void): void }, opts: { workerHeartbeatIntervalMs?: number } = {}): Promise<Rig> {
  const node = await createEmbeddedNode({ partitions: 4, log: recordingLogger(), ...opts });
  const server = await startGrpcServer(node.api, { port: 0, services: node.grpcServices, log: node.log, shutdownGraceMs: 200 });
  const address = `localhost:${server.port}`;
  const workers: Worker[] = [];
  t.teardown(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await server.close();
    await node.close();
  });
  return {
    node,
    server,
    address,
    workers,
    worker: (opts) => {
      const w = createWorker({ address, ...opts });
      workers.push(w);
      return w;
    },
  };
}

const chain = (id: string, type: string, n: number) =>
  JSON.stringify({
    properties: { owner: 't', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 100 } },
    workflow: {
      id,
      params: { base: { value: 10, type: 'LONG' } },
      steps: Array.from({ length: n }, (_, i) => ({
        step: {
          id: `s${i + 1}`,
          type,
          params: i === 0 ? { x: { expression: 'base + 1', type: 'LONG' } } : { x: { expression: `s${i}__y + 1`, type: 'LONG' } },
          ...(i + 1 < n ? { transition: { successors: { [`s${i + 2}`]: 'true' } } } : {}),
        },
      })),
    },
  });

test('a TS worker runs a 3-step chain of its type: params in, outputs to the next step', async (t) => {
  const r = await rig(t);
  const seen: WorkerTask[] = [];
  const w = r.worker({
    types: ['adder'],
    concurrency: 2,
    handler: (task) => {
      seen.push(task);
      task.log('adding', task.params.x);
      return { y: (task.params.x as number) * 2 };
    },
  });
  await w.connected;
  await r.node.api.createWorkflow(chain('w', 'adder', 3));
  const run = await r.node.api.startWorkflow({ workflowId: 'w' });
  const end = await waitForEnd(r.node.api, 'w', run.instanceId, 10_000);
  t.is(end.status, 'SUCCEEDED');
  t.deepEqual(seen.map((s) => s.params.x), [11, 23, 47]);
  t.is(seen[0]!.type, 'adder');
  t.is(seen[0]!.attempt, 1);
  t.is(seen[0]!.workflowId, 'w');
  t.true(seen.every((s) => s.epoch > 0), 'each task carries its owner\'s fencing epoch');
  t.deepEqual(end.steps.map((s) => s.outputs.y), [22, 46, 94]);
  t.regex(end.steps[0]!.attempts[0]!.stdout ?? '', /adding 11/);
});

test('a step type never registered is refused at push, naming the field', async (t) => {
  const r = await rig(t);
  const err = await t.throwsAsync(r.node.api.createWorkflow(chain('u', 'never_seen', 1)));
  t.regex(err?.message ?? '', /workflow\.steps\[0\]\.step\.type: no runtime for step type never_seen/);
});

test('a hello naming no type, or a capacity out of range, is refused naming the field', async (t) => {
  const r = await rig(t);
  const w1 = createWorker({ address: r.address, types: [], handler: () => undefined });
  const e1 = await t.throwsAsync(w1.connected);
  t.regex(e1?.message ?? '', /hello\.types/);
  const w2 = createWorker({ address: r.address, types: ['ok'], concurrency: 0, handler: () => undefined });
  const e2 = await t.throwsAsync(w2.connected);
  t.regex(e2?.message ?? '', /hello\.capacity/);
  const w3 = createWorker({ address: r.address, types: ['9bad'], handler: () => undefined });
  const e3 = await t.throwsAsync(w3.connected);
  t.regex(e3?.message ?? '', /hello\.types\[0\]/);
  await Promise.all([w1.close(), w2.close(), w3.close()]);
});

test('a worker closing mid-step: a second worker finishes it', async (t) => {
  const r = await rig(t);
  let startedOnFirst!: () => void;
  const firstHas = new Promise<void>((resolve) => (startedOnFirst = resolve));
  const first = r.worker({ types: ['slow'], handler: (task) => (startedOnFirst(), new Promise((_, reject) => task.signal.addEventListener('abort', () => reject(new Error('aborted'))))) });
  await first.connected;
  await r.node.api.createWorkflow(chain('m', 'slow', 1));
  const run = await r.node.api.startWorkflow({ workflowId: 'm' });
  await firstHas;
  const second = r.worker({ types: ['slow'], workerId: 'second', handler: (task) => ({ y: task.params.x }) });
  await second.connected;
  await first.close();
  const end = await waitForEnd(r.node.api, 'm', run.instanceId, 10_000);
  t.is(end.status, 'SUCCEEDED');
  t.is(end.steps[0]!.outputs.y, 11);
  t.is(end.steps[0]!.attempts.length, 1, 'the same attempt, not a retry');
});

test('no worker connected: the step waits and get-instance says why; a worker connecting finishes it', async (t) => {
  const r = await rig(t);
  const w = r.worker({ types: ['later'], handler: () => ({ y: 1 }) });
  await w.connected;
  await r.node.api.createWorkflow(chain('l', 'later', 1));
  await w.close();
  const run = await r.node.api.startWorkflow({ workflowId: 'l' });
  await waitForStep(r.node.api, 'l', run.instanceId, 's1', 'RUNNING');
  // the dispatch's NoExecutorError arrives a turn later (or, when the node saw the worker leave
  // only after the dispatch, at the owner's next liveness sweep)
  let view = await r.node.api.getInstance('l', run.instanceId);
  await waitUntil(async () => (view = await r.node.api.getInstance('l', run.instanceId)).steps[0]!.attempts[0]?.details?.waitingFor !== undefined);
  t.is(view.steps[0]!.status, 'RUNNING');
  t.is(view.steps[0]!.attempts[0]!.details?.waitingFor, 'waiting for a worker of type later (none connected)');
  const again = r.worker({ types: ['later'], handler: () => ({ y: 2 }) });
  await again.connected;
  const end = await waitForEnd(r.node.api, 'l', run.instanceId, 10_000);
  t.is(end.status, 'SUCCEEDED');
  t.is(end.steps[0]!.outputs.y, 2);
  t.is(end.steps[0]!.attempts[0]!.details?.waitingFor, undefined, 'no note once it ran');
});

test('a handler error maps to the step status: FatalError fails for good', async (t) => {
  const r = await rig(t);
  const w = r.worker({ types: ['boom'], handler: () => Promise.reject(new FatalError('bad input')) });
  await w.connected;
  await r.node.api.createWorkflow(chain('f', 'boom', 1));
  const run = await r.node.api.startWorkflow({ workflowId: 'f' });
  const end = await waitForEnd(r.node.api, 'f', run.instanceId, 10_000);
  t.is(end.status, 'FAILED');
  t.is(end.steps[0]!.status, 'FATALLY_FAILED');
  t.is(end.steps[0]!.attempts[0]!.error, 'bad input');
});

test('a result after the attempt was stopped is ignored (and the worker is told to cancel)', async (t) => {
  const r = await rig(t);
  let release!: () => void;
  const late = new Promise<void>((resolve) => (release = resolve));
  let aborted = false;
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const w = r.worker({
    types: ['stubborn'],
    handler: async (task) => {
      task.signal.addEventListener('abort', () => (aborted = true));
      started();
      await late; // ignores the cancel, answers afterwards
      return { y: 'too late' };
    },
  });
  await w.connected;
  await r.node.api.createWorkflow(chain('c', 'stubborn', 1));
  const run = await r.node.api.startWorkflow({ workflowId: 'c' });
  await running;
  await r.node.api.stop('c', run.instanceId);
  const stopped = await waitForEnd(r.node.api, 'c', run.instanceId, 10_000);
  t.is(stopped.status, 'STOPPED');
  await waitUntil(() => aborted);
  const result = new Promise<string>((resolve) => w.once('result', (_id: string, status: number) => resolve(String(status))));
  release();
  await result;
  const after = await r.node.api.getInstance('c', run.instanceId);
  t.is(after.steps[0]!.status, 'STOPPED');
  t.deepEqual(after.steps[0]!.outputs, {}, 'the late outputs were not applied');
  // the credit came back: the next task of the type runs on the same one-task worker
  const run2 = await r.node.api.startWorkflow({ workflowId: 'c' });
  const blocked = new Promise<void>((resolve) => w.once('task', () => resolve()));
  await blocked;
  await r.node.api.stop('c', run2.instanceId);
});

test('credit is never exceeded: at most `concurrency` handlers run at once', async (t) => {
  const r = await rig(t);
  let inFlight = 0;
  let most = 0;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const w = r.worker({
    types: ['counted'],
    concurrency: 3,
    handler: async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await gate;
      inFlight--;
      return {};
    },
  });
  await w.connected;
  await r.node.api.createWorkflow(chain('k', 'counted', 1));
  const runs = await Promise.all(Array.from({ length: 20 }, () => r.node.api.startWorkflow({ workflowId: 'k' })));
  await waitUntil(() => inFlight === 3); // three pushed, seventeen waiting on the node for credit
  open();
  for (const run of runs) t.is((await waitForEnd(r.node.api, 'k', run.instanceId, 20_000)).status, 'SUCCEEDED');
  t.true(most <= 3, `at most 3 at once (saw ${most})`);
  t.is(most, 3);
});

test('a result for an attempt the stream was never given ends the stream with INVALID_ARGUMENT', async (t) => {
  const r = await rig(t);
  const client = new WorkerServiceClient(r.address, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  const call = client.connect();
  const welcome = new Promise<WorkerCommand>((resolve) => call.once('data', resolve));
  const failed = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
  call.write({ hello: { workerId: 'raw', types: ['raw'], capacity: 1, sdk: 'test' } });
  t.is((await welcome).welcome?.workerId, 'raw');
  call.write({ result: { attemptId: 'w/1/1/s1/1', status: 1, outputs: {}, error: '', stdout: '', stderr: '' } });
  const err = await failed;
  t.is(err.code, grpc.status.INVALID_ARGUMENT);
  t.regex(err.details, /result\.attempt_id/);
});

test('a stream whose first message is not hello is refused naming hello', async (t) => {
  const r = await rig(t);
  const client = new WorkerServiceClient(r.address, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  const call = client.connect();
  const failed = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
  call.write({ heartbeat: { attemptIds: [] } });
  const err = await failed;
  t.is(err.code, grpc.status.INVALID_ARGUMENT);
  t.regex(err.details, /^hello:/);
});

test('a stream silent for 3 heartbeat intervals is closed (UNAVAILABLE); its task goes to a worker that heartbeats', async (t) => {
  const r = await rig(t, { workerHeartbeatIntervalMs: 50 });
  const client = new WorkerServiceClient(r.address, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  const call = client.connect();
  const given = new Promise<WorkerCommand>((resolve) => call.on('data', (cmd: WorkerCommand) => cmd.tasks && resolve(cmd)));
  const failed = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
  const welcome = new Promise<WorkerCommand>((resolve) => call.once('data', resolve));
  call.write({ hello: { workerId: 'silent', types: ['quiet'], capacity: 1, sdk: 'test' } });
  await welcome; // the type is registered
  await r.node.api.createWorkflow(chain('q', 'quiet', 1));
  const run = await r.node.api.startWorkflow({ workflowId: 'q' });
  t.is((await given).tasks?.tasks[0]?.attemptId, `q/${run.instanceId}/1/s1/1`);
  const w = r.worker({ types: ['quiet'], handler: (task) => ({ y: task.params.x }) }); // heartbeats every 50 ms
  await w.connected;
  const err = await failed; // the silent one never heartbeats
  t.is(err.code, grpc.status.UNAVAILABLE);
  t.regex(err.details, /no heartbeat for \d+ ms/);
  const end = await waitForEnd(r.node.api, 'q', run.instanceId, 10_000);
  t.is(end.status, 'SUCCEEDED');
  t.is(end.steps[0]!.outputs.y, 11);
});

/** Polls `cond` (1 ms apart, up to about 10 s): for facts no event tells. */
async function waitUntil(cond: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (await cond()) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error('condition not reached');
}
