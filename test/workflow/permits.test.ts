/**
 * Step concurrency through tag permits on the embedded node (maestro-semantics §7): the
 * workflow-wide step_concurrency tag across instances, a per-step tag and a user tag limited
 * through the API, instance_step_concurrency over a nested tree, releases on every way out, and
 * the manager left with no holder once everything ended.
 */
import test from 'ava';
import { createEmbeddedNode } from '../../src/node/embedded.js';
import type { Engine } from '../../src/workflow/engine.js';
import type { StepResult, StepRuntime, StepTask } from '../../src/executor/runtime.js';
import { testRuntimes } from '../fixtures/test-runtimes.js';
import { waitFor, waitForEnd, waitForStep } from '../helpers/wait.js';
import type { Transport } from '../../src/transport/port.js';

/** A step type that runs until released, counting how many run at once (peak). */
class Gate {
  private readonly running = new Map<string, (r: StepResult) => void>();
  peak = 0;
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  readonly runtime: StepRuntime = {
    type: 'Gate',
    run: (task: StepTask, signal: AbortSignal) =>
      new Promise<StepResult>((resolve) => {
        const done = (r: StepResult) => {
          if (!this.running.delete(task.attemptId)) return;
          resolve(r);
        };
        this.running.set(task.attemptId, done);
        this.peak = Math.max(this.peak, this.running.size);
        signal.addEventListener('abort', () => done({ status: 'PLATFORM_FAILED', error: 'cancelled' }), { once: true });
        this.notify();
      }),
  };
  get size(): number {
    return this.running.size;
  }
  /** Resolves once at least `n` attempts run. */
  whenRunning(n: number): Promise<void> {
    if (this.running.size >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
  /** Ends the oldest running attempt. */
  releaseOne(result: StepResult = { status: 'SUCCEEDED' }): void {
    const first = this.running.values().next();
    if (first.done) throw new Error('nothing runs');
    first.value(result);
  }
  private notify(): void {
    this.waiters = this.waiters.filter((w) => (this.running.size >= w.n ? (w.resolve(), false) : true));
  }
}

async function rig(t: import('ava').ExecutionContext, opts: Record<string, unknown> = {}) {
  const gate = new Gate();
  const { holds, runtimes } = testRuntimes();
  const node = await createEmbeddedNode({ extraRuntimes: [...runtimes, gate.runtime], partitions: 4, logLevel: 'warn', permitReconcileMs: 500, ...opts });
  t.teardown(() => node.close());
  return { node, api: node.api as unknown as Engine, gate, holds };
}

const wf = (id: string, steps: unknown[], props: Record<string, unknown> = {}, workflow: Record<string, unknown> = {}) =>
  JSON.stringify({ properties: { owner: 'tester', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 100 }, ...props }, workflow: { id, steps, ...workflow } });
const gateStep = (id: string, extra: Record<string, unknown> = {}) => ({ step: { id, type: 'Gate', ...extra } });

/** Releases gated steps one at a time until `n` instances ended; the peak never passes `limit`. */
async function drain(api: Engine, gate: Gate, wfId: string, n: number): Promise<void> {
  for (let id = 1; id <= n; id++) {
    for (;;) {
      const v = await api.getInstance(wfId, id);
      if (v.status !== 'IN_PROGRESS' && v.status !== 'CREATED') break;
      await gate.whenRunning(1);
      gate.releaseOne();
      await new Promise((r) => setImmediate(r));
    }
  }
}

async function noHolders(api: Engine): Promise<void> {
  // releases are sent after the ends are journaled: wait for the manager to have folded them
  for (let i = 0; i < 200; i++) {
    const tags = await api.listTagPermits();
    if (tags.every((x) => x.holders === 0 && x.waiting === 0)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`permits still held: ${JSON.stringify(await api.listTagPermits())}`);
}

test('step_concurrency 3 across 10 instances: at most 3 steps run at once, workflow-wide', async (t) => {
  const { api, gate } = await rig(t);
  await api.createWorkflow(wf('sc', [gateStep('job')], { step_concurrency: 3 }));
  for (let i = 0; i < 10; i++) await api.startWorkflow({ workflowId: 'sc' });
  await gate.whenRunning(3);
  t.like(await api.getTagPermit('maestro_sc'), { holders: 3, waiting: 7 });
  const waiting = await api.getInstance('sc', 10);
  t.is(waiting.steps.find((s) => s.stepId === 'job')?.status, 'WAITING_FOR_PERMITS');
  await drain(api, gate, 'sc', 10);
  for (let id = 1; id <= 10; id++) t.is((await waitForEnd(api, 'sc', id)).status, 'SUCCEEDED');
  t.is(gate.peak, 3);
  await noHolders(api);
});

test('a per-step tag and a user tag limited through the API', async (t) => {
  const { api, gate } = await rig(t);
  t.like(await api.setTagPermit('maestro_ps:job', 2), { tag: 'maestro_ps:job', maxAllowed: 2 });
  await api.createWorkflow(wf('ps', [gateStep('job')]));
  for (let i = 0; i < 5; i++) await api.startWorkflow({ workflowId: 'ps' });
  await gate.whenRunning(2);
  t.like(await api.getTagPermit('maestro_ps:job'), { maxAllowed: 2, holders: 2, waiting: 3 });
  t.like(await api.getTagPermit('maestro_ps'), { holders: 2 }, 'the workflow-wide tag (default 20) is held too');
  await drain(api, gate, 'ps', 5);
  t.is(gate.peak, 2);

  await api.setTagPermit('team-x', 1);
  await api.createWorkflow(wf('ut', [gateStep('a', { tags: ['team-x'] }), gateStep('b', { tags: ['team-x'] })]));
  await api.startWorkflow({ workflowId: 'ut' });
  await api.startWorkflow({ workflowId: 'ut' });
  gate.peak = 0;
  await gate.whenRunning(1);
  t.like(await api.getTagPermit('team-x'), { holders: 1, waiting: 3 });
  await drain(api, gate, 'ut', 2);
  t.is(gate.peak, 1);
  t.true((await api.listTagPermits()).some((x) => x.tag === 'team-x' && x.maxAllowed === 1));
  t.like(await api.deleteTagPermit('team-x'), { tag: 'team-x' });
  await t.throwsAsync(api.deleteTagPermit('team-x'), { message: /no limit/ });
  await t.throwsAsync(api.setTagPermit('x', -1), { message: /max_allowed/ });
  await noHolders(api);
});

test('a limit of 0 blocks until raised', async (t) => {
  const { api, gate } = await rig(t);
  await api.setTagPermit('maestro_zero', 0);
  await api.createWorkflow(wf('zero', [gateStep('job')]));
  await api.startWorkflow({ workflowId: 'zero' });
  await waitForStep(api, 'zero', 1, 'job', 'WAITING_FOR_PERMITS');
  t.like(await api.getTagPermit('maestro_zero'), { holders: 0, waiting: 1 });
  await api.setTagPermit('maestro_zero', 1);
  await gate.whenRunning(1);
  gate.releaseOne();
  t.is((await waitForEnd(api, 'zero', 1)).status, 'SUCCEEDED');
  await noHolders(api);
});

test('instance_step_concurrency 3 over a nested tree: at most 3 leaf steps run across parent and children', async (t) => {
  const { api, gate } = await rig(t);
  const leaves = [gateStep('l1'), gateStep('l2'), gateStep('l3')];
  await api.createWorkflow(wf('kid', leaves, {}, { instance_step_concurrency: 3 }));
  const sub = (id: string) => ({ subworkflow: { id, params: { subworkflow_id: { value: 'kid', type: 'STRING' } } } });
  await api.createWorkflow(wf('tree', [sub('s1'), sub('s2'), gateStep('p1'), gateStep('p2')], {}, { instance_step_concurrency: 3 }));
  await api.startWorkflow({ workflowId: 'tree' });
  await gate.whenRunning(3);
  const tags = await api.listTagPermits();
  t.like(tags.find((x) => x.tag === 'maestro_tree:1:1'), { holders: 3, waiting: 5 });
  for (let i = 0; i < 8; i++) {
    await gate.whenRunning(1);
    gate.releaseOne();
  }
  t.is((await waitForEnd(api, 'tree', 1)).status, 'SUCCEEDED');
  t.is(gate.peak, 3);
  await noHolders(api);
});

test('permits are released on stop, kill, step timeout, failure and a step skip', async (t) => {
  const { api, gate } = await rig(t);
  await api.createWorkflow(wf('rel', [gateStep('job')], { step_concurrency: 1 }));
  const noRetry = { retry_policy: { error_retry_limit: 0, platform_retry_limit: 0, timeout_retry_limit: 0 } };
  await api.createWorkflow(wf('rel-to', [gateStep('job', { timeout: 1, ...noRetry })]));
  await api.createWorkflow(wf('rel-fail', [{ step: { id: 'job', type: 'Fail', ...noRetry } }]));
  for (let i = 0; i < 4; i++) await api.startWorkflow({ workflowId: 'rel' });
  await gate.whenRunning(1);
  t.like(await api.getTagPermit('maestro_rel'), { holders: 1, waiting: 3 });
  // stop the running one: the next gets the permit; kill a waiting one: it stops waiting
  await api.stop('rel', 1);
  await waitForStep(api, 'rel', 2, 'job', 'RUNNING');
  await api.kill('rel', 3);
  t.like(await api.getTagPermit('maestro_rel'), { holders: 1, waiting: 1 });
  await api.stepAction('rel', 2, 'job', 'skip');
  await waitForStep(api, 'rel', 4, 'job', 'RUNNING');
  await api.stepAction('rel', 4, 'job', 'stop');
  for (const id of [1, 2, 3, 4]) await waitForEnd(api, 'rel', id);

  await api.startWorkflow({ workflowId: 'rel-to' });
  t.is((await waitForEnd(api, 'rel-to', 1)).status, 'FAILED');
  await api.startWorkflow({ workflowId: 'rel-fail' });
  t.is((await waitForEnd(api, 'rel-fail', 1)).status, 'FAILED');
  await noHolders(api);
});

test('a lost release is reconciled: the manager asks the instance and frees what it no longer holds', async (t) => {
  const { api, gate } = await rig(t);
  const transport = (api as unknown as { d: { transport: Transport } }).d.transport;
  await api.createWorkflow(wf('lost', [gateStep('job')], { step_concurrency: 1 }));
  await api.startWorkflow({ workflowId: 'lost' });
  await gate.whenRunning(1);
  // a holder whose release never arrives: acquired directly, for a step that never asked
  const reply = await transport.request('~permits/all', {
    type: 'Permits',
    acquire: [{ holder: 'lost/1/1/ghost/1', instanceKey: 'lost/1', stepId: 'ghost', attempt: 1, tags: [{ name: 'maestro_ghost', inlineLimit: 1 }] }],
  });
  t.truthy(reply);
  t.like(await api.getTagPermit('maestro_ghost'), { holders: 1 });
  await waitFor(api, 'lost', 1, { stepId: 'job', status: 'RUNNING' });
  gate.releaseOne();
  await waitForEnd(api, 'lost', 1);
  await noHolders(api);
});

test('instance_step_concurrency on a root that starts no children: the instance counts its own correlation tag (no manager round trip)', async (t) => {
  const { api, gate } = await rig(t);
  // five independent gated steps, at most 2 at once in this instance
  await api.createWorkflow(wf('local', [1, 2, 3, 4, 5].map((i) => gateStep(`j${i}`)), {}, { instance_step_concurrency: 2 }));
  const run = await api.startWorkflow({ workflowId: 'local' });
  await gate.whenRunning(2);
  const v = await api.getInstance('local', run.instanceId);
  t.is(v.steps.filter((s) => s.status === 'WAITING_FOR_PERMITS').length, 3);
  t.like(await api.getTagPermit(`maestro_local:${run.instanceId}:1`), { holders: 0, waiting: 0 }, 'the manager holds nothing for it');
  for (let i = 0; i < 5; i++) {
    await gate.whenRunning(1);
    gate.releaseOne();
    await new Promise((r) => setImmediate(r));
  }
  t.is((await waitForEnd(api, 'local', run.instanceId)).status, 'SUCCEEDED');
  t.is(gate.peak, 2);
});

test("Maestro's default permits on a SEQUENTIAL workflow: the one running instance counts its workflow tag itself (20 at once, no manager round trip)", async (t) => {
  const { api, gate } = await rig(t);
  const steps = Array.from({ length: 25 }, (_, i) => gateStep(`j${i}`));
  await api.createWorkflow(JSON.stringify({ properties: { owner: 'tester', run_strategy: 'sequential' }, workflow: { id: 'seqlocal', steps } }));
  const run = await api.startWorkflow({ workflowId: 'seqlocal' });
  await gate.whenRunning(20);
  const v = await api.getInstance('seqlocal', run.instanceId);
  t.is(v.steps.filter((s) => s.status === 'WAITING_FOR_PERMITS').length, 5, "Maestro's step_concurrency default: 20");
  t.like(await api.getTagPermit('maestro_seqlocal'), { holders: 0, waiting: 0 }, 'the manager holds nothing for it');
  for (let i = 0; i < 25; i++) {
    await gate.whenRunning(1);
    gate.releaseOne();
    await new Promise((r) => setImmediate(r));
  }
  t.is((await waitForEnd(api, 'seqlocal', run.instanceId)).status, 'SUCCEEDED');
  t.is(gate.peak, 20);
  await noHolders(api);
});

test('subworkflow children inherit the parent instance_step_concurrency: the whole tree runs at most that many leaf steps', async (t) => {
  const { api, gate } = await rig(t);
  // the child sets no instance_step_concurrency of its own: three parallel gated steps
  await api.createWorkflow(wf('leafy', [gateStep('x'), gateStep('y'), gateStep('z')]));
  const sub = (id: string) => ({ subworkflow: { id, params: { subworkflow_id: { value: 'leafy', type: 'STRING' } } } });
  await api.createWorkflow(wf('tree', [sub('a'), sub('b')], {}, { instance_step_concurrency: 2 }));
  const run = await api.startWorkflow({ workflowId: 'tree' });
  await gate.whenRunning(2);
  for (let i = 0; i < 6; i++) {
    await gate.whenRunning(1);
    t.true(gate.size <= 2, `${gate.size} leaf steps run at once`);
    gate.releaseOne();
    await new Promise((r) => setImmediate(r));
  }
  t.is((await waitForEnd(api, 'tree', run.instanceId)).status, 'SUCCEEDED');
  t.is(gate.peak, 2);
  const child = await api.getInstance('leafy', 1);
  t.is(child.correlationId, `tree:${run.instanceId}:1`);
});
