/**
 * Signal figures for `npm run bench` (section "signals", embedded and cluster):
 * - signal announced -> the triggered instance's first step running (a signal trigger), p50/p99;
 * - signal announced -> a step waiting in WAITING_FOR_SIGNALS running, p50/p99;
 * - N steps waiting on N distinct signals, unblocked by N signals: signals/s until every
 *   instance SUCCEEDED, and the process's RSS before and after.
 * `announce` is how a client announces (the engine API embedded; a plain NATS request on a cluster).
 */
import type { EngineApi } from '../src/workflow/engine-api.js';
import { Probe, histogram, us } from './bench-probe.js';

export interface SignalsBenchOptions {
  quick: boolean;
  label: string;
  api: EngineApi;
  probe: Probe;
  announce(name: string, params: Record<string, number | string>): Promise<void>;
}

/** Maestro's highest workflow_concurrency: 1000 running instances per workflow. */
const PER_WORKFLOW = 1_000;
const props = { owner: 'bench', run_strategy: { rule: 'PARALLEL', workflow_concurrency: PER_WORKFLOW } };

async function until(pred: () => boolean | Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`bench: ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setImmediate(r));
  }
}

async function succeeded(api: EngineApi, workflowId: string): Promise<number> {
  let n = 0;
  let token = '';
  for (;;) {
    const page = await api.listInstances({ workflowId, status: 'SUCCEEDED', pageSize: 1000, pageToken: token });
    n += page.instances.length;
    token = page.nextPageToken;
    if (!token) return n;
  }
}

export async function runSignalsBench(o: SignalsBenchOptions): Promise<void> {
  const { api, probe } = o;
  const stamp = Date.now().toString(36);

  // 1. announced -> triggered instance's first step running
  const trigWf = `bsig-trig-${stamp}`;
  const trigName = `bench/trig/${stamp}`;
  await api.createWorkflow(
    JSON.stringify({
      properties: props,
      workflow: { id: trigWf, instance_step_concurrency: 100, signal_triggers: [{ definitions: { [trigName]: {} } }], steps: [{ step: { id: 's0', type: 'Probe' } }] },
    }),
  );
  const trig = histogram();
  const runs = o.quick ? 50 : 200;
  for (let i = 1; i <= runs; i++) {
    const t0 = performance.now();
    await o.announce(trigName, { i });
    const id = `${trigWf}/${i}/1/s0/1`;
    await until(() => probe.started.has(id), `triggered instance ${i} running`);
    trig.recordValue(Math.max(1, Math.round((probe.started.get(id)! - t0) * 1000)));
  }
  console.log(`${o.label}: signal announced -> triggered instance's first step running (${runs} signals): p50 ${us(trig.getValueAtPercentile(50))} ms, p99 ${us(trig.getValueAtPercentile(99))} ms`);

  // 2. announced -> a waiting step running
  const waitWf = `bsig-wait-${stamp}`;
  const waitDef = (id: string, type: string) =>
    JSON.stringify({
      properties: props,
      workflow: {
        id,
        instance_step_concurrency: 100,
        params: { tok: { value: 0, type: 'LONG' } },
        steps: [{ step: { id: 's0', type, signal_dependencies: [{ name: `bench/wait/${stamp}`, match_params: { tok: { param: { expression: 'tok', type: 'LONG' }, operator: '=' } } }] } }],
      },
    });
  await api.createWorkflow(waitDef(waitWf, 'Probe'));
  const wait = histogram();
  for (let i = 1; i <= runs; i++) {
    const run = await api.startWorkflow({ workflowId: waitWf, params: { tok: i } });
    await until(async () => (await api.getInstance(waitWf, run.instanceId)).steps[0]?.status === 'WAITING_FOR_SIGNALS', `instance ${run.instanceId} waiting`);
    await new Promise((r) => setTimeout(r, 2)); // its wait registers at the store after the status is journaled
    const t0 = performance.now();
    await o.announce(`bench/wait/${stamp}`, { tok: i });
    const id = `${waitWf}/${run.instanceId}/1/s0/1`;
    await until(() => probe.started.has(id), `waiting step of ${run.instanceId} running`);
    wait.recordValue(Math.max(1, Math.round((probe.started.get(id)! - t0) * 1000)));
  }
  console.log(`${o.label}: signal announced -> waiting step running (${runs} steps): p50 ${us(wait.getValueAtPercentile(50))} ms, p99 ${us(wait.getValueAtPercentile(99))} ms`);

  // 3. N steps waiting on N distinct signals, unblocked by N signals (spread over workflows of
  // 1,000 instances each: Maestro's workflow_concurrency limit would queue the rest, not let them wait)
  const n = o.quick ? 2_000 : 10_000;
  const many = Array.from({ length: Math.ceil(n / PER_WORKFLOW) }, (_, w) => `bsig-many-${stamp}-${w}`);
  for (const wf of many) await api.createWorkflow(waitDef(wf, 'NoOp'));
  for (let i = 0; i < n; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, n - i) }, (_, k) => api.startWorkflow({ workflowId: many[Math.floor((i + k) / PER_WORKFLOW)]!, params: { tok: i + k + 1 } })));
  }
  await new Promise((r) => setTimeout(r, 1_000)); // every wait registered
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  for (let i = 0; i < n; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, n - i) }, (_, k) => o.announce(`bench/wait/${stamp}`, { tok: i + k + 1 })));
  }
  const announced = performance.now() - t0;
  await until(async () => (await Promise.all(many.map((wf) => succeeded(api, wf)))).reduce((a, b) => a + b, 0) >= n, `${n} unblocked instances SUCCEEDED`, 600_000);
  const secs = (performance.now() - t0) / 1000;
  const rssAfter = process.memoryUsage().rss;
  console.log(
    `${o.label}: ${n} steps waiting on ${n} distinct signals, unblocked by ${n} signals: ${secs.toFixed(2)} s -> ${Math.round(n / secs)} signals/s ` +
      `(announcing took ${(announced / 1000).toFixed(2)} s); RSS ${(rssBefore / 2 ** 20).toFixed(0)} MB with them waiting, ${(rssAfter / 2 ** 20).toFixed(0)} MB after`,
  );
}
