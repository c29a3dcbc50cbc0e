/**
 * `npm run bench`: prints the engine's figures. Embedded mode with the file journal (fsync per
 * group-commit batch) in a temp dir:
 *  - step launch overhead (predecessor's result sent -> successor's runtime started) on a 200-step chain, p50/p99;
 *  - workflow start overhead (start request -> first step's runtime started), p50/p99;
 *  - sustained steps/s over many concurrent instances (several rounds, checkpoints included), NoOp and dispatched;
 *  - dequeue latency of a SEQUENTIAL workflow (previous run's step done -> next run's step running), p50/p99;
 *  - SEL: a cached `params.get('x') + 1`, ns/op.
 * Options: --quick (smaller runs), --section embedded|queue|sel|loops|signals|cluster|client, --fsync always|batch|never,
 * --embedded-only (section loops/signals: skip their cluster part), --only foreach|chain (section loops).
 * Client-side figures (section client: a gRPC client, the node and an external TypeScript worker in
 * three processes, embedded and on one cluster node) from scripts/bench-client.ts.
 * Signal figures (section signals, embedded and 1-node cluster) from scripts/bench-signals.ts.
 * Cluster figures come from scripts/bench-cluster.ts when nats-server and etcd are installed;
 * foreach / subworkflow figures (section loops, embedded and 3-node cluster) from scripts/bench-loops.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEmbeddedNode, type EmbeddedNode } from '../src/node/embedded.js';
import { Probe, chainDef, histogram, us } from './bench-probe.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    section: { type: 'string' },
    fsync: { type: 'string', default: 'batch' },
    'embedded-only': { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const quick = args.quick!;
const want = (s: string) => !args.section || args.section === s;

async function waitAll(node: EmbeddedNode, workflowId: string, n: number, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = node.partitions.count({ workflowId, terminal: true });
    if (done >= n) return;
    if (Date.now() > deadline) throw new Error(`only ${done}/${n} instances finished`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function embedded(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'maestro-bench-'));
  const probe = new Probe();
  const node = await createEmbeddedNode({ dataDir: dir, fsync: args.fsync as 'batch', extraRuntimes: [probe], logLevel: 'warn' });
  try {
    // 1. launch overhead on a 200-step chain
    const chainLen = 200;
    const chains = quick ? 3 : 10;
    await node.api.createWorkflow(chainDef('chain', chainLen));
    const launch = histogram();
    for (let c = 0; c < chains; c++) {
      const run = await node.api.startWorkflow({ workflowId: 'chain' });
      await waitAll(node, 'chain', c + 1);
      for (let i = 1; i < chainLen; i++) {
        const prev = probe.finished.get(`chain/${run.instanceId}/1/s${i - 1}/1`)!;
        const next = probe.started.get(`chain/${run.instanceId}/1/s${i}/1`)!;
        launch.recordValue(Math.max(1, Math.round((next - prev) * 1000)));
      }
    }
    console.log(`step launch overhead (dispatched steps, 200-step chain, ${chains} runs, file journal fsync=${args.fsync}): p50 ${us(launch.getValueAtPercentile(50))} ms, p99 ${us(launch.getValueAtPercentile(99))} ms`);

    // 2. start overhead
    await node.api.createWorkflow(chainDef('one', 1));
    const start = histogram();
    const starts = quick ? 100 : 500;
    for (let i = 0; i < starts; i++) {
      const t0 = performance.now();
      const run = await node.api.startWorkflow({ workflowId: 'one' });
      await waitAll(node, 'one', i + 1);
      start.recordValue(Math.max(1, Math.round((probe.started.get(`one/${run.instanceId}/1/s0/1`)! - t0) * 1000)));
    }
    console.log(`workflow start overhead (start request -> first step running, ${starts} starts): p50 ${us(start.getValueAtPercentile(50))} ms, p99 ${us(start.getValueAtPercentile(99))} ms`);

    // 3. a NoOp chain: per-step time when the owner runs instant steps inline
    await node.api.createWorkflow(chainDef('nchain', chainLen, 'NoOp'));
    const perStep = histogram();
    for (let c = 0; c < chains; c++) {
      const t0 = performance.now();
      await node.api.startWorkflow({ workflowId: 'nchain' });
      await waitAll(node, 'nchain', c + 1, 60_000);
      perStep.recordValue(Math.max(1, Math.round(((performance.now() - t0) / chainLen) * 1000)));
    }
    console.log(`NoOp 200-step chain (inline): ${us(perStep.getValueAtPercentile(50))} ms per step (median of ${chains} runs)`);

    // 4. sustained throughput, NoOp (inline) and Probe (dispatched through the executor): a
    // warm-up round (not reported), then several measured rounds back to back, starts included,
    // long enough that checkpoints (every checkpointEveryRecords per partition) happen inside them
    const steps = 10;
    const perRound = quick ? 2000 : 10_000;
    const rounds = quick ? 1 : 3;
    for (const type of ['NoOp', 'Probe']) {
      const id = `tput-${type}`;
      await node.api.createWorkflow(chainDef(id, steps, type));
      let started = 0;
      const round = async (instances: number) => {
        const t0 = performance.now();
        for (let i = 0; i < instances; i += 2000) {
          await Promise.all(Array.from({ length: Math.min(2000, instances - i) }, () => node.api.startWorkflow({ workflowId: id })));
        }
        started += instances;
        await waitAll(node, id, started);
        return (performance.now() - t0) / 1000;
      };
      await round(quick ? 500 : 2000);
      const secs: number[] = [];
      for (let r = 0; r < rounds; r++) secs.push(await round(perRound));
      const total = secs.reduce((a, b) => a + b, 0);
      const ran = rounds * perRound * steps;
      const each = secs.map((x) => Math.round((perRound * steps) / x)).join(', ');
      const heapMb = (process.memoryUsage().heapUsed / 2 ** 20).toFixed(0);
      console.log(
        `throughput, ${type === 'NoOp' ? 'NoOp steps (inline)' : 'dispatched steps (executor)'}: ${rounds * perRound} instances x ${steps} steps in ${rounds} rounds, started 2,000 at a time = ${ran} steps in ${total.toFixed(2)} s -> ${Math.round(ran / total)} steps/s sustained (rounds: ${each}; heap ${heapMb} MB)`,
      );
    }
  } finally {
    await node.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Dequeue latency through the workflow queue owner: a SEQUENTIAL workflow with one Probe step,
 * many instances queued; from the moment run N's step finishes to run N+1's step starting (run
 * N's end is applied, its queue owner told, the next run journaled and launched, dispatched).
 */
