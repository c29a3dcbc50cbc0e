/**
 * Time triggers end to end on an embedded node with a fake clock (`now`): the test moves the
 * clock and sends Sync (what the actor's timer would send as Tick), so nothing waits minutes.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedNode, type EmbeddedNode } from '../../src/node/embedded.js';
import { partitionOf } from '../../src/core/partition.js';
import { queueKeyOf, type QueueState } from '../../src/core/queue/model.js';
import { timeFireRequestId, type CronState } from '../../src/core/triggers/index.js';
import { timeTriggerKeyOf } from '../../src/core/signals/model.js';
import { NotFoundError } from '../../src/core/errors.js';
import { Holds } from '../fixtures/test-runtimes.js';

const MIN = 60_000;
/** 2026-01-01T00:00:30Z: 30 s past a `*\/2` fire. */
const T0 = Date.UTC(2026, 0, 1, 0, 0, 30);
const fire = (minute: number) => Date.UTC(2026, 0, 1, 0, minute, 0);

interface Clock {
  ms: number;
}

function workflow(id: string, opts: { cron?: string; rule?: string; disabled?: boolean; step?: string } = {}): string {
  const properties: Record<string, unknown> = { owner: 'tester', run_strategy: opts.rule ?? 'parallel' };
  if (opts.disabled !== undefined) properties.time_trigger_disabled = opts.disabled;
  return JSON.stringify({
    properties,
    workflow: {
      id,
      time_triggers: [{ type: 'CRON', cron: opts.cron ?? '*/2 * * * *', timezone: 'UTC' }],
      steps: [{ step: { id: 'job', type: opts.step ?? 'NoOp' } }],
    },
  });
}

async function start(t: { teardown(f: () => Promise<void>): void }, clock: Clock, extra: Partial<Parameters<typeof createEmbeddedNode>[0]> = {}): Promise<EmbeddedNode> {
  const node = await createEmbeddedNode({ partitions: 4, now: () => clock.ms, logLevel: 'warn', ...extra });
  t.teardown(() => node.close());
  return node;
}

async function instances(node: EmbeddedNode, wf: string) {
  return (await node.api.listInstances({ workflowId: wf, pageSize: 1000 })).instances.sort((a, b) => a.instanceId - b.instanceId);
}

/** Syncs until a round fires nothing: then every fire due by now was started and answered. */
async function drain(node: EmbeddedNode, wf: string): Promise<number> {
  let total = 0;
  for (;;) {
    const r = await node.api.syncTimeTriggers(wf);
    if (r.fired === 0) return total;
    total += r.fired;
  }
}

