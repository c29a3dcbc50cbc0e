/**
 * Maestro's own samples, run end to end on the embedded engine. Sleep is time-compressed
 * (1 s -> 5 ms) so the 15-100 s sleeps of the samples run in a test; everything else is the
 * real engine. Samples that need what later work brings (signals, foreach, while,
 * subworkflow) are checked for the state they reach here.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEmbeddedNode, type EmbeddedNode } from '../../src/node/embedded.js';
import type { StepRuntime } from '../../src/executor/runtime.js';
import type { InstanceView } from '../../src/core/instance/view.js';
import { waitForEnd, waitForStep } from '../helpers/wait.js';
import { CONFORMANCE_DIR, conformanceMissing, testIf } from '../helpers/skip.js';

const DIR = join(CONFORMANCE_DIR, 'samples');
const t_ = testIf(conformanceMissing('samples'));

const fastSleep: StepRuntime = {
  type: 'Sleep',
  async run(task) {
    const ms = Number(task.params['sleep_seconds'] ?? 3) * 5;
    await new Promise((r) => setTimeout(r, Math.max(0, task.startedAtMs + ms - Date.now())));
    return { status: 'SUCCEEDED' };
  },
};

/** Runs a sample to its end, or until `waitingStep` waits for its signals. */
async function runSample(node: EmbeddedNode, file: string, waitingStep?: string): Promise<InstanceView> {
  const wf = await node.api.createWorkflow(readFileSync(join(DIR, file), 'utf8'));
  const run = await node.api.startWorkflow({ workflowId: wf.workflowId });
  return waitingStep === undefined
    ? waitForEnd(node.api, wf.workflowId, run.instanceId, 15_000)
    : waitForStep(node.api, wf.workflowId, run.instanceId, waitingStep, 'WAITING_FOR_SIGNALS', { timeoutMs: 15_000 });
}

const step = (v: InstanceView, id: string) => v.steps.find((s) => s.stepId === id)!;

let node: EmbeddedNode;
test.before(async () => {
  node = await createEmbeddedNode({ extraRuntimes: [fastSleep] });
});
test.after.always(() => node?.close());

t_(`sample-conditional-wf takes the param2 >= 0 branch`, async (t) => {
  const v = await runSample(node, 'sample-conditional-wf.json');
  t.is(v.status, 'SUCCEEDED');
  t.is(step(v, 'job.4').status, 'UNSATISFIED');
  t.is(step(v, 'job.5').status, 'UNSATISFIED');
  t.is(step(v, 'job.6').status, 'SUCCEEDED');
  t.is(step(v, 'job.7').params['param5'], 15);
});

t_(`sample-dag-test-1 computes foo = "September" and succeeds`, async (t) => {
  const v = await runSample(node, 'sample-dag-test-1.json');
  t.is(v.status, 'SUCCEEDED');
  t.is(v.params['foo'], 'September');
  t.true(v.steps.every((s) => s.status === 'SUCCEEDED'));
});

t_(`sample-dag-test-3 runs its sleeps with forward and cross-step param references`, async (t) => {
  const v = await runSample(node, 'sample-dag-test-3.json');
  t.is(v.status, 'SUCCEEDED');
  const j2 = step(v, 'job.2');
  t.is(j2.params['sleep_seconds'], 16);
  t.is(j2.params['param1'], '161');
  t.is(j2.params['param2'], '15 + 1');
  t.is(typeof j2.params['vtts_ts'], 'number');
  t.is(v.params['foo'], 'bar1');
});

t_(`sample-dag-test-2 and -4 run to SUCCEEDED`, async (t) => {
  const two = await runSample(node, 'sample-dag-test-2.json');
  t.is(two.status, 'SUCCEEDED');
  t.regex(String(two.params['param1']), /^[0-9a-f-]{36}$/);
  const four = await runSample(node, 'sample-dag-test-4.json');
  t.is(four.status, 'SUCCEEDED');
  t.is(four.steps.length, 7);
});

t_(`sample-time-trigger-wf runs its DAG when started by hand`, async (t) => {
  const v = await runSample(node, 'sample-time-trigger-wf.json');
  t.is(v.status, 'SUCCEEDED');
});

t_(`sample-kubernetes-output-wf fails with a clear "no runtime for step type" error`, async (t) => {
  const v = await runSample(node, 'sample-kubernetes-output-wf.json');
  t.is(v.status, 'FAILED');
  t.is(step(v, 'start').status, 'SUCCEEDED');
  t.is(step(v, 'job1').status, 'FATALLY_FAILED');
  t.regex(step(v, 'job1').attempts[0]!.error!, /no runtime for step type kubernetes/);
});

t_(`steps with signal dependencies wait for their signals (sample-dag-test-5, sample-signal-trigger-wf)`, async (t) => {
  const five = await runSample(node, 'sample-dag-test-5.json', 'job.1');
  t.is(five.status, 'IN_PROGRESS');
  t.is(step(five, 'job.1').status, 'WAITING_FOR_SIGNALS');
  t.is(five.params['WF_RESTART_MODE'], 'run');
  const sig = await runSample(node, 'sample-signal-trigger-wf.json', 'job.1');
  t.is(step(sig, 'job.1').status, 'WAITING_FOR_SIGNALS');
});

t_(`every sample is accepted with all its expressions compiled`, async (t) => {
  const { readdirSync } = await import('node:fs');
  const { listExpressions, parseWorkflowRequest } = await import('../../src/core/definition/index.js');
  let compiled = 0;
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.json'))) {
    const text = readFileSync(join(DIR, file), 'utf8');
    await node.api.validateWorkflow(text);
    compiled += listExpressions(parseWorkflowRequest(text)).length;
  }
  t.true(compiled >= 40, `compiled ${compiled} expressions`);
});
