/**
 * A real cluster for tests: nats-server(s) with JetStream and etcd member(s) on free ports, and
 * orchestrator nodes as child processes (test/fixtures/cluster-node.ts), stopped by pid.
 * Every attempt an executor runs is appended to a sink file outside the cluster.
 */
import test, { type ExecutionContext } from 'ava';
import { watch } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNats, haveNats, NATS_MISSING, type NatsFixture } from '../helpers/nats-server.js';
import { startEtcd, haveEtcd, etcdMissingReason, type EtcdServer } from '../helpers/etcd-server.js';
import { createControlClient, type ControlClient } from '../../src/control/client.js';
import { isWorkflowTerminal } from '../../src/core/status.js';

export function clusterSkipReason(): string | undefined {
  if (!haveNats()) return NATS_MISSING;
  if (!haveEtcd()) return etcdMissingReason() ?? 'etcd not installed';
  return undefined;
}

/** A cluster test: serial (these start many processes on a 2-core machine); skipped, saying why, without servers. */
export function clusterTest(title: string, fn: (t: ExecutionContext) => Promise<void>): void {
  const reason = clusterSkipReason();
  if (reason) test.skip(`${title} — skipped: ${reason}`, () => {});
  else test.serial(title, fn);
}

export interface NodeProc {
  nodeId: string;
  grpcAddress: string;
  /** Its HTTP server (/metrics, /healthz). */
  httpUrl: string;
  child: ChildProcess;
  client: ControlClient;
}

export type SinkRecord =
  | { kind: 'run'; attemptId: string; node: string; startMs: number; endMs: number }
  | { kind: 'dispatch'; attemptId: string; node: string; partition: number; epoch: number; atMs: number }
  | { kind: 'accept'; attemptId: string; node: string; partition: number; epoch: number; atMs: number };

export class ClusterHarness {
  readonly nodes: NodeProc[] = [];
  readonly workers: ChildProcess[] = [];
  readonly dir = mkdtempSync(join(tmpdir(), 'maestro-cluster-'));
  readonly sink = join(this.dir, 'attempts.jsonl');
  private seq = 0;

  private constructor(readonly nats: NatsFixture, readonly etcd: EtcdServer, readonly env: Record<string, string>) {}

  static async start(opts: { nodes: number; natsServers?: 1 | 3; etcdMembers?: 1 | 3; env?: Record<string, string> }): Promise<ClusterHarness> {
    const nats = await startNats({ cluster: opts.natsServers ?? 1, jetstream: true });
    const etcd = await startEtcd({ members: opts.etcdMembers ?? 1 });
    const h = new ClusterHarness(nats, etcd, opts.env ?? {});
    await Promise.all(Array.from({ length: opts.nodes }, () => h.addNode()));
    return h;
  }