test('a */2 trigger fires once per fire time: 3 fires after 6.5 minutes, TIME initiator, Maestro request ids, none twice', async (t) => {
  const clock = { ms: T0 };
  const holds = new Holds();
  const node = await start(t, clock, { extraRuntimes: [holds.runtime] });
  await node.api.createWorkflow(workflow('tt-e2e', { step: 'Hold' }));
  let info = await node.api.getTimeTriggers('tt-e2e', 3);
  t.true(info.subscribed);
  t.is(info.subscribedAtMs, T0);
  t.deepEqual(info.triggers[0]!.nextFiresMs, [fire(2), fire(4), fire(6)]);
  t.is(info.triggers[0]!.watermarkMs, T0, 'no backfill before the subscription');

  clock.ms = T0 + 6 * MIN; // 00:06:30
  const r = await node.api.syncTimeTriggers('tt-e2e');
  t.deepEqual(r, { subscribed: true, fired: 3 });
  const list = await instances(node, 'tt-e2e');
  t.deepEqual(list.map((i) => i.instanceId), [1, 2, 3]);
  for (const [k, i] of list.entries()) {
    const v = await node.api.getInstance('tt-e2e', i.instanceId);
    t.is(v.initiator, 'TIME');
    t.is(v.trigger?.kind === 'TIME' && v.trigger.triggerTimeMs, fire(2 * (k + 1)));
    t.is(v.params['RUN_TS'], fire(2 * (k + 1)), 'RUN_TS is the scheduled fire time, not the start time');
    t.is(v.params['WORKFLOW_CRON_TIMEZONE'], 'UTC');
  }

  // what each start carried, as the queue owner holds it (RUN_TS comes from trigger.triggerTimeMs)
  const qk = queueKeyOf('tt-e2e');
  const q = node.partitions.host(partitionOf(qk, 4))!.serviceState(qk) as QueueState;
  const trig = { type: 'CRON' as const, cron: '*/2 * * * *', timezone: 'UTC' };
  const starts = [1, 2, 3].map((id) => q.running[String(id)]!.start!);
  t.deepEqual(starts.map((s) => s.trigger), [2, 4, 6].map((m) => ({ kind: 'TIME', triggerUuid: info.triggerUuid!, triggerTimeMs: fire(m), timezone: 'UTC' })));
  t.deepEqual(starts.map((s) => s.requestId), [2, 4, 6].map((m) => timeFireRequestId('tt-e2e', trig, fire(m))));
  t.deepEqual(starts.map((s) => [s.initiator, s.params]), [['TIME', {}], ['TIME', {}], ['TIME', {}]]);

  // again at the same time: nothing new
  t.deepEqual(await node.api.syncTimeTriggers('tt-e2e'), { subscribed: true, fired: 0 });
  t.is((await instances(node, 'tt-e2e')).length, 3);
  info = await node.api.getTimeTriggers('tt-e2e', 2);
  t.is(info.triggers[0]!.watermarkMs, fire(6));
  t.deepEqual(info.triggers[0]!.nextFiresMs, [fire(8), fire(10)]);
  t.is(info.pending, 0);
});

test('restart after downtime: every missed fire runs once, rounds of 100 repeat at once, the run strategy decides what survives', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'maestro-tt-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const clock = { ms: T0 };
  const holds = new Holds();
  const first = await createEmbeddedNode({ partitions: 4, dataDir, now: () => clock.ms, logLevel: 'warn', extraRuntimes: [holds.runtime] });
  // FIRST_ONLY: the first fire holds its step; every later one is created STOPPED (cheap)
  await first.api.createWorkflow(workflow('tt-down', { rule: 'first_only', step: 'Hold' }));
  clock.ms = T0 + 4 * MIN; // 00:04:30: fires 00:02, 00:04
  t.is(await drain(first, 'tt-down'), 2);
  await first.close();

  // down for 4 h 20 min: 130 fires missed (00:06 .. 04:24)
  clock.ms = T0 + 4 * MIN + (4 * 60 + 20) * MIN;
  const second = await start(t, clock, { dataDir, extraRuntimes: [holds.runtime] });
  // the recovered ~cron actor syncs by itself (resume) and the node scans at start; drain waits for both
  await drain(second, 'tt-down');
  const list = await instances(second, 'tt-down');
  t.is(list.length, 132, 'every fire time once: 2 before the downtime, 130 after it');
  t.deepEqual(list.map((i) => i.instanceId), Array.from({ length: 132 }, (_, i) => i + 1));
  t.is(list.filter((i) => i.status === 'STOPPED').length, 131, 'FIRST_ONLY stops every start while #1 runs');
  const info = await second.api.getTimeTriggers('tt-down', 1);
  t.is(info.triggers[0]!.watermarkMs, Date.UTC(2026, 0, 1, 4, 24));
  t.is(info.pending, 0);
});

