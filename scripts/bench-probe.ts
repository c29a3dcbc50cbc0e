/** Shared pieces of the benchmarks: a timing NoOp runtime, histograms, a chain definition. */
import * as hdr from 'hdr-histogram-js';
import type { StepRuntime, StepTask } from '../src/executor/runtime.js';

/** A NoOp that records when each attempt started and when its result left. */
export class Probe implements StepRuntime {
  readonly type = 'Probe';
  started = new Map<string, number>();
  finished = new Map<string, number>();
  count = 0;
  async run(task: StepTask) {
    const now = performance.now();
    this.started.set(task.attemptId, now);
    this.count++;
    this.finished.set(task.attemptId, performance.now());
    return { status: 'SUCCEEDED' as const };
  }
}

export function histogram() {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}
export const us = (v: number) => (v / 1000).toFixed(3);

/** A chain of `n` steps of `type` (Probe: dispatched through an executor; NoOp: run inline by the owner). */
export function chainDef(id: string, n: number, type = 'Probe'): string {
  const steps = Array.from({ length: n }, (_, i) => ({
    step: { id: `s${i}`, type, transition: { successors: i + 1 < n ? { [`s${i + 1}`]: 'true' } : {} } },
  }));
  // instance_step_concurrency: each instance's tree gets its own permit tag, so thousands of
  // instances are not held to Maestro's default of 20 running steps per workflow (step_concurrency).
  return JSON.stringify({ properties: { owner: 'bench', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 1000 } }, workflow: { id, instance_step_concurrency: 100, steps } });
}