  addNode(): Promise<NodeProc> {
    const nodeId = `n${++this.seq}`;
    return new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import=tsx', 'test/fixtures/cluster-node.ts', this.nats.urls.join(','), this.etcd.endpoints.join(','), this.sink, nodeId],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.env } },
      );
      let out = '';
      let err = '';
      child.stderr!.on('data', (b: Buffer) => {
        err = (err + b.toString()).slice(-4000);
        appendFileSync(join(this.dir, `${nodeId}.log`), b); // kept for a failing test to show (nodeLogs)
      });
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /ready (\S+) (\S+) (\S+)\n/.exec(out);
        if (m && !this.nodes.some((n) => n.child === child)) {
          const node = { nodeId: m[1]!, grpcAddress: m[2]!, httpUrl: m[3]!, child, client: createControlClient(m[2]!) };
          this.nodes.push(node);
          resolve(node);
        }
      });
      child.on('exit', (code) => {
        if (!this.nodes.some((n) => n.child === child)) reject(new Error(`node ${nodeId} exited with ${code}: ${err}`));
      });
    });
  }

  /** Starts a `maestro worker` process (executor only) with the Probe runtime. */
  addWorker(name: string): Promise<ChildProcess> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import=tsx', 'test/fixtures/cluster-worker.ts', this.nats.urls.join(','), this.sink, name], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...this.env },
      });
      this.workers.push(child);
      let out = '';
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('ready')) resolve(child);
      });
      child.on('exit', (code) => reject(new Error(`worker ${name} exited with ${code}`)));
    });
  }

  /** A client of a live node. */
  client(i = 0): ControlClient {
    const live = this.nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null);
    return live[i % live.length]!.client;
  }

  async kill9(node: NodeProc): Promise<void> {
    node.client.close();
    const exited = new Promise((r) => node.child.once('exit', r));
    node.child.kill('SIGKILL');
    await exited;
  }

  /** The warn/error lines every node logged so far (for a failing test's diagnostics). */
  nodeLogs(filter: RegExp = /"level":(40|50|60)/): string[] {
    const out: string[] = [];
    for (let i = 1; i <= this.seq; i++) {
      const f = join(this.dir, `n${i}.log`);
      if (existsSync(f)) for (const line of readFileSync(f, 'utf8').split('\n')) if (filter.test(line)) out.push(`n${i}: ${line}`);
    }
    return out;
  }

  sinkRecords(): SinkRecord[] {
    if (!existsSync(this.sink)) return [];
    const lines = readFileSync(this.sink, 'utf8').split('\n');
    lines.pop(); // '' after the last newline, or a line a node is still writing (read later)
    return lines.filter(Boolean).map((l) => JSON.parse(l) as SinkRecord);
  }

  /** Resolves once the sink holds `n` records matching `pred` (woken by the sink file's changes). */
  async waitForRecords(what: string, n: number, pred: (r: SinkRecord) => boolean, timeoutMs = 30_000): Promise<void> {
    const count = () => this.sinkRecords().filter(pred).length;
    if (count() >= n) return;
    await new Promise<void>((resolve, reject) => {
      const watcher = watch(this.dir, () => {
        if (count() < n) return;
        clearTimeout(timer);
        watcher.close();
        resolve();
      });
      const timer = setTimeout(() => (watcher.close(), reject(new Error(`only ${count()}/${n} ${what} within ${timeoutMs} ms`))), timeoutMs);
    });
  }

  /** Polls list-instances until `n` instances of `workflowId` are terminal. */
  async waitAllEnded(workflowId: string, n: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 0;
    for (;;) {
      try {
        const all = await this.listAll(workflowId);
        last = all.filter((i) => isWorkflowTerminal(i.status)).length;
        if (last >= n) return;
      } catch {
        // a node may be dying; try another
      }
      if (Date.now() > deadline) throw new Error(`only ${last}/${n} instances of ${workflowId} ended within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async listAll(workflowId: string) {
    const out = [];
    let token = '';
    for (let i = 0; ; i++) {
      const page = await this.client(i).listInstances({ workflowId, pageSize: 1000, pageToken: token });
      out.push(...page.instances);
      token = page.nextPageToken;
      if (!token) return out;
    }
  }

  async stop(): Promise<void> {
    for (const w of this.workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await Promise.all(
      this.nodes.map(async (n) => {
        n.client.close();
        if (n.child.exitCode !== null || n.child.signalCode !== null) return;
        const exited = new Promise((r) => n.child.once('exit', r));
        n.child.kill('SIGKILL');
        await exited;
      }),
    );
    await this.nats.stop();
    await this.etcd.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Fencing as the executors saw it (the receiver side, where the fence is enforced): an executor
 * that accepted a task of partition p at epoch e never accepts one of p at an older epoch — a
 * former owner's late dispatch is refused once the new owner's epoch is known. Also checks that
 * every epoch an executor accepted for p was at some time the epoch of p's owner: each accept
 * matches a dispatch of that attempt by some owner at that epoch.
 */
export function doubleDriven(records: SinkRecord[]): string[] {
  const bad: string[] = [];
  const newest = new Map<string, number>();
  const dispatched = new Set(records.flatMap((r) => (r.kind === 'dispatch' ? [`${r.attemptId}@${r.epoch}`] : [])));
  const accepts = records.filter((r): r is Extract<SinkRecord, { kind: 'accept' }> => r.kind === 'accept').sort((a, b) => a.atMs - b.atMs);
  for (const a of accepts) {
    const k = `${a.node}/${a.partition}`;
    const seen = newest.get(k) ?? 0;
    if (a.epoch < seen) bad.push(`${a.attemptId}: ${a.node} accepted epoch ${a.epoch} of partition ${a.partition} after epoch ${seen}`);
    newest.set(k, Math.max(seen, a.epoch));
    if (!dispatched.has(`${a.attemptId}@${a.epoch}`)) bad.push(`${a.attemptId}: accepted at epoch ${a.epoch} that no owner dispatched`);
  }
  return bad;
}

export function workflowJson(id: string, steps: Array<{ id: string; probeMs?: number }>): string {
  return JSON.stringify({
    properties: { owner: 'cluster-test', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 1000 } },
    workflow: {
      id,
      steps: steps.map((s, i) => ({
        step: {
          id: s.id,
          type: 'Probe',
          params: s.probeMs ? { probe_ms: { value: s.probeMs, type: 'LONG' } } : {},
          transition: { successors: i + 1 < steps.length ? { [steps[i + 1]!.id]: 'true' } : {} },
        },
      })),
    },
  });
}
