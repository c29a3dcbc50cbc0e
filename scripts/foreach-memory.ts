/**
 * Memory of a large foreach on an embedded node (file journal in a temp dir): RSS and heap
 * before, the peak RSS during the run (sampled every 20 ms), its wall and CPU time, and heap /
 * external / ArrayBuffer memory after it, each after a full GC when run with --expose-gc:
 *
 *   node --expose-gc --import tsx scripts/foreach-memory.ts [iterations=25000]
 *
 * Held iterations are dormant (src/workflow/dormant.ts): their states count as ArrayBuffers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedNode } from '../src/node/embedded.js';
import { foreachDef } from './bench-loops.js';
import { waitFor } from '../test/helpers/wait.js';

const iterations = Number(process.argv[2] ?? 25_000);
const dir = await mkdtemp(join(tmpdir(), 'maestro-foreach-memory-'));
const node = await createEmbeddedNode({ dataDir: dir, logLevel: 'warn' });
const mb = (b: number) => (b / 2 ** 20).toFixed(0);
const show = (label: string): void => {
  global.gc?.();
  const m = process.memoryUsage();
  console.log(`${label}: RSS ${mb(m.rss)} MB, heap used ${mb(m.heapUsed)} MB, external ${mb(m.external)} MB (ArrayBuffers ${mb(m.arrayBuffers)} MB)${global.gc ? '' : ' (no --expose-gc: not after a full GC)'}`);
};
try {
  show('idle node');
  await node.api.createWorkflow(foreachDef('foreach-memory', iterations, 500));
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const run = await node.api.startWorkflow({ workflowId: 'foreach-memory' });
  const view = await waitFor(node.api, 'foreach-memory', run.instanceId, { stepId: 'loop', status: ['SUCCEEDED', 'FATALLY_FAILED', 'FAILED', 'STOPPED'] }, { timeoutMs: 600_000 });
  clearInterval(sampler);
  const cpu = process.cpuUsage(c0);
  const status = view.steps.find((s) => s.stepId === 'loop')?.status;
  if (status !== 'SUCCEEDED') throw new Error(`the foreach ended ${status}`);
  console.log(`foreach of ${iterations}: ${((performance.now() - t0) / 1000).toFixed(2)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s, peak RSS ${mb(peak)} MB`);
  show('after the run');
} finally {
  await node.close();
  await rm(dir, { recursive: true, force: true });
}
