/**
 * Loop figures for `npm run bench` (section "loops"), on an embedded node or a cluster:
 *  - a foreach of 25,000 NoOp iterations (2,000 with --quick) with concurrency 500: wall time
 *    from the start request to the foreach step SUCCEEDED, and the process's peak RSS over the
 *    run (sampled every 20 ms; the first figure is RSS just before the start);
 *  - a chain of 10 nested subworkflows (L0 runs L1 ... L8 runs L9, a NoOp; nine ancestors for
 *    L9, the most the depth limit allows): start request -> root SUCCEEDED, p50 over some runs.
 * Concurrency: a foreach runs min(concurrency, instance_step_concurrency / step_concurrency,
 * 20 when neither is set) iterations at once, so the workflow sets instance_step_concurrency 500.
 */
import type { EngineApi } from '../src/workflow/engine-api.js';
import { waitFor } from '../test/helpers/wait.js';

export interface LoopsBenchOptions {
  quick: boolean;
  /** "embedded" or "cluster, 3 nodes": prefixes every line. */
  label: string;
  /** A node to create workflows on and start from (a cluster: any node). */
  api: EngineApi;
  /** Only this part (for profiling). */
  only?: 'foreach' | 'chain';
}

export function foreachDef(id: string, iterations: number, concurrency: number): string {
  return JSON.stringify({
    properties: { owner: 'bench', run_strategy: 'parallel' },
    workflow: {
      id,
      instance_step_concurrency: concurrency,
      steps: [
        {
          foreach: {
            id: 'loop',
            concurrency,
            // Util.intsBetween is end-exclusive: 0 .. iterations-1
            params: { loop_params: { value: { i: { expression: `Util.intsBetween(0, ${iterations}, 1)`, type: 'LONG_ARRAY' } }, type: 'MAP' } },
            steps: [{ step: { id: 'body', type: 'NoOp' } }],
          },
        },
      ],
    },
  });
}

/** Workflow `${prefix}${level}` runs `${prefix}${level + 1}` as a subworkflow; the last one is a NoOp. */
export function chainLevelDef(prefix: string, level: number, levels: number): string {
  const step =
    level + 1 < levels
      ? { subworkflow: { id: 'sub', params: { subworkflow_id: { value: `${prefix}${level + 1}`, type: 'STRING' } } } }
      : { step: { id: 'leaf', type: 'NoOp' } };
  return JSON.stringify({ properties: { owner: 'bench', run_strategy: 'parallel' }, workflow: { id: `${prefix}${level}`, steps: [step] } });
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

export async function runLoopsBench(o: LoopsBenchOptions): Promise<void> {
  const { api, label } = o;
  const tag = label.replace(/[^a-z0-9]/gi, '').toLowerCase();

  if (o.only !== 'chain') await foreachBench(o, tag);
  if (o.only !== 'foreach') await chainBench(o, tag);
}

async function foreachBench(o: LoopsBenchOptions, tag: string): Promise<void> {
  const { api, label } = o;
  // a foreach of many NoOp iterations
  const iterations = o.quick ? 2_000 : 25_000;
  const concurrency = 500;
  const feId = `bench-fe-${tag}`;
  await api.createWorkflow(foreachDef(feId, iterations, concurrency));
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = performance.now();
  try {
    const run = await api.startWorkflow({ workflowId: feId });
    const view = await waitFor(api, feId, run.instanceId, { stepId: 'loop', status: ['SUCCEEDED', 'FATALLY_FAILED', 'FAILED', 'STOPPED', 'TIMED_OUT'] }, { timeoutMs: 600_000 });
    const secs = (performance.now() - t0) / 1000;
    peak = Math.max(peak, process.memoryUsage().rss);
    const step = view.steps.find((s) => s.stepId === 'loop');
    if (step?.status !== 'SUCCEEDED') throw new Error(`${label}: foreach ended ${step?.status}: ${step?.attempts.at(-1)?.error ?? ''}`);
    const ov = step.overview;
    const ok = ov?.kind === 'foreach' ? (ov.stats.SUCCEEDED ?? 0) : -1;
    if (ok !== iterations) throw new Error(`${label}: foreach SUCCEEDED with ${ok} of ${iterations} iterations counted`);
    console.log(
      `${label}: foreach of ${iterations} NoOp iterations, concurrency ${concurrency} (instance_step_concurrency ${concurrency}): ${secs.toFixed(2)} s start -> foreach SUCCEEDED (${Math.round(iterations / secs)} iterations/s); RSS ${mb(rssBefore)} MB before, peak ${mb(peak)} MB (+${mb(peak - rssBefore)} MB)`,
    );
  } finally {
    clearInterval(sampler);
  }

}

async function chainBench(o: LoopsBenchOptions, tag: string): Promise<void> {
  const { api, label } = o;
  // a 10-level subworkflow chain
  const levels = 10;
  const prefix = `bench-sub-${tag}-L`;
  for (let l = levels - 1; l >= 0; l--) await api.createWorkflow(chainLevelDef(prefix, l, levels));
  const runs = o.quick ? 5 : 20;
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t1 = performance.now();
    const run = await api.startWorkflow({ workflowId: `${prefix}0` });
    const view = await waitFor(api, `${prefix}0`, run.instanceId, { status: 'terminal' }, { timeoutMs: 60_000 });
    if (view.status !== 'SUCCEEDED') throw new Error(`${label}: subworkflow chain ended ${view.status}: ${view.error ?? ''}`);
    times.push(performance.now() - t1);
    if (r === 0) {
      const leaves = view.rollup.counts.SUCCEEDED ?? 0;
      if (leaves !== 1) throw new Error(`${label}: subworkflow chain root rolls up ${leaves} SUCCEEDED leaves, expected 1`);
    }
  }
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!.toFixed(1);
  console.log(`${label}: ${levels}-level subworkflow chain (L0 -> ... -> L9, a NoOp; ${runs} runs): start -> root SUCCEEDED p50 ${pct(50)} ms, max ${times[times.length - 1]!.toFixed(1)} ms`);
}
