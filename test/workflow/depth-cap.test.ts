/**
 * The per-depth cap on child instances on the embedded node (node config `childInstanceCap`,
 * core/instance/depth-cap.ts): each depth level of a root tree runs at most its
 * instance_step_concurrency child instances at once, depths counted separately; off: no cap; a
 * stopped parent leaves no permit behind; a depth holder nobody holds any more is reconciled.
 *
 * Concurrency is counted from the instance views once everything ended: each child's run began
 * (startedAtMs, set when its permit was granted) and ended (endedAtMs); the most runs of one
 * depth open at once is the peak. A new run only begins after an earlier one's end freed its
 * permit, so with the cap an end and the next start may share a millisecond, never overlap.
 */
import test from 'ava';
import { createEmbeddedNode } from '../../src/node/embedded.js';
import type { Engine } from '../../src/workflow/engine.js';
import type { InstanceView } from '../../src/core/instance/view.js';
import type { StepResult, StepRuntime, StepTask } from '../../src/executor/runtime.js';
import type { Transport } from '../../src/transport/port.js';
import { waitFor, waitForEnd } from '../helpers/wait.js';

/** A step type that runs until released. */
class Gate {
  private readonly running = new Map<string, (r: StepResult) => void>();
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  readonly runtime: StepRuntime = {
    type: 'Gate',
    run: (task: StepTask, signal: AbortSignal) =>
      new Promise<StepResult>((resolve) => {
        const done = (r: StepResult) => {
          if (this.running.delete(task.attemptId)) resolve(r);
        };
        this.running.set(task.attemptId, done);
        signal.addEventListener('abort', () => done({ status: 'PLATFORM_FAILED', error: 'cancelled' }), { once: true });
        this.waiters = this.waiters.filter((w) => (this.running.size >= w.n ? (w.resolve(), false) : true));
      }),
  };
  whenRunning(n: number): Promise<void> {
    if (this.running.size >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
  releaseOne(): void {
    const first = this.running.values().next();
    if (first.done) throw new Error('nothing runs');
    first.value({ status: 'SUCCEEDED' });
  }
}

async function rig(t: import('ava').ExecutionContext, childInstanceCap: boolean) {
  const gate = new Gate();
  const node = await createEmbeddedNode({ extraRuntimes: [gate.runtime], partitions: 4, logLevel: 'warn', permitReconcileMs: 300, childInstanceCap });
  t.teardown(() => node.close());
  return { api: node.api as unknown as Engine, gate, transport: (node.api as unknown as { d: { transport: Transport } }).d.transport };
}

const wf = (id: string, steps: unknown[], isc: number) =>
  JSON.stringify({ properties: { owner: 'tester', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 100 } }, workflow: { id, steps, instance_step_concurrency: isc } });
const gateStep = (id: string) => ({ step: { id, type: 'Gate' } });
const foreach = (id: string, n: number, steps: unknown[], param = 'i') => ({
  foreach: { id, params: { loop_params: { value: { [param]: { value: Array.from({ length: n }, (_, k) => k), type: 'LONG_ARRAY' } }, type: 'MAP' } }, steps },
});

/** Releases `leaves` gated steps one at a time, as they start. */
async function releaseAll(gate: Gate, leaves: number): Promise<void> {
  for (let i = 0; i < leaves; i++) {
    await gate.whenRunning(1);
    gate.releaseOne();
    await new Promise((r) => setImmediate(r));
  }
}

/** Every child instance launched under `view` (foreach iterations, subworkflow children, recursively). */
async function children(api: Engine, view: InstanceView): Promise<InstanceView[]> {
  const out: InstanceView[] = [];
  for (const st of view.steps) {
    const o = st.overview;
    if (o?.kind === 'subworkflow' && o.instanceId !== undefined) {
      const v = await api.getInstance(o.workflowId, o.instanceId);
      out.push(v, ...(await children(api, v)));
    }
    if (o?.kind !== 'foreach') continue;
    for (let i = 1; i <= o.launched; i++) {
      const v = await api.getInstance(o.inlineWorkflowId, i);
      out.push(v, ...(await children(api, v)));
    }
  }
  return out;
}

/** The most runs of each depth open at once (ends before starts at the same ms). */
function peaks(views: InstanceView[]): Record<number, number> {
  const byDepth = new Map<number, Array<[number, number]>>();
  for (const v of views) {
    if (v.startedAtMs === undefined || v.endedAtMs === undefined) throw new Error(`${v.workflowId}/${v.instanceId} has no start or end (${v.status})`);
    const list = byDepth.get(v.depth) ?? [];
    list.push([v.startedAtMs, 1], [v.endedAtMs, -1]);
    byDepth.set(v.depth, list);
  }
  const out: Record<number, number> = {};
  for (const [depth, list] of byDepth) {
    list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let open = 0;
    let peak = 0;
    for (const [, d] of list) peak = Math.max(peak, (open += d));
    out[depth] = peak;
  }
  return out;
}

async function noHolders(api: Engine, tag: string): Promise<void> {
  // releases are sent after the ends are journaled: wait for the manager to have folded them
  for (let i = 0; i < 400; i++) {
    const p = await api.getTagPermit(tag);
    if (p.holders === 0 && p.waiting === 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`permits still held: ${JSON.stringify(await api.getTagPermit(tag))}`);
}

test('three foreach steps of 10 iterations, instance_step_concurrency 5: at most 5 iterations run at once, all finish', async (t) => {
  const { api, gate } = await rig(t, true);
  await api.createWorkflow(wf('fan', [foreach('f1', 10, [gateStep('g1')]), foreach('f2', 10, [gateStep('g2')]), foreach('f3', 10, [gateStep('g3')])], 5));
  const run = await api.startWorkflow({ workflowId: 'fan' });
  const tag = `maestro_fan:${run.instanceId}:1:depth1`;
  await gate.whenRunning(5);
  // each foreach launched 5 (its own window): 15 children, 5 of them run, 10 wait CREATED
  t.like(await api.getTagPermit(tag), { holders: 5, waiting: 10 });
  const root = await api.getInstance('fan', run.instanceId);
  const now = await children(api, root);
  t.is(now.filter((v) => v.status === 'IN_PROGRESS').length, 5);
  t.is(now.filter((v) => v.status === 'CREATED').length, 10);
  await releaseAll(gate, 30);
  t.is((await waitForEnd(api, 'fan', run.instanceId)).status, 'SUCCEEDED');
  const all = await children(api, await api.getInstance('fan', run.instanceId));
  t.is(all.length, 30);
  t.true(all.every((v) => v.status === 'SUCCEEDED'));
  t.deepEqual(peaks(all), { 1: 5 });
  await noHolders(api, tag);
});

test('nested foreach: each depth is counted on its own tag', async (t) => {
  const { api, gate } = await rig(t, true);
  const inner = (n: number) => foreach(`inner${n}`, 3, [gateStep(`g${n}`)], 'j');
  await api.createWorkflow(wf('nest', [foreach('o1', 3, [inner(1)]), foreach('o2', 3, [inner(2)])], 3));
  const run = await api.startWorkflow({ workflowId: 'nest' });
  await gate.whenRunning(3);
  const d1 = await api.getTagPermit(`maestro_nest:${run.instanceId}:1:depth1`);
  const d2 = await api.getTagPermit(`maestro_nest:${run.instanceId}:1:depth2`);
  t.like(d1, { holders: 3, waiting: 3 }, 'two loops of 3 at depth 1: 3 run');
  t.is(d2.holders, 3);
  await releaseAll(gate, 18);
  t.is((await waitForEnd(api, 'nest', run.instanceId)).status, 'SUCCEEDED');
  const all = await children(api, await api.getInstance('nest', run.instanceId));
  t.is(all.length, 6 + 18);
  t.deepEqual(peaks(all), { 1: 3, 2: 3 });
  await noHolders(api, `maestro_nest:${run.instanceId}:1:depth1`);
  await noHolders(api, `maestro_nest:${run.instanceId}:1:depth2`);
});

test('subworkflow children wait for the depth permit too (through their queue), with the inherited limit', async (t) => {
  const { api, gate } = await rig(t, true);
  await api.createWorkflow(JSON.stringify({ properties: { owner: 'tester', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 100 } }, workflow: { id: 'kid', steps: [gateStep('k')] } }));
  const sub = (id: string) => ({ subworkflow: { id, params: { subworkflow_id: { value: 'kid', type: 'STRING' } } } });
  await api.createWorkflow(wf('subs', [sub('s1'), sub('s2'), sub('s3'), sub('s4')], 2));
  const run = await api.startWorkflow({ workflowId: 'subs' });
  await gate.whenRunning(2);
  t.like(await api.getTagPermit(`maestro_subs:${run.instanceId}:1:depth1`), { holders: 2, waiting: 2 });
  await releaseAll(gate, 4);
  t.is((await waitForEnd(api, 'subs', run.instanceId)).status, 'SUCCEEDED');
  const all = await children(api, await api.getInstance('subs', run.instanceId));
  t.is(all.length, 4);
  t.deepEqual(peaks(all), { 1: 2 });
  await noHolders(api, `maestro_subs:${run.instanceId}:1:depth1`);
});

test('while loops: their iterations wait for the depth permit too', async (t) => {
  const { api, gate } = await rig(t, true);
  const loop = (id: string, stepId: string) => ({
    while: {
      id,
      condition: 'i < 3',
      params: { loop_params: { value: { i: { value: 0, type: 'LONG' } }, type: 'MAP' } },
      steps: [{ step: { id: stepId, type: 'Gate', params: { i: { expression: 'i + 1', type: 'LONG' } } } }],
    },
  });
  await api.createWorkflow(wf('loops', [loop('w1', 'g1'), loop('w2', 'g2'), loop('w3', 'g3')], 1));
  const run = await api.startWorkflow({ workflowId: 'loops' });
  await gate.whenRunning(1);
  t.like(await api.getTagPermit(`maestro_loops:${run.instanceId}:1:depth1`), { holders: 1, waiting: 2 });
  await releaseAll(gate, 9);
  const root = await waitForEnd(api, 'loops', run.instanceId);
  t.is(root.status, 'SUCCEEDED');
  const kids: InstanceView[] = [];
  for (const st of root.steps) {
    const o = st.overview;
    if (o?.kind !== 'while') throw new Error(`${st.stepId} is not a while`);
    t.is(o.iterations, 3);
    for (let i = 1; i <= o.iterations; i++) kids.push(await api.getInstance(o.inlineWorkflowId, i));
  }
  t.deepEqual(peaks(kids), { 1: 1 });
  await noHolders(api, `maestro_loops:${run.instanceId}:1:depth1`);
});

test('flag off: no cap (every launched iteration runs), no depth tag', async (t) => {
  const { api, gate } = await rig(t, false);
  await api.createWorkflow(wf('free', [foreach('f1', 5, [gateStep('g1')]), foreach('f2', 5, [gateStep('g2')])], 5));
  const run = await api.startWorkflow({ workflowId: 'free' });
  await gate.whenRunning(5);
  const root = await api.getInstance('free', run.instanceId);
  for (const st of root.steps) {
    const o = st.overview!;
    if (o.kind !== 'foreach') throw new Error('not a foreach');
    for (let i = 1; i <= 5; i++) await waitFor(api, o.inlineWorkflowId, i, { status: 'IN_PROGRESS' });
  }
  t.like(await api.getTagPermit(`maestro_free:${run.instanceId}:1:depth1`), { holders: 0, waiting: 0 });
  await releaseAll(gate, 10);
  t.is((await waitForEnd(api, 'free', run.instanceId)).status, 'SUCCEEDED');
  t.deepEqual(peaks(await children(api, await api.getInstance('free', run.instanceId))), { 1: 10 });
});

test('a stopped parent frees its children’s permits (held and waiting); a depth holder nobody holds is reconciled', async (t) => {
  const { api, gate, transport } = await rig(t, true);
  await api.createWorkflow(wf('halt', [foreach('f1', 4, [gateStep('g1')]), foreach('f2', 4, [gateStep('g2')])], 2));
  const run = await api.startWorkflow({ workflowId: 'halt' });
  const tag = `maestro_halt:${run.instanceId}:1:depth1`;
  await gate.whenRunning(2);
  t.like(await api.getTagPermit(tag), { holders: 2, waiting: 2 });
  await api.stop('halt', run.instanceId);
  t.is((await waitForEnd(api, 'halt', run.instanceId)).status, 'STOPPED');
  await noHolders(api, tag);
  const kids = await children(api, await api.getInstance('halt', run.instanceId));
  t.is(kids.length, 4, 'each loop launched its window of 2');
  t.true(kids.every((v) => v.status === 'STOPPED'), 'the 4 launched iterations (2 running, 2 waiting) stopped');

  // a lost release: the stopped child's holder is acquired again behind its back; the manager
  // asks the child, which says it holds nothing, and frees it
  const ghost = kids.find((v) => v.status === 'STOPPED')!;
  const key = `${ghost.workflowId}/${ghost.instanceId}`;
  await transport.request('~permits/all', {
    type: 'Permits',
    acquire: [{ holder: `${key}/${ghost.runId}/~depth`, instanceKey: key, stepId: '~depth', attempt: ghost.runId, tags: [{ name: tag, inlineLimit: 2 }] }],
  });
  t.is((await api.getTagPermit(tag)).holders, 1);
  await noHolders(api, tag);
});

test('childInstanceCap without tagPermits is refused at startup, naming the setting', async (t) => {
  const err = await t.throwsAsync(createEmbeddedNode({ partitions: 1, logLevel: 'warn', childInstanceCap: true, tagPermits: false }));
  t.regex(err!.message, /childInstanceCap: needs tagPermits/);
});
