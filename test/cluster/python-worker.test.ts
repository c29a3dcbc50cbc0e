/**
 * The Python SDK end to end on a real 3-node cluster: a Python worker process
 * (test/fixtures/python/e2e_worker.py, maestro.Worker) serves a step type over
 * WorkerService.Connect, and a Python client process (e2e_client.py, maestro.Client) pushes a
 * workflow of that type, starts it and waits for its end. Cases: the plain run (the worker's
 * outputs are on the instance; a LONG param reaches the handler as a Python int); the worker
 * killed -9 mid-step (a second worker finishes the step); the node the worker is connected to
 * killed -9 (the worker reconnects to another node and the run finishes). Every wait is on a
 * line a process printed; processes are stopped by pid.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { ClusterHarness, clusterTest } from './harness.js';
import { PY_FIXTURES, PyProcess, pythonMissing } from '../helpers/python.js';
import test from 'ava';

const TYPE = 'py_e2e';

type Line = Record<string, unknown>;
interface FinalStep {
  status: string;
  attempts: Array<{ status: string; error: string }>;
  outputs: Record<string, unknown>;
  output_types: Record<string, string>;
}

function definition(id: string, holdStep?: string): string {
  const ids = ['a', 'b', 'c'];
  return JSON.stringify({
    properties: { owner: 'py-e2e', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 10 } },
    workflow: {
      id,
      params: { n: { value: 1, type: 'LONG' } },
      steps: ids.map((s, i) => ({
        step: {
          id: s,
          type: TYPE,
          params: {
            n: { value: 10 * (i + 1) + 1, type: 'LONG' },
            ...(s === holdStep ? { hold: { value: true, type: 'BOOLEAN' } } : {}),
          },
          transition: { successors: i + 1 < ids.length ? { [ids[i + 1]!]: 'true' } : {} },
        },
      })),
    },
  });
}

/** Cluster tests that also need Python's grpc: skipped, saying why, without it. */
function pyClusterTest(title: string, fn: (t: ExecutionContext) => Promise<void>): void {
  const missing = pythonMissing();
  if (missing) test.skip(`${title} — skipped: ${missing}`, () => {});
  else clusterTest(title, fn);
}

async function setup(t: ExecutionContext) {
  t.timeout(180_000);
  const h = await ClusterHarness.start({ nodes: 3 });
  const procs: PyProcess[] = [];
  t.teardown(async () => {
    for (const p of procs) await p.kill9();
    await h.stop();
  });
  const addresses = h.nodes.map((n) => n.grpcAddress).join(',');
  const holdFile = join(h.dir, 'release');
  const worker = (name: string, addrs = addresses): PyProcess => {
    const p = PyProcess.spawn([join(PY_FIXTURES, 'e2e_worker.py'), addrs, TYPE, name, holdFile]);
    procs.push(p);
    return p;
  };
  const client = (wf: string, holdStep?: string): PyProcess => {
    const file = join(h.dir, `${wf}.json`);
    writeFileSync(file, definition(wf, holdStep));
    const p = PyProcess.spawn([join(PY_FIXTURES, 'e2e_client.py'), addresses, file, JSON.stringify({ n: 4 })]);
    procs.push(p);
    return p;
  };
  const final = async (c: PyProcess): Promise<{ status: string; steps: Record<string, FinalStep> }> => {
    try {
      return (await c.next('the final instance', (l) => l['event'] === 'final', { timeoutMs: 120_000 })) as never;
    } catch (err) {
      for (const line of h.nodeLogs().slice(-30)) t.log(line.slice(0, 500));
      throw err;
    }
  };
  return { h, worker, client, final, holdFile };
}

const connected = (l: Line) => l['event'] === 'connected';
const started = (step: string) => (l: Line) => l['event'] === 'started' && l['step_id'] === step;

pyClusterTest('python: a Python client runs a workflow whose steps a Python worker serves; outputs and LONGs keep their types', async (t) => {
  const { worker, client, final } = await setup(t);
  const w = worker('w1');
  await w.next('the worker connected', connected);
  const c = client('py-plain');
  const end = await final(c);
  t.is(end.status, 'SUCCEEDED', JSON.stringify(end));
  for (const [id, n] of [['a', 11], ['b', 21], ['c', 31]] as const) {
    const s = end.steps[id]!;
    t.is(s.status, 'SUCCEEDED');
    t.is(s.outputs['rows'], n * 2, `${id}: the worker's output`);
    t.is(s.outputs['worker'], 'w1');
    t.is(s.outputs['n_type'], 'int', `${id}: a LONG param reached the handler as a Python int`);
    t.deepEqual(s.outputs['tags'], ['a', 'b']);
    t.is(s.outputs['ratio'], 0.25);
  }
  t.is(end.steps['a']!.output_types['rows'], 'int', 'an int output comes back a Python int');
  t.is(end.steps['a']!.output_types['ratio'], 'float');
  t.is(w.lines.filter((l) => l['event'] === 'finished').length, 3, 'each step ran once');
});

pyClusterTest('python: kill -9 the worker mid-step: a second worker finishes the step', async (t) => {
  const { worker, client, final, holdFile } = await setup(t);
  const w1 = worker('w1');
  await w1.next('w1 connected', connected);
  const c = client('py-worker-dies', 'b');
  const held = await w1.next('w1 running step b', started('b'), { timeoutMs: 60_000 });
  await w1.kill9();
  writeFileSync(holdFile, 'go');
  const w2 = worker('w2');
  await w2.next('w2 connected', connected);
  const rerun = await w2.next('w2 running step b', started('b'), { timeoutMs: 30_000 });
  t.is(rerun['step_id'], 'b');
  t.log(`w1 had ${String(held['attempt_id'])}; w2 got ${String(rerun['attempt_id'])}`);
  const end = await final(c);
  t.is(end.status, 'SUCCEEDED', JSON.stringify(end));
  t.is(end.steps['a']!.outputs['worker'], 'w1');
  t.is(end.steps['b']!.outputs['worker'], 'w2', 'the second worker finished the step');
  t.is(end.steps['b']!.outputs['rows'], 42);
  t.is(end.steps['c']!.outputs['worker'], 'w2');
  t.is(end.steps['b']!.attempts.at(-1)!.status, 'SUCCEEDED');
});

pyClusterTest('python: kill -9 the node the worker is connected to: it reconnects to another node and the run finishes', async (t) => {
  const { h, worker, client, final, holdFile } = await setup(t);
  const w = worker('w1');
  const first = await w.next('the worker connected', connected);
  const c = client('py-node-dies', 'b');
  await w.next('step b running', started('b'), { timeoutMs: 60_000 });
  const victim = h.nodes.find((n) => n.grpcAddress === first['address']);
  t.truthy(victim, `the worker's node (${String(first['address'])}) is a cluster node`);
  await h.kill9(victim!);
  const second = await w.next('the worker reconnected', connected, { n: 2, timeoutMs: 30_000 });
  t.not(second['address'], first['address'], 'reconnected to another node');
  writeFileSync(holdFile, 'go');
  const end = await final(c);
  t.is(end.status, 'SUCCEEDED', JSON.stringify(end));
  for (const id of ['a', 'b', 'c']) {
    t.is(end.steps[id]!.status, 'SUCCEEDED');
    t.is(end.steps[id]!.outputs['worker'], 'w1');
  }
  t.is(end.steps['b']!.outputs['rows'], 42);
});