async function queue(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'maestro-bench-'));
  const probe = new Probe();
  const node = await createEmbeddedNode({ dataDir: dir, fsync: args.fsync as 'batch', extraRuntimes: [probe], logLevel: 'warn' });
  try {
    const n = quick ? 200 : 1000;
    // Maestro's defaults (the step asks the tag-permit manager), then with instance_step_concurrency
    // (a root without children counts its own permits: no manager round trip).
    for (const [id, extra, label] of [
      ['seq', {}, "Maestro's default permits (step_concurrency 20, counted on the one running instance)"],
      ['seq-local', { instance_step_concurrency: 1 }, 'instance_step_concurrency 1: instance-local permits'],
    ] as const) {
      await node.api.createWorkflow(JSON.stringify({ properties: { owner: 'bench', run_strategy: 'sequential' }, workflow: { id, ...extra, steps: [{ step: { id: 's0', type: 'Probe' } }] } }));
      const ids: number[] = [];
      for (let i = 0; i < n; i++) ids.push((await node.api.startWorkflow({ workflowId: id })).instanceId);
      await waitAll(node, id, n);
      const lat = histogram();
      for (let i = 1; i < n; i++) {
        const prev = probe.finished.get(`${id}/${ids[i - 1]}/1/s0/1`)!;
        const next = probe.started.get(`${id}/${ids[i]}/1/s0/1`)!;
        lat.recordValue(Math.max(1, Math.round((next - prev) * 1000)));
      }
      console.log(`dequeue latency (SEQUENTIAL, ${n} queued runs, ${label}, file journal fsync=${args.fsync}): p50 ${us(lat.getValueAtPercentile(50))} ms, p99 ${us(lat.getValueAtPercentile(99))} ms`);
    }
  } finally {
    await node.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function sel(): Promise<void> {
  const { createSelEngine } = await import('../src/expr/index.js');
  const engine = createSelEngine();
  const scope = {
    lookup: () => undefined,
    params: { get: (n: string) => (n === 'x' ? 41 : undefined) } as never,
    nowMs: Date.now(),
    random: Math.random,
  };
  const src = "params.get('x') + 1";
  for (let i = 0; i < 10_000; i++) engine.evaluate(src, scope);
  const n = quick ? 100_000 : 1_000_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) engine.evaluate(src, scope);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  console.log(`SEL cached \`${src}\`: ${ns.toFixed(0)} ns/op (${(ns / 1000).toFixed(2)} µs)`);
}

console.log(`maestro-ts bench on ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
if (want('embedded')) await embedded();
if (want('queue')) await queue();
if (want('sel')) await sel();
if (want('loops')) {
  const dir = await mkdtemp(join(tmpdir(), 'maestro-bench-loops-'));
  const node = await createEmbeddedNode({ dataDir: dir, fsync: args.fsync as 'batch', logLevel: 'warn' });
  try {
    const { runLoopsBench } = await import('./bench-loops.js');
    const only = args.only === 'foreach' || args.only === 'chain' ? args.only : undefined;
    if (args.only !== undefined && !only) throw new Error(`--only: expected foreach or chain, got ${args.only}`);
    await runLoopsBench({ quick, label: `embedded (file journal fsync=${args.fsync})`, api: node.api, only });
  } finally {
    await node.close();
    await rm(dir, { recursive: true, force: true });
  }
}
if (want('signals')) {
  const dir = await mkdtemp(join(tmpdir(), 'maestro-bench-signals-'));
  const probe = new Probe();
  const node = await createEmbeddedNode({ dataDir: dir, fsync: args.fsync as 'batch', extraRuntimes: [probe], logLevel: 'warn' });
  try {
    const { runSignalsBench } = await import('./bench-signals.js');
    const announce = async (name: string, params: Record<string, number | string>) => void (await node.api.sendSignal(name, { params, payload: {} }));
    await runSignalsBench({ quick, label: `embedded signals (file journal fsync=${args.fsync}, engine API)`, api: node.api, probe, announce });
  } finally {
    await node.close();
    await rm(dir, { recursive: true, force: true });
  }
}
if (want('cluster') || ((args.section === 'loops' || args.section === 'signals') && !args['embedded-only'])) {
  const { runClusterBench } = await import('./bench-cluster.js');
  await runClusterBench({ quick, loopsOnly: args.section === 'loops', signalsOnly: args.section === 'signals' });
}
if (want('client')) {
  const { runClientBench } = await import('./bench-client.js');
  await runClientBench({ quick });
}
