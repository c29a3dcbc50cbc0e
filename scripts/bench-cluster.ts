/**
 * Cluster figures for `npm run bench` (section "cluster"): real nats-server (JetStream, R1) and
 * etcd started on free ports in temp dirs, cluster nodes in this process (each with its own
 * NATS and etcd connections; on a 2-core machine separate processes would share the same cores).
 * Prints: step launch p50/p99 and start overhead p50 on 1 node; NoOp steps/s on 1 and 3 nodes;
 * failover time after a node crash (lease not revoked, as kill -9); partitions moved on join;
 * the loop figures of bench-loops.ts on 3 nodes (only those with `loopsOnly`).
 */
import { startNats, haveNats } from '../test/helpers/nats-server.js';
import { startEtcd, haveEtcd } from '../test/helpers/etcd-server.js';
import { startClusterNode, type ClusterNode } from '../src/node/cluster-node.js';
import { EtcdCluster } from '../src/cluster/etcd/index.js';
import { Probe, chainDef, histogram, us } from './bench-probe.js';
import { runLoopsBench } from './bench-loops.js';
import { runSignalsBench } from './bench-signals.js';
import { connect } from 'nats';
import { signalSubjectOf } from '../src/core/signals/encode.js';

const PARTITIONS = 64;

export async function runClusterBench(opts: { quick: boolean; loopsOnly?: boolean; signalsOnly?: boolean }): Promise<void> {
  if (!haveNats() || !haveEtcd()) {
    console.log('cluster: skipped (nats-server or etcd not installed; run scripts/install-servers.sh)');
    return;
  }
  const nats = await startNats({ cluster: 1, jetstream: true });
  const etcd = await startEtcd({ members: 1 });
  const probe = new Probe();
  const nodes: ClusterNode[] = [];
  const add = async () => {
    const n = await startClusterNode({ nats: nats.urls, etcd: etcd.endpoints, grpcPort: 0, partitions: PARTITIONS, extraRuntimes: [probe], logLevel: 'warn' });
    nodes.push(n);
    while (!nodes.every((x) => x.manager.settled())) await new Promise((r) => setTimeout(r, 20));
    return n;
  };
  /** Steps/s of `instances` chains of `steps` steps of `type`; done when every instance SUCCEEDED. */
  const throughput = async (label: string, workflowId: string, instances: number, steps: number, type: 'NoOp' | 'Probe') => {
    await nodes[0]!.api.createWorkflow(chainDef(workflowId, steps, type));
    const t0 = performance.now();
    for (let i = 0; i < instances; i += 200) {
      await Promise.all(Array.from({ length: Math.min(200, instances - i) }, (_, k) => nodes[(i + k) % nodes.length]!.api.startWorkflow({ workflowId })));
    }
    for (;;) {
      const done = await nodes[0]!.api.listInstances({ workflowId, status: 'SUCCEEDED', pageSize: 1000 });
      if (done.instances.length + (done.nextPageToken ? Number(done.nextPageToken) : 0) >= instances) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const secs = (performance.now() - t0) / 1000;
    const ran = instances * steps;
    const what = type === 'NoOp' ? 'NoOp steps (inline)' : 'dispatched no-op steps (executor)';
    console.log(`cluster ${label}: ${instances} instances x ${steps} ${what} = ${ran} steps in ${secs.toFixed(2)} s -> ${Math.round(ran / secs)} steps/s`);
  };
  /** Signal figures on one node, announced by a plain NATS client (request/reply on maestro.signals.<name>). */
  const signals = async (node: ClusterNode) => {
    const nc = await connect({ servers: nats.urls, name: 'bench-announcer' });
    try {
      const announce = async (name: string, params: Record<string, number | string>) => {
        const m = await nc.request(signalSubjectOf(name), new TextEncoder().encode(JSON.stringify({ params })), { timeout: 10_000 });
        const reply = JSON.parse(new TextDecoder().decode(m.data)) as { error?: string };
        if (reply.error) throw new Error(`signal ${name} refused: ${reply.error}`);
      };
      await runSignalsBench({ quick: opts.quick, label: 'cluster signals (1 node, JetStream R1, plain NATS request)', api: node.api, probe, announce });
    } finally {
      await nc.close();
    }
  };
  try {
    if (opts.loopsOnly) {
      for (let i = 0; i < 3; i++) await add();
      await runLoopsBench({ quick: opts.quick, label: 'cluster, 3 nodes in one process', api: nodes[0]!.api });
      return;
    }
    await add();
    await signals(nodes[0]!);
    if (opts.signalsOnly) return;
    // launch overhead and start overhead, 1 node
    const chainLen = 200;
    await nodes[0]!.api.createWorkflow(chainDef('cchain', chainLen));
    const launch = histogram();
    for (let c = 0; c < (opts.quick ? 2 : 5); c++) {
      const run = await nodes[0]!.api.startWorkflow({ workflowId: 'cchain' });
      const last = `cchain/${run.instanceId}/1/s${chainLen - 1}/1`;
      while (!probe.finished.has(last)) await new Promise((r) => setTimeout(r, 5));
      for (let i = 1; i < chainLen; i++) {
        const prev = probe.finished.get(`cchain/${run.instanceId}/1/s${i - 1}/1`)!;
        const next = probe.started.get(`cchain/${run.instanceId}/1/s${i}/1`)!;
        launch.recordValue(Math.max(1, Math.round((next - prev) * 1000)));
      }
    }
    console.log(`cluster step launch overhead (1 node, JetStream R1 journal, 200-step chain): p50 ${us(launch.getValueAtPercentile(50))} ms, p99 ${us(launch.getValueAtPercentile(99))} ms`);
    await nodes[0]!.api.createWorkflow(chainDef('cone', 1));
    const start = histogram();
    for (let i = 0; i < (opts.quick ? 50 : 200); i++) {
      const t0 = performance.now();
      const run = await nodes[0]!.api.startWorkflow({ workflowId: 'cone' });
      const id = `cone/${run.instanceId}/1/s0/1`;
      while (!probe.started.has(id)) await new Promise((r) => setImmediate(r));
      start.recordValue(Math.max(1, Math.round((probe.started.get(id)! - t0) * 1000)));
    }
    console.log(`cluster workflow start overhead (1 node): p50 ${us(start.getValueAtPercentile(50))} ms, p99 ${us(start.getValueAtPercentile(99))} ms`);
    const n = opts.quick ? 300 : 1000;
    await throughput('1 node', 'ctput1', n, 10, 'NoOp');
    await throughput('1 node', 'ctput1p', n, 10, 'Probe');
    await add();
    await add();
    await throughput('3 nodes (one process, same 2 cores)', 'ctput3', n, 10, 'NoOp');
    await throughput('3 nodes (one process, same 2 cores)', 'ctput3p', n, 10, 'Probe');
    await runLoopsBench({ quick: opts.quick, label: 'cluster, 3 nodes in one process', api: nodes[0]!.api });

    // partitions moved when a fourth node joins
    const view = new EtcdCluster({ endpoints: etcd.endpoints });
    const owners = () => Promise.all(Array.from({ length: PARTITIONS }, async (_, p) => (await view.claims.owner(p))?.nodeId));
    const before = await owners();
    const fourth = await add();
    let after = await owners();
    for (let stable = 0; stable < 20; ) {
      await new Promise((r) => setTimeout(r, 100));
      const next = await owners();
      stable = next.every((o, p) => o === after[p]) && next.every((o) => o !== undefined) ? stable + 1 : 0;
      after = next;
    }
    console.log(`cluster partitions moved when a 4th node joined: ${after.filter((o, p) => o !== before[p]).length} of ${PARTITIONS}`);

    // failover after a crash
    const theirs = (await owners()).filter((o) => o === fourth.nodeId).length;
    const crashedAt = performance.now();
    await fourth.crash();
    nodes.splice(nodes.indexOf(fourth), 1);
    for (;;) {
      const now = await owners();
      if (now.every((o) => o !== undefined && o !== fourth.nodeId)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    console.log(`cluster failover after a crash (lease TTL 2 s): ${((performance.now() - crashedAt) / 1000).toFixed(2)} s for ${theirs} partitions`);
    await view.close();
  } finally {
    for (const n of nodes) await n.close().catch(() => {});
    await nats.stop();
    await etcd.stop();
  }
}
