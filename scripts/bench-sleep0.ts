/**
 * A 10-step chain of `Sleep` with `sleep_seconds: 0` against the same chain of NoOp, on an
 * embedded node (file journal, fsync per batch, in a temp dir): start -> end per run (p50/p99)
 * and per step, plus the setTimeout calls made while the runs went (all of them, and those made
 * from src/executor: a dispatched attempt or a sleeping runtime).
 *
 *   npx tsx scripts/bench-sleep0.ts [--runs 200] [--memory]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEmbeddedNode } from '../src/node/embedded.js';
import { waitForEnd } from '../test/helpers/wait.js';
import { histogram, us } from './bench-probe.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '200' }, memory: { type: 'boolean', default: false } } });
const runs = Number(args.runs);

function chain(id: string, type: string, params: Record<string, unknown> = {}): string {
  const steps = Array.from({ length: 10 }, (_, i) => ({ step: { id: `s${i}`, type, params, transition: { successors: i < 9 ? { [`s${i + 1}`]: 'true' } : {} } } }));
  return JSON.stringify({ properties: { owner: 'bench', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 1000 } }, workflow: { id, instance_step_concurrency: 100, steps } });
}

/** Counts setTimeout calls while `fn` runs: all, and those whose stack passes through src/executor. */
async function countTimers<T>(fn: () => Promise<T>): Promise<{ value: T; all: number; executor: number }> {
  const orig = globalThis.setTimeout;
  let all = 0;
  let executor = 0;
  globalThis.setTimeout = ((...a: Parameters<typeof setTimeout>) => {
    all++;
    if (new Error().stack?.includes('/src/executor/')) executor++;
    return orig(...a);
  }) as typeof setTimeout;
  try {
    const value = await fn();
    return { value, all, executor };
  } finally {
    globalThis.setTimeout = orig;
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'maestro-bench-sleep0-'));
  const node = await createEmbeddedNode({ ...(args.memory ? {} : { dataDir: dir }), logLevel: 'warn' });
  try {
    await node.api.createWorkflow(chain('noop10', 'NoOp'));
    await node.api.createWorkflow(chain('sleep10', 'Sleep', { sleep_seconds: { value: 0, type: 'LONG' } }));
    console.log(`10-step chains, ${runs} runs each one after another, embedded ${args.memory ? 'in memory' : 'file journal (fsync batch)'}:`);
    for (const wf of ['noop10', 'sleep10', 'noop10', 'sleep10']) {
      for (let i = 0; i < 20; i++) await waitForEnd(node.api, wf, (await node.api.startWorkflow({ workflowId: wf })).instanceId); // warm-up
      const h = histogram();
      const { all, executor } = await countTimers(async () => {
        for (let i = 0; i < runs; i++) {
          const t0 = performance.now();
          const v = await node.api.startWorkflow({ workflowId: wf });
          const end = await waitForEnd(node.api, wf, v.instanceId);
          if (end.status !== 'SUCCEEDED') throw new Error(`${wf}/${v.instanceId} ended ${end.status}`);
          h.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
        }
      });
      const p50 = h.getValueAtPercentile(50);
      console.log(
        `${wf.padEnd(8)} start->end p50 ${us(p50)} ms p99 ${us(h.getValueAtPercentile(99))} ms (${us(p50 / 10)} ms/step)  setTimeout calls/run ${(all / runs).toFixed(2)} (from src/executor ${(executor / runs).toFixed(2)})`,
      );
    }
  } finally {
    await node.close(2000);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
