/**
 * What a start costs with and without a request_id, on an embedded node with the file journal
 * (fsync per group-commit batch) in a temp dir: startWorkflow latency (p50/p99, sequential
 * starts, each run parked on a long Sleep so nothing else writes meanwhile), fdatasync calls and
 * journal writes per start, and a repeated request_id (the dedup answer: no append at all).
 *
 *   npx tsx scripts/bench-start.ts [--starts 300] [--fsync batch|always|never]
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEmbeddedNode } from '../src/node/embedded.js';
import { histogram, us } from './bench-probe.js';

const { values: args } = parseArgs({ options: { starts: { type: 'string', default: '300' }, fsync: { type: 'string', default: 'batch' } } });
const starts = Math.min(Number(args.starts), 300); // 4 rounds of starts + 50 stay under the 1,000 concurrency (the dedup round adds none)

/** Counts FileHandle.datasync/sync calls process-wide (the journal's fsyncs). */
async function countSyncs(dir: string): Promise<{ count(): number }> {
  const fh = await open(join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(fh) as { datasync(): Promise<void>; sync(): Promise<void> };
  await fh.close();
  let n = 0;
  for (const name of ['datasync', 'sync'] as const) {
    const orig = proto[name];
    proto[name] = function (this: unknown) {
      n++;
      return orig.call(this);
    };
  }
  return { count: () => n };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'maestro-bench-start-'));
  const syncs = await countSyncs(dir);
  const node = await createEmbeddedNode({ dataDir: join(dir, 'data'), fsync: args.fsync as 'batch', logLevel: 'warn' });
  try {
    await node.api.createWorkflow(
      JSON.stringify({
        properties: { owner: 'bench', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 1000 } },
        workflow: { id: 'parked', instance_step_concurrency: 10, steps: [{ step: { id: 's0', type: 'Sleep', params: { sleep_seconds: { value: 3600, type: 'LONG' } } } }] },
      }),
    );
    // warm-up (queue owner, partitions, JIT)
    for (let i = 0; i < 50; i++) await node.api.startWorkflow({ workflowId: 'parked', requestId: `warm-${i}` });
    await new Promise((r) => setTimeout(r, 200));

    const measure = async (label: string, requestId: (i: number) => string | undefined): Promise<void> => {
      const h = histogram();
      const s0 = syncs.count();
      const t0 = performance.now();
      for (let i = 0; i < starts; i++) {
        const a = performance.now();
        const rid = requestId(i);
        await node.api.startWorkflow(rid === undefined ? { workflowId: 'parked' } : { workflowId: 'parked', requestId: rid });
        h.recordValue(Math.max(1, Math.round((performance.now() - a) * 1000)));
      }
      const total = performance.now() - t0;
      await new Promise((r) => setTimeout(r, 100)); // the last batch's step dispatch settles
      const perStart = (syncs.count() - s0) / starts;
      console.log(`${label.padEnd(34)} p50 ${us(h.getValueAtPercentile(50))} ms  p99 ${us(h.getValueAtPercentile(99))} ms  ${(total / starts).toFixed(3)} ms/start  fsyncs/start ${perStart.toFixed(2)}`);
    };
    console.log(`${starts} sequential starts each, file journal fsync=${args.fsync} (a run parks on a 1 h Sleep):`);
    await measure('without request_id', () => undefined);
    await measure('with a new request_id', (i) => `r-${i}`);
    await measure('with a repeated request_id (dedup)', () => 'r-0');
    await measure('without request_id (again)', () => undefined);
  } finally {
    await node.close(2000);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
