/** A TS worker's task.log() lines reach `LogService.StreamStepLogs` live, and are kept with the attempt. */
import test from 'ava';
import * as grpc from '@grpc/grpc-js';
import { WorkerServiceClient, type WorkerCommand } from '../../src/gen/maestro/v1/worker.js';
import { createEmbeddedNode } from '../../src/node/embedded.js';
import { startGrpcServer } from '../../src/control/server.js';
import { createWorker } from '../../src/sdk/worker.js';
import { createLogClient, type LogChunk } from '../../src/control/log-client.js';
import { recordingLogger } from '../helpers/log.js';
import { waitForEnd } from '../helpers/wait.js';
import { testIf } from '../helpers/skip.js';
import { PY_FIXTURES, PyProcess, pythonMissing } from '../helpers/python.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('worker logs: the first line arrives while the step runs; the stream ends with the attempt; the lines are kept', async (t) => {
  const node = await createEmbeddedNode({ partitions: 4, log: recordingLogger() });
  const server = await startGrpcServer(node.api, { port: 0, services: node.grpcServices, log: node.log, shutdownGraceMs: 200 });
  const address = `localhost:${server.port}`;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const worker = createWorker({
    address,
    types: ['chatty'],
    handler: async (task) => {
      task.log('first', { n: 1 });
      await gate;
      task.log('second');
      return { ok: true };
    },
  });
  const logs = createLogClient(address);
  t.teardown(async () => {
    logs.close();
    await worker.close();
    await server.close();
    await node.close();
  });
  await worker.connected;
  await node.api.createWorkflow(
    JSON.stringify({ properties: { owner: 't' }, workflow: { id: 'chat', steps: [{ step: { id: 'talk', type: 'chatty' } }] } }),
    'json',
  );
  const { instanceId } = await node.api.startWorkflow({ workflowId: 'chat' });

  const chunks: LogChunk[] = [];
  let text = '';
  for await (const c of logs.stepLogs({ workflowId: 'chat', instanceId, stepId: 'talk', attempt: 0, follow: true })) {
    chunks.push(c);
    if (c.stream === 'stdout') text += c.text;
    if (text === 'first {"n":1}\n' && !c.end) {
      const view = await node.api.getInstance('chat', instanceId);
      t.is(view.steps[0]?.status, 'RUNNING', 'the line came while the step ran');
      release();
    }
  }
  t.is(text, 'first {"n":1}\nsecond\n');
  const last = chunks.at(-1)!;
  t.like(last, { end: true, status: 'SUCCEEDED', attempt: 1 });
  t.is(chunks[0]?.attemptId, `chat/${instanceId}/1/talk/1`);

  await waitForEnd(node.api, 'chat', instanceId);
  const kept: LogChunk[] = [];
  for await (const c of logs.stepLogs({ workflowId: 'chat', instanceId, stepId: 'talk', attempt: 1, follow: false })) kept.push(c);
  t.deepEqual(
    kept.map((c) => [c.stream, c.text, c.end]),
    [
      ['stdout', 'first {"n":1}\nsecond\n', false],
      ['', '', true],
    ],
  );
});

const pyTest = testIf(pythonMissing());

pyTest('a Python worker task.log() line arrives live, before the step ends', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-pylogs-'));
  const hold = join(dir, 'hold');
  const node = await createEmbeddedNode({ partitions: 4, log: recordingLogger() });
  const server = await startGrpcServer(node.api, { port: 0, services: node.grpcServices, log: node.log, shutdownGraceMs: 200 });
  const address = `127.0.0.1:${server.port}`;
  const py = PyProcess.spawn([join(PY_FIXTURES, 'e2e_worker.py'), address, 'pylog', 'py1', hold]);
  const logs = createLogClient(address);
  t.teardown(async () => {
    logs.close();
    if (py.alive && py.child.pid !== undefined) process.kill(py.child.pid, 'SIGKILL');
    await server.close();
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await py.next('connected', (l) => l['event'] === 'connected', { timeoutMs: 30_000 });
  await node.api.createWorkflow(
    JSON.stringify({
      properties: { owner: 't' },
      workflow: { id: 'pychat', steps: [{ step: { id: 'talk', type: 'pylog', params: { n: { value: 2, type: 'LONG' }, hold: { value: true, type: 'BOOLEAN' } } } }] },
    }),
    'json',
  );
  const { instanceId } = await node.api.startWorkflow({ workflowId: 'pychat' });
  let text = '';
  let last: LogChunk | undefined;
  for await (const c of logs.stepLogs({ workflowId: 'pychat', instanceId, stepId: 'talk', attempt: 0, follow: true })) {
    if (c.stream === 'stdout') {
      text += c.text;
      if (text === 'py1 runs talk\n') {
        t.is((await node.api.getInstance('pychat', instanceId)).steps[0]?.status, 'RUNNING');
        writeFileSync(hold, '');
      }
    }
    last = c;
  }
  t.is(text, 'py1 runs talk\n');
  t.like(last, { end: true, status: 'SUCCEEDED' });
});

test('a raw worker: TaskLog lines are kept when the result has no stdout; a bad stream name ends the stream naming log.stream', async (t) => {
  const node = await createEmbeddedNode({ partitions: 4, log: recordingLogger() });
  const server = await startGrpcServer(node.api, { port: 0, services: node.grpcServices, log: node.log, shutdownGraceMs: 200 });
  const client = new WorkerServiceClient(`localhost:${server.port}`, grpc.credentials.createInsecure());
  t.teardown(async () => {
    client.close();
    await server.close();
    await node.close();
  });
  const call = client.connect();
  const welcome = new Promise<WorkerCommand>((resolve) => call.once('data', resolve));
  const given: WorkerCommand[] = [];
  let onTask: () => void = () => {};
  call.on('data', (cmd: WorkerCommand) => {
    if (cmd.tasks) given.push(cmd);
    onTask();
  });
  const failed = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
  call.write({ hello: { workerId: 'raw', types: ['rawlog'], capacity: 2, sdk: 'test' } });
  await welcome;
  await node.api.createWorkflow(JSON.stringify({ properties: { owner: 't' }, workflow: { id: 'rawlog', steps: [{ step: { id: 's', type: 'rawlog' } }] } }), 'json');
  const first = await node.api.startWorkflow({ workflowId: 'rawlog' });
  await new Promise<void>((resolve) => (given.length > 0 ? resolve() : (onTask = resolve)));
  const attemptId = given[0]!.tasks!.tasks[0]!.attemptId;
  call.write({ log: { attemptId, stream: 'stdout', text: 'out line\n' } });
  call.write({ log: { attemptId, stream: 'stderr', text: 'err line\n' } });
  call.write({ result: { attemptId, status: 1, outputs: {}, error: '', stdout: '', stderr: '' } });
  const end = await waitForEnd(node.api, 'rawlog', first.instanceId);
  t.like(end.steps[0]!.attempts[0], { status: 'SUCCEEDED', stdout: 'out line\n', stderr: 'err line\n' });

  call.write({ log: { attemptId, stream: 'both', text: 'x' } });
  const err = await failed;
  t.is(err.code, grpc.status.INVALID_ARGUMENT);
  t.regex(err.details, /^log\.stream: must be "stdout" or "stderr"/);
});
