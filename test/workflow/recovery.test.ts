import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedNode } from '../../src/node/embedded.js';
import { waitForEnd } from '../helpers/wait.js';
import { MemoryJournal } from '../../src/journal/memory/memory-journal.js';
import { MemoryKv } from '../../src/store/memory/memory-kv.js';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import { assembleEngine } from '../../src/node/engine-core.js';
import { recordingLogger } from '../helpers/log.js';
import { defaultNodeConfig } from '../../src/node/config.js';
import { WIRE_SCHEMAS } from '../../src/workflow/message-schemas.js';

/** Starts the fixture in a child process and resolves with the instance ids once their Sleep steps run. */
function startChild(dataDir: string, count: number): Promise<{ pid: number; ids: number[]; exited: Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import=tsx', 'test/fixtures/embedded-crash.ts', dataDir, String(count)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const exited = new Promise((r) => child.once('exit', r));
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /ready ([\d,]+)/.exec(out);
      if (m) resolve({ pid: child.pid!, ids: m[1]!.split(',').map(Number), exited });
    });
    child.on('exit', (code) => reject(new Error(`fixture exited early with ${code}: ${out}`)));
  });
}

test('kill -9 mid-run: every in-flight instance resumes from the file journal, nothing counted twice', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'maestro-crash-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const { pid, ids, exited } = await startChild(dataDir, 5);
  const killedAt = Date.now();
  process.kill(pid, 'SIGKILL');
  await exited;

  const node = await createEmbeddedNode({ dataDir, partitions: 4 });
  t.teardown(() => node.close());
  for (const id of ids) {
    const before = await node.api.getInstance('crashy', id);
    t.is(before.status, 'IN_PROGRESS', `instance ${id} was in flight`);
  }
  for (const id of ids) {
    const end = await waitForEnd(node.api, 'crashy', id, 15_000);
    t.is(end.status, 'SUCCEEDED');
    for (const s of end.steps) {
      t.is(s.status, 'SUCCEEDED', `${id}/${s.stepId}`);
      t.is(s.attempts.length, 1, `${id}/${s.stepId} ran once`);
    }
    const nap = end.steps.find((s) => s.stepId === 'nap')!;
    // The sleep continued from its recorded start rather than starting over.
    t.true(nap.endedAtMs! - nap.attempts[0]!.startedAtMs! < 3_500, 'sleep resumed, not restarted');
  }
  t.true(Date.now() - killedAt < 15_000);
});

test('kill -9 while a foreach launches its iterations: after recovery every iteration runs exactly once', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'maestro-foreach-crash-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--import=tsx', 'test/fixtures/embedded-foreach-crash.ts', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  const inlineId = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /ready (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`fixture exited early with ${code}: ${out}`)));
  });
  process.kill(child.pid!, 'SIGKILL');
  await exited;

  const node = await createEmbeddedNode({ dataDir, partitions: 4 });
  t.teardown(() => node.close());
  const end = await waitForEnd(node.api, 'crash-loop', 1, 30_000);
  t.is(end.status, 'SUCCEEDED', end.error);
  const o = end.steps[0]!.overview;
  t.is(o?.kind, 'foreach');
  if (o?.kind !== 'foreach') return;
  t.deepEqual(o.details, { SUCCEEDED: [[1, 60]] });
  t.is(o.rollup.total, 60, 'each iteration counted once');
  const iterations = (await node.api.listInstances({ workflowId: inlineId, pageSize: 1000 })).instances;
  t.is(iterations.length, 60, 'no iteration lost, none created twice');
  for (const it of iterations) {
    const v = await node.api.getInstance(inlineId, it.instanceId);
    t.is(v.runId, 1);
    t.is(v.steps[0]!.attempts.length, 1, `iteration ${it.instanceId} ran its step once`);
  }
});