test('time_trigger_disabled: nothing fires; re-enabled, it subscribes anew with no backfill', async (t) => {
  const clock = { ms: T0 };
  const node = await start(t, clock);
  await node.api.createWorkflow(workflow('tt-off', { disabled: true }));
  clock.ms = T0 + 10 * MIN;
  t.deepEqual(await node.api.syncTimeTriggers('tt-off'), { subscribed: false, fired: 0 });
  const info = await node.api.getTimeTriggers('tt-off', 1);
  t.false(info.subscribed);
  t.is(info.reason, 'time_trigger_disabled');
  t.deepEqual(info.triggers[0]!.nextFiresMs, [fire(12)], 'the definition and its next fire are still shown');
  t.is((await instances(node, 'tt-off')).length, 0);

  await node.api.createWorkflow(workflow('tt-off', { disabled: false }));
  t.is((await node.api.getTimeTriggers('tt-off')).subscribedAtMs, T0 + 10 * MIN);
  clock.ms = T0 + 12 * MIN;
  t.deepEqual(await node.api.syncTimeTriggers('tt-off'), { subscribed: true, fired: 1 });
  t.is((await instances(node, 'tt-off')).length, 1, 'only 00:12, nothing from the disabled period');
});

test('deleting the workflow ends the subscription; the API then answers NOT_FOUND and creates no actor', async (t) => {
  const clock = { ms: T0 };
  const node = await start(t, clock);
  await node.api.createWorkflow(workflow('tt-del'));
  await node.api.deleteWorkflow('tt-del');
  const key = timeTriggerKeyOf('tt-del');
  const state = node.partitions.host(partitionOf(key, 4))!.serviceState(key) as CronState;
  t.is(state.sub, undefined);
  t.is(state.ended?.reason, 'workflow not found');
  clock.ms = T0 + 10 * MIN;
  await t.throwsAsync(node.api.getTimeTriggers('tt-del'), { instanceOf: NotFoundError });
  await t.throwsAsync(node.api.syncTimeTriggers('never-existed'), { instanceOf: NotFoundError });
  const never = timeTriggerKeyOf('never-existed');
  t.is(node.partitions.host(partitionOf(never, 4))!.serviceState(never), undefined);
  t.is((await instances(node, 'tt-del')).length, 0);
});

test('two triggers at the same minute give two runs', async (t) => {
  const clock = { ms: T0 };
  const node = await start(t, clock);
  const def = JSON.parse(workflow('tt-two')) as { workflow: { time_triggers: unknown[] } };
  def.workflow.time_triggers.push({ type: 'CRON', cron: '*/4 * * * *', timezone: 'UTC' });
  await node.api.createWorkflow(JSON.stringify(def));
  clock.ms = T0 + 4 * MIN; // 00:04:30: */2 at 00:02, 00:04; */4 at 00:04
  t.is(await drain(node, 'tt-two'), 3);
  t.is((await instances(node, 'tt-two')).length, 3);
});

test("the actor's own timer fires without any Sync (a clock running at real speed, set in 2030)", async (t) => {
  const base = Date.UTC(2030, 0, 1, 0, 0, 0, 500);
  const real0 = Date.now();
  // a Quartz cron limited to a year is exempt from the 2-minute rule: every second of 2030
  const runs: string[] = [];
  let wake: () => void = () => {};
  const two = new Promise<void>((resolve) => (wake = resolve));
  const ping = {
    type: 'Ping',
    run: async (task: { instanceKey: string }) => {
      runs.push(task.instanceKey);
      if (runs.length === 2) wake();
      return { status: 'SUCCEEDED' as const };
    },
  };
  const node = await createEmbeddedNode({ partitions: 4, now: () => base + (Date.now() - real0), logLevel: 'warn', extraRuntimes: [ping as never] });
  t.teardown(() => node.close());
  await node.api.createWorkflow(workflow('tt-timer', { cron: '* * * * * ? 2030', step: 'Ping' }));
  const alive = setInterval(() => {}, 1000); // the actor's timers are unref'd (they never hold a process open)
  t.teardown(() => clearInterval(alive));
  await two; // the timer ticks at each next fire; no Sync from the test
  t.deepEqual(runs.slice(0, 2), ['tt-timer/1', 'tt-timer/2']);
  t.is((await node.api.getInstance('tt-timer', 1)).initiator, 'TIME');
});
