import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createControlClient, type ControlClient } from '../../src/control/client.js';
import { maestro, startDev, type DevServer } from './helpers.js';
import { waitFor, waitForEnd, waitForStep } from '../helpers/wait.js';

// `maestro unblock` and `maestro stop|kill WF --all` against `maestro dev --port 0` (the real embedded node, over gRPC).

let dev: DevServer;
let client: ControlClient;
let dir: string;
let server: string[];

const wf = (id: string, runStrategy: string, step: Record<string, unknown>) =>
  JSON.stringify({ properties: { owner: 'tester', run_strategy: runStrategy }, workflow: { id, steps: [{ step: { id: 'job', ...step } }] } });

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'maestro-queue-cli-'));
  // Kubernetes has no runtime here: its step fails, so the instance ends FAILED
  await writeFile(join(dir, 'strict.json'), wf('cli-strict', 'strict_sequential', { type: 'Kubernetes' }));
  await writeFile(join(dir, 'sleepy.json'), wf('cli-sleepy', 'sequential', { type: 'Sleep', params: { sleep_seconds: { type: 'LONG', value: 86_400 } } }));
  dev = await startDev();
  server = ['--server', dev.address];
  client = createControlClient(dev.address, { callTimeoutMs: 10_000 });
});
test.after.always(async () => {
  client?.close();
  if (dev) {
    const code = await dev.stop();
    if (code !== 0) dev.kill();
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('unblock: a FAILED instance blocks STRICT_SEQUENTIAL until `maestro unblock`; a non-FAILED one is refused', async (t) => {
  t.is((await maestro(['push', join(dir, 'strict.json'), ...server])).code, 0);
  const one = await client.startWorkflow({ workflowId: 'cli-strict' });
  t.is(one.instanceId, 1);
  t.is((await waitForEnd(client, 'cli-strict', 1)).status, 'FAILED');
  // the queue owner hears of the end asynchronously; once it has, #2 queues behind the failure
  let two = await client.startWorkflow({ workflowId: 'cli-strict' });
  t.is(two.instanceId, 2);
  if (two.status !== 'CREATED') two = await waitForEnd(client, 'cli-strict', 2); // it started before the end was heard
  const queued = await client.startWorkflow({ workflowId: 'cli-strict' });
  t.is(queued.status, 'CREATED');

  const refused = await maestro(['unblock', 'cli-strict', String(queued.instanceId), ...server]);
  t.is(refused.code, 1);
  t.regex(refused.stderr, new RegExp(`cannot unblock instance cli-strict/${queued.instanceId}: it is CREATED`));

  const all = await maestro(['unblock', 'cli-strict', ...server]);
  t.is(all.code, 0, all.stderr);
  t.regex(all.stdout, /^workflow cli-strict: [12] FAILED instance\(s\) unblocked$/m);
  // the raw status shows where a user looks: `maestro get`, human and --json
  const shown = await maestro(['get', 'cli-strict', '1', ...server]);
  t.is(shown.code, 0, shown.stderr);
  t.regex(shown.stdout, /^workflow cli-strict instance 1 run 1: FAILED \(raw FAILED_1: unblocked\) /m);
  const json = await maestro(['get', 'cli-strict', '1', '--json', ...server]);
  t.like(JSON.parse(json.stdout), { status: 'FAILED', rawStatus: 'FAILED_1', runs: [{ runId: 1, status: 'FAILED', rawStatus: 'FAILED_1' }] });
  // the queue goes on: the next queued instance runs and fails too, which blocks it again
  const next = two.status === 'CREATED' ? two : queued;
  t.is((await waitForEnd(client, 'cli-strict', next.instanceId)).status, 'FAILED');
  if (next !== queued) {
    t.is((await client.getInstance('cli-strict', queued.instanceId)).status, 'CREATED', 'blocked again');
    const one1 = await maestro(['unblock', 'cli-strict', String(next.instanceId), ...server]);
    t.is(one1.code, 0, one1.stderr);
    t.regex(one1.stdout, new RegExp(`^unblocked workflow cli-strict instance ${next.instanceId} run 1 \\(FAILED\\)$`, 'm'));
    t.is((await waitForEnd(client, 'cli-strict', queued.instanceId)).status, 'FAILED', 'the queue went on');
  }
});

test('stop --all: queued instances end STOPPED at once, the running one is told to stop', async (t) => {
  t.is((await maestro(['push', join(dir, 'sleepy.json'), ...server])).code, 0);
  const first = await client.startWorkflow({ workflowId: 'cli-sleepy' });
  await waitForStep(client, 'cli-sleepy', first.instanceId, 'job', 'RUNNING');
  const second = await client.startWorkflow({ workflowId: 'cli-sleepy' });
  const third = await client.startWorkflow({ workflowId: 'cli-sleepy' });
  t.deepEqual([second.status, third.status], ['CREATED', 'CREATED']);
  const r = await maestro(['stop', 'cli-sleepy', '--all', ...server]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^workflow cli-sleepy: 2 queued instance\(s\) ended, 1 running instance\(s\) told to stop$/m);
  for (const v of [first, second, third]) await waitFor(client, 'cli-sleepy', v.instanceId, { status: 'STOPPED' });
  const usage = await maestro(['kill', 'cli-sleepy', ...server]);
  t.is(usage.code, 2, 'without --all an instance id is required');
});
