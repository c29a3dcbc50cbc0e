/**
 * GET /metrics on an embedded node's HTTP server (httpPort 0): after a few workflows ran — a
 * chain of dispatched steps ending in an inline NoOp, a step that waits for a signal, a signal
 * trigger — the counters equal what ran, the histograms have their samples, the levels are read
 * at the scrape, and the text parses as the Prometheus exposition format. No timing assertions.
 */
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedNode, type EmbeddedNode } from '../../src/node/embedded.js';
import { testRuntimes } from '../fixtures/test-runtimes.js';
import { waitForEnd, waitForStep } from '../helpers/wait.js';
import { waitUntil } from '../cluster-unit/fixture.js';
import type { Engine } from '../../src/workflow/engine.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of the text exposition format (0.0.4): every line is a comment, HELP/TYPE, or a sample of a declared family. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sampleLine = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
  const label = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\["\\n])*)"\s*(,|$)/y;
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) continue; // a plain comment
      if (!new RegExp(`^${NAME}$`).test(m[2]!)) throw new Error(`bad metric name in: ${line}`);
      if (m[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3]!)) throw new Error(`bad type in: ${line}`);
        types.set(m[2]!, m[3]!);
      }
      continue;
    }
    const m = sampleLine.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    // Prometheus reads values with Go's ParseFloat: NaN and Inf in any case (prom-client writes "Nan")
    const raw = m[3]!.toLowerCase();
    const value = raw === '+inf' || raw === 'inf' ? Infinity : raw === '-inf' ? -Infinity : raw === 'nan' ? NaN : Number(m[3]);
    if (Number.isNaN(value) && raw !== 'nan') throw new Error(`bad value in: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2] !== undefined && m[2] !== '') {
      label.lastIndex = 0;
      while (label.lastIndex < m[2].length) {
        const l = label.exec(m[2]);
        if (!l) throw new Error(`bad labels in: ${line}`);
        labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
      }
    }
    const family = m[1]!.replace(/_(bucket|sum|count)$/, '');
    if (!types.has(m[1]!) && !types.has(family)) throw new Error(`sample of an undeclared family: ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, types };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const s = samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value;
}

async function scrape(node: EmbeddedNode): Promise<{ samples: Sample[]; types: Map<string, string>; contentType: string }> {
  const res = await fetch(`${node.httpUrl}/metrics`);
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  return { ...parseExposition(await res.text()), contentType: res.headers.get('content-type') ?? '' };
}

const CHAIN = JSON.stringify({
  properties: { owner: 't', run_strategy: 'parallel' },
  workflow: {
    id: 'm-chain',
    steps: [
      { step: { id: 'a', type: 'Echo', params: { say: { value: 'one', type: 'STRING' } }, transition: { successors: { b: 'true' } } } },
      { step: { id: 'b', type: 'Echo', params: { say: { value: 'two', type: 'STRING' } }, transition: { successors: { c: 'true' } } } },
      { step: { id: 'c', type: 'NoOp' } },
    ],
  },
});
const INLINE_FIRST = JSON.stringify({
  properties: { owner: 't', run_strategy: 'parallel' },
  workflow: {
    id: 'm-inline-first',
    steps: [
      { step: { id: 'first', type: 'NoOp', transition: { successors: { then: 'true' } } } },
      { step: { id: 'then', type: 'Echo', params: { say: { value: 'x', type: 'STRING' } } } },
    ],
  },
});
const WAITS = JSON.stringify({
  properties: { owner: 't', run_strategy: 'parallel' },
  workflow: { id: 'm-wait', steps: [{ step: { id: 'w', type: 'Echo', params: { say: { value: 'go', type: 'STRING' } }, signal_dependencies: [{ name: 'm/go' }] } }] },
});
const TRIGGERED = JSON.stringify({
  properties: { owner: 't', run_strategy: 'parallel' },
  workflow: { id: 'm-trig', signal_triggers: [{ definitions: { 'm/fire': {} } }], steps: [{ step: { id: 'n', type: 'NoOp' } }] },
});

