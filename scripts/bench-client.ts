/**
 * Client-side figures for `npm run bench -- --section client`: what a gRPC client sees. The node
 * is its own process (`maestro dev --data-dir`, or one `maestro node` on JetStream R1 with etcd),
 * the steps run in another process, an external TypeScript worker over the worker protocol
 * (scripts/bench-worker.ts), and this process is the client: it pushes a 10-step chain of the
 * worker's type and calls StartAndWatch (one call: start, then the instance's changes until it
 * ends) over plain grpc-js.
 *
 * Prints, per deployment:
 * - latency, 200 instances one at a time: per-step time (start sent -> the stream says the run
 *   SUCCEEDED, / 10) p50/p99, and start -> first step RUNNING p50/p99 (when the client hears it);
 * - throughput: 2,000 instances, 200 in flight, steps/s (20,000 steps / wall time).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { InstanceServiceClient, WorkflowServiceClient } from '../src/gen/maestro/v1/service.js';
import { StartWorkflowRequest, StepStatus, WorkflowStatus, type InstanceChange } from '../src/gen/maestro/v1/instance.js';
import { CreateWorkflowRequest } from '../src/gen/maestro/v1/workflow.js';
import { haveNats, startNats } from '../test/helpers/nats-server.js';
import { haveEtcd, startEtcd } from '../test/helpers/etcd-server.js';
import { histogram, us } from './bench-probe.js';

const DIST = fileURLToPath(new URL('../', import.meta.url)); // dist/
const TYPE = 'bench_step';
const STEPS = 10;

function chain(id: string): string {
  const steps = Array.from({ length: STEPS }, (_, i) => ({
    step: { id: `s${i}`, type: TYPE, transition: { successors: i + 1 < STEPS ? { [`s${i + 1}`]: 'true' } : {} } },
  }));
  return JSON.stringify({
    properties: { owner: 'bench', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 1000 } },
    workflow: { id, instance_step_concurrency: 100, steps },
  });
}

/** Spawns `node script args`, resolves with the first stdout line matching `ready`. */
function spawnUntil(script: string, args: string[], ready: RegExp, env: Record<string, string> = {}): Promise<{ proc: ChildProcess; match: RegExpMatchArray }> {
  const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${script} not ready in 60 s:\n${out}\n${err}`)), 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(ready);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, match: m });
      }
    });
    proc.on('exit', (code) => reject(new Error(`${script} exited ${code}:\n${out}\n${err}`)));
  });
}

function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.once('exit', () => (clearTimeout(t), resolve()));
    proc.kill('SIGTERM');
  });
}

interface Run {
  startToFirstRunningMs?: number;
  totalMs: number;
  status: string;
}

/** One StartAndWatch call, timed as the client sees it. */
function startAndWatch(client: InstanceServiceClient, workflowId: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first: number | undefined;
    let status = '';
    const call = client.startAndWatch(StartWorkflowRequest.fromPartial({ workflowId }));
    call.on('data', (c: InstanceChange) => {
      if (first === undefined) {
        if (c.stepId === 's0' && c.status === 'RUNNING') first = performance.now() - t0;
        else if (c.snapshot?.steps?.some((s) => s.stepId === 's0' && s.status >= StepStatus.STEP_STATUS_RUNNING)) first = performance.now() - t0;
      }
      if (!c.stepId && c.status) status = c.status;
      if (c.snapshot && c.snapshot.status === WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED) status = 'SUCCEEDED';
    });
    call.on('error', reject);
    call.on('end', () => resolve({ startToFirstRunningMs: first, totalMs: performance.now() - t0, status }));
  });
}

export async function measure(label: string, address: string, quick: boolean): Promise<void> {
  const creds = grpc.credentials.createInsecure();
  const wf = new WorkflowServiceClient(address, creds);
  const inst = new InstanceServiceClient(address, creds);
  try {
    const id = `client-bench-${Date.now()}`;
    await new Promise<void>((resolve, reject) => wf.createWorkflow(CreateWorkflowRequest.fromPartial({ definition: chain(id) }), (err) => (err ? reject(err) : resolve())));
    for (let i = 0; i < 50; i++) await startAndWatch(inst, id); // warm-up
    const step = histogram();
    const first = histogram();
    const n = quick ? 100 : 200;
    for (let i = 0; i < n; i++) {
      const r = await startAndWatch(inst, id);
      if (r.status !== 'SUCCEEDED') throw new Error(`instance ended ${r.status}`);
      step.recordValue(Math.max(1, Math.round((r.totalMs / STEPS) * 1000)));
      if (r.startToFirstRunningMs !== undefined) first.recordValue(Math.max(1, Math.round(r.startToFirstRunningMs * 1000)));
    }
    console.log(
      `${label}: per step (start -> run SUCCEEDED as the client hears it, / ${STEPS}), ${n} one at a time: p50 ${us(step.getValueAtPercentile(50))} ms, p99 ${us(step.getValueAtPercentile(99))} ms; start -> first step RUNNING: p50 ${us(first.getValueAtPercentile(50))} ms, p99 ${us(first.getValueAtPercentile(99))} ms`,
    );
    const total = quick ? 1000 : 2000;
    const inFlight = 200;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < total) {
          next++;
          const r = await startAndWatch(inst, id);
          if (r.status !== 'SUCCEEDED') throw new Error(`instance ended ${r.status}`);
        }
      }),
    );
    const secs = (performance.now() - t0) / 1000;
    console.log(`${label}: throughput, ${total} instances x ${STEPS} steps, ${inFlight} in flight: ${Math.round((total * STEPS) / secs)} steps/s (${secs.toFixed(2)} s)`);
  } finally {
    wf.close();
    inst.close();
  }
}

export async function runClientBench(opts: { quick: boolean }): Promise<void> {
  const cli = join(DIST, 'src/cli/main.js');
  const workerScript = join(DIST, 'scripts/bench-worker.js');
  const worker = async (address: string) => (await spawnUntil(workerScript, [address, TYPE, '512'], /ready/)).proc;

  // embedded: maestro dev with a file journal
  const dir = mkdtempSync(join(tmpdir(), 'maestro-bench-client-'));
  const dev = await spawnUntil(cli, ['dev', '--port', '0', '--data-dir', dir], /listening on (\S+):(\d+)/, { MAESTRO_LOG_LEVEL: 'warn' });
  const devAddress = `localhost:${dev.match[2]}`;
  let w = await worker(devAddress);
  try {
    await measure('client, embedded (maestro dev --data-dir, fsync per batch), external TS worker', devAddress, opts.quick);
  } finally {
    await stop(w);
    await stop(dev.proc);
    rmSync(dir, { recursive: true, force: true });
  }

  if (!haveNats() || !haveEtcd()) {
    console.log('client, cluster: skipped (nats-server or etcd not installed; run scripts/install-servers.sh)');
    return;
  }
  const nats = await startNats({ cluster: 1, jetstream: true });
  const etcd = await startEtcd({ members: 1 });
  try {
    const node = await spawnUntil(
      cli,
      ['node', '--nats', nats.urls.join(','), '--etcd', etcd.endpoints.join(','), '--grpc-port', '0', '--partitions', '64', '--replicas', '1'],
      /serving on (\S+):(\d+)/,
      { MAESTRO_LOG_LEVEL: 'warn' },
    );
    const address = `127.0.0.1:${node.match[2]}`;
    w = await worker(address);
    try {
      await measure('client, cluster (1 maestro node, JetStream R1), external TS worker', address, opts.quick);
    } finally {
      await stop(w);
      await stop(node.proc);
    }
  } finally {
    await nats.stop();
    await etcd.stop();
  }
}