test('checkpoints bound recovery and retention forgets the oldest finished instances', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'maestro-ckpt-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const opts = { dataDir, partitions: 2, checkpointEveryRecords: 20, retainFinishedPerPartition: 15 };
  const def = JSON.stringify({
    properties: { owner: 't' },
    workflow: { id: 'ckpt', steps: [{ step: { id: 'a', type: 'NoOp', transition: { successors: { b: 'true' } } } }, { step: { id: 'b', type: 'NoOp' } }] },
  });
  const first = await createEmbeddedNode(opts);
  await first.api.createWorkflow(def);
  for (let i = 0; i < 60; i++) await first.api.startWorkflow({ workflowId: 'ckpt' });
  const pending = await first.api.startWorkflow({ workflowId: 'ckpt' }); // the newest
  await first.close();

  const second = await createEmbeddedNode(opts);
  t.teardown(() => second.close());
  const kept = (await second.api.listInstances({ workflowId: 'ckpt', pageSize: 1000 })).instances;
  t.true(kept.length >= 30 && kept.length < 61, `kept ${kept.length} of 61 (at most 15 per partition at each checkpoint, plus the tail)`);
  t.true(kept.every((i) => i.status === 'SUCCEEDED'));
  t.is((await second.api.getInstance('ckpt', pending.instanceId)).status, 'SUCCEEDED', 'the newest instance survives');
  await t.throwsAsync(second.api.getInstance('ckpt', 1), { message: /not found/ }, 'the oldest was forgotten');
});

test('a checkpoint snapshots only the live instances that changed since the last one; short finished runs stay records; retention forgets in finish order', async (t) => {
  const journal = new MemoryJournal();
  const calls: Array<{ snapped: string[]; forgot: string[] }> = [];
  const snapshot = journal.snapshot.bind(journal);
  journal.snapshot = (p, e, snaps, forget = []) => {
    calls.push({ snapped: snaps.map((s) => s.instanceKey), forgot: [...forget] });
    return snapshot(p, e, snaps, forget);
  };
  const kv = new MemoryKv();
  const transport = new MemoryTransport({ schemas: WIRE_SCHEMAS, partitions: 1, requestTimeoutMs: 5_000 });
  // tagPermits off: the batch accounting below assumes each start is one batch (a permit grant is another)
  const config = defaultNodeConfig({ partitions: 1, checkpointEveryRecords: 9, retainFinishedPerPartition: 4, logLevel: 'warn', tagPermits: false });
  const { engine, partitions, executor } = await assembleEngine({ journal, kv, transport, config, log: recordingLogger(), runExecutor: true });
  t.teardown(async () => {
    await partitions.releaseAll();
    await executor?.close();
    await transport.close();
  });
  await partitions.acquire(0, 'next');
  const def = (id: string, second: Record<string, unknown>) =>
    JSON.stringify({
      properties: { owner: 't', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 1000 } },
      workflow: { id, steps: [{ step: { id: 'a', type: 'NoOp', transition: { successors: { b: 'true' } } } }, { step: { id: 'b', ...second } }] },
    });
  await engine.createWorkflow(def('live', { type: 'Sleep', params: { sleep_seconds: { value: 60, type: 'LONG' } } }));
  await engine.createWorkflow(def('short', { type: 'NoOp' }));
  // each start is one batch: started + a's result applied inline (+ b's when it is a NoOp)
  const live: string[] = [];
  for (let i = 0; i < 12; i++) live.push(`live/${(await engine.startWorkflow({ workflowId: 'live' })).instanceId}`);
  const short: string[] = [];
  for (let i = 0; i < 30; i++) short.push(`short/${(await engine.startWorkflow({ workflowId: 'short' })).instanceId}`);
  await partitions.releaseAll(); // waits for a checkpoint in flight
  t.true(calls.length >= 10, `${calls.length} checkpoints`);
  const snapped = calls.flatMap((c) => c.snapped).filter((k) => !k.startsWith('~queue/')); // queue owners are snapshotted too
  t.deepEqual(snapped, live, 'each changed live instance is snapshotted once, in change order; no short finished run is');
  t.true(calls.every((c) => c.snapped.filter((k) => !k.startsWith('~')).length <= 5), `each checkpoint holds only what changed: ${calls.map((c) => c.snapped.length)}`);
  const forgot = calls.flatMap((c) => c.forgot);
  t.true(forgot.length >= 20, `${forgot.length} forgotten`);
  t.deepEqual(forgot, short.slice(0, forgot.length), 'the oldest finished are forgotten first; live ones never');
  const image = await journal.load(0);
  for (const key of live) t.truthy(image.instances.get(key)?.snapshot, `${key} kept with its snapshot`);
  t.false(image.instances.has(short[0]!));
  t.deepEqual(image.instances.get(short[29]!)?.records.map((r) => r.seq), [1, 2, 3], 'a short finished run is kept as its records');
});