test('GET /metrics: counts equal what ran, histograms have samples, levels are read at the scrape, the text parses', async (t) => {
  const node = await createEmbeddedNode({ partitions: 2, logLevel: 'silent', httpPort: 0, extraRuntimes: testRuntimes().runtimes });
  t.teardown(() => node.close());
  const api = node.api;
  t.truthy(node.httpUrl);

  // nothing ran yet: the families are there, the event counters at zero
  const before = await scrape(node);
  t.regex(before.contentType, /^text\/plain; version=0\.0\.4/);
  t.is(before.types.get('maestro_step_launch_latency_seconds'), 'histogram');
  t.is(before.types.get('maestro_steps_ended_total'), 'counter');
  t.is(before.types.get('maestro_actors_resident'), 'gauge');
  t.is(value(before.samples, 'maestro_partitions_owned'), 2);
  t.is(value(before.samples, 'maestro_trigger_fires_total', { kind: 'signal' }), 0);
  t.is(value(before.samples, 'maestro_step_launch_latency_seconds_count'), 0);

  // three runs of a -> b -> c (Echo, Echo dispatched to the executor; NoOp inline)
  await api.createWorkflow(CHAIN);
  for (let i = 0; i < 3; i++) {
    const run = await api.startWorkflow({ workflowId: 'm-chain' });
    t.is((await waitForEnd(api, 'm-chain', run.instanceId)).status, 'SUCCEEDED');
  }

  // a NoOp first (run inline in the start's batch) whose successor is dispatched: a launch too
  await api.createWorkflow(INLINE_FIRST);
  const inlineFirst = await api.startWorkflow({ workflowId: 'm-inline-first' });
  t.is((await waitForEnd(api, 'm-inline-first', inlineFirst.instanceId)).status, 'SUCCEEDED');

  // a step waiting for a signal, matched by the store's notice when the signal is announced
  await api.createWorkflow(WAITS);
  const waiting = await api.startWorkflow({ workflowId: 'm-wait' });
  await waitForStep(api, 'm-wait', waiting.instanceId, 'w', 'WAITING_FOR_SIGNALS');
  const mid = await scrape(node);
  t.is(value(mid.samples, 'maestro_actors_waiting'), 1, 'the waiting instance is a waiting actor');
  await api.sendSignal('m/go', { params: {}, payload: {} });
  t.is((await waitForEnd(api, 'm-wait', waiting.instanceId)).status, 'SUCCEEDED');

  // a signal trigger starts one run
  await api.createWorkflow(TRIGGERED);
  await api.sendSignal('m/fire', { params: {}, payload: {} });
  const engine = api as unknown as Engine;
  for (;;) {
    const r = await engine.signalTriggers('m-trig');
    if (r.fired >= 1 && r.pending === 0) break;
    await new Promise((res) => setTimeout(res, 5));
  }
  t.is((await waitForEnd(api, 'm-trig', 1)).status, 'SUCCEEDED');

  const { samples } = await scrape(node);
  t.is(value(samples, 'maestro_steps_ended_total', { type: 'Echo', status: 'SUCCEEDED' }), 8, '2 per chain run + the inline-first successor + the signal waiter');
  t.is(value(samples, 'maestro_steps_ended_total', { type: 'NoOp', status: 'SUCCEEDED' }), 5, '1 per chain run + the inline first step + the triggered run');
  t.is(value(samples, 'maestro_step_launch_latency_seconds_count'), 7, 'b after a and c after b, per chain run; then after first');
  t.is(value(samples, 'maestro_workflow_start_overhead_seconds_count'), 5, 'every run that dispatched its first step when it started (not the one whose step waited for a signal)');
  t.is(value(samples, 'maestro_signal_match_latency_seconds_count'), 1);
  t.is(value(samples, 'maestro_permit_wait_seconds_count'), 13, 'every step that ran passed WAITING_FOR_PERMITS (tag permits are on by default)');
  t.is(value(samples, 'maestro_trigger_fires_total', { kind: 'signal' }), 1);
  t.is(value(samples, 'maestro_trigger_fires_total', { kind: 'time' }), 0);
  const appends = value(samples, 'maestro_journal_append_seconds_count')!;
  t.true(appends > 0);
  t.is(value(samples, 'maestro_journal_append_records_count'), appends, 'one batch size per append');
  t.true(value(samples, 'maestro_journal_append_records_sum')! >= appends);
  // a histogram's +Inf bucket holds every sample
  t.is(value(samples, 'maestro_step_launch_latency_seconds_bucket', { le: '+Inf' }), 7);
  t.is(value(samples, 'maestro_actors_resident', { kind: 'instance' }), 6);
  t.true(value(samples, 'maestro_actors_resident', { kind: 'service' })! >= 3, 'queue owners, signal stores, the trigger actor');
  t.is(value(samples, 'maestro_actors_waiting'), 0);
  t.is(value(samples, 'maestro_executor_tasks', { state: 'running' }), 0);
  t.is(value(samples, 'maestro_permit_requests_waiting'), 0);
  t.true(value(samples, 'process_cpu_user_seconds_total')! >= 0, 'process metrics are served too');

  // the Grafana dashboard asks only for metrics the node serves
  const { types } = await scrape(node);
  const dashboard = await readFile(new URL('../../cluster/grafana-dashboard.json', import.meta.url), 'utf8');
  const used = new Set([...dashboard.matchAll(/\b((?:maestro|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, '')));
  t.true(used.size >= 15);
  t.deepEqual([...used].filter((name) => !types.has(name)), [], 'dashboard metrics the node does not serve');
});

test('GET /metrics with a worker connected: connected workers, and tasks held by it or queued for its credit', async (t) => {
  const node = await createEmbeddedNode({ partitions: 1, logLevel: 'silent', httpPort: 0 });
  t.teardown(() => node.close());
  await node.workers.connect({ workerId: 'w1', types: ['m-work'], capacity: 1, sdk: 'test' }, { send: () => undefined, end: () => undefined });
  let { samples } = await scrape(node);
  t.is(value(samples, 'maestro_workers_connected', { type: 'm-work' }), 1);
  t.is(value(samples, 'maestro_worker_tasks', { type: 'm-work', state: 'held' }), 0);
  // two runs of a worker step, a worker with credit for one: one task held, one queued
  await node.api.createWorkflow(JSON.stringify({ properties: { owner: 't', run_strategy: 'parallel' }, workflow: { id: 'm-worker', steps: [{ step: { id: 's', type: 'm-work' } }] } }));
  for (let i = 0; i < 2; i++) {
    const run = await node.api.startWorkflow({ workflowId: 'm-worker' });
    await waitForStep(node.api, 'm-worker', run.instanceId, 's', 'RUNNING');
  }
  await waitUntil(async () => {
    ({ samples } = await scrape(node));
    return value(samples, 'maestro_worker_tasks', { type: 'm-work', state: 'queued' }) === 1;
  }, 'the second task to queue for credit');
  t.is(value(samples, 'maestro_worker_tasks', { type: 'm-work', state: 'held' }), 1);
});

test('the exposition reader refuses what is not the format (so the test above can fail)', (t) => {
  t.throws(() => parseExposition('# TYPE a counter\na 1'), { message: /newline/ });
  t.throws(() => parseExposition('# TYPE a counter\na{x=1} 1\n'), { message: /bad labels/ });
  t.throws(() => parseExposition('b 1\n'), { message: /undeclared/ });
  t.throws(() => parseExposition('# TYPE a counter\na one\n'), { message: /bad value/ });
  t.deepEqual(parseExposition('# TYPE a counter\na{x="q\\"",y="z"} 2\n').samples, [{ name: 'a', labels: { x: 'q"', y: 'z' }, value: 2 }]);
});

test('GET /metrics: time trigger fires are counted once each (fake clock, no waiting)', async (t) => {
  const clock = { ms: Date.UTC(2026, 0, 1, 0, 0, 30) };
  const node = await createEmbeddedNode({ partitions: 2, logLevel: 'silent', httpPort: 0, now: () => clock.ms });
  t.teardown(() => node.close());
  await node.api.createWorkflow(
    JSON.stringify({
      properties: { owner: 't', run_strategy: 'parallel' },
      workflow: { id: 'm-cron', time_triggers: [{ type: 'CRON', cron: '*/2 * * * *', timezone: 'UTC' }], steps: [{ step: { id: 'job', type: 'NoOp' } }] },
    }),
  );
  clock.ms += 6.5 * 60_000; // past the fires at 00:02, 00:04 and 00:06
  let fired = 0;
  for (;;) {
    const r = await node.api.syncTimeTriggers('m-cron');
    if (r.fired === 0) break;
    fired += r.fired;
  }
  t.is(fired, 3);
  // a sync that fires nothing adds nothing
  t.is((await node.api.syncTimeTriggers('m-cron')).fired, 0);
  const { samples } = await scrape(node);
  t.is(value(samples, 'maestro_trigger_fires_total', { kind: 'time' }), 3);
  t.is(value(samples, 'maestro_trigger_fires_total', { kind: 'signal' }), 0);
});

test('GET /metrics after a restart: replaying the journal counts nothing; what runs after it counts once', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'maestro-metrics-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const open = () => createEmbeddedNode({ dataDir, partitions: 2, logLevel: 'silent', httpPort: 0, extraRuntimes: testRuntimes().runtimes });
  let node = await open();
  t.teardown(() => node.close()); // the node open when the test ends
  await node.api.createWorkflow(CHAIN);
  for (let i = 0; i < 2; i++) {
    const run = await node.api.startWorkflow({ workflowId: 'm-chain' });
    await waitForEnd(node.api, 'm-chain', run.instanceId);
  }
  t.is(value((await scrape(node)).samples, 'maestro_steps_ended_total', { type: 'Echo', status: 'SUCCEEDED' }), 4);
  await node.close();

  node = await open();
  let { samples } = await scrape(node);
  t.is(value(samples, 'maestro_actors_resident', { kind: 'instance' }), 2, 'both runs recovered');
  t.is(value(samples, 'maestro_steps_ended_total', { type: 'Echo', status: 'SUCCEEDED' }), undefined, 'no step ended since this node started');
  t.is(value(samples, 'maestro_step_launch_latency_seconds_count'), 0);
  const run = await node.api.startWorkflow({ workflowId: 'm-chain' });
  await waitForEnd(node.api, 'm-chain', run.instanceId);
  ({ samples } = await scrape(node));
  t.is(value(samples, 'maestro_steps_ended_total', { type: 'Echo', status: 'SUCCEEDED' }), 2);
  t.is(value(samples, 'maestro_step_launch_latency_seconds_count'), 2);
});
