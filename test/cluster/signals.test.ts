/**
 * Signals and signal triggers on a real 3-node cluster, announced by a plain NATS client
 * (nats.js used directly: no project code on the sending side). The node that owns the
 * workflow's signal trigger actor (`~sigtrig/<wf>`) is killed with -9 while signals arrive:
 * every signal is stored once and every matched signal starts exactly one instance. Time triggers:
 * a whole-cluster outage, then the cron owner killed during the catch-up: each missed fire runs once.
 */
import { connect, type NatsConnection } from 'nats';
import { EtcdCluster } from '../../src/cluster/etcd/index.js';
import { partitionOf } from '../../src/core/partition.js';
import { ClusterHarness, clusterTest } from './harness.js';

const PARTITIONS = 64;
const WF = 'sig-failover';
const NAME = 'ct/tick';
const SUBJECT = 'maestro.signals.ct.tick';

/** Announces signal `i` until a node answers that it is stored (a retry after a lost reply is a duplicate: same request id). */
async function announce(nc: NatsConnection, i: number): Promise<void> {
  const body = new TextEncoder().encode(JSON.stringify({ params: { i }, payload: { note: 'from nats.js' }, request_id: `tick-${i}` }));
  for (let attempt = 1; ; attempt++) {
    try {
      const reply = JSON.parse(new TextDecoder().decode((await nc.request(SUBJECT, body, { timeout: 3_000 })).data)) as { seq_id?: number; error?: string };
      if (reply.seq_id !== undefined) return;
      if (attempt > 30) throw new Error(`signal ${i} refused: ${reply.error}`);
    } catch (err) {
      if (attempt > 30) throw err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

clusterTest('kill -9 the signal trigger owner while signals arrive over NATS: every signal stored once, one run per signal', async (t) => {
  const h = await ClusterHarness.start({ nodes: 3 });
  t.teardown(() => h.stop());
  const etcd = new EtcdCluster({ endpoints: h.etcd.endpoints });
  t.teardown(() => etcd.close());
  const nc = await connect({ servers: h.nats.urls, name: 'plain-publisher' });
  t.teardown(() => nc.close());

  await h.client(0).createWorkflow(
    JSON.stringify({
      properties: { owner: 'cluster-test', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 1000 } },
      workflow: { id: WF, signal_triggers: [{ definitions: { [NAME]: {} } }], steps: [{ step: { id: 'p', type: 'Probe' } }] },
    }),
  );
  const owner = (await etcd.claims.owner(partitionOf(`~sigtrig/${WF}`, PARTITIONS)))?.nodeId;
  const victim = h.nodes.find((n) => n.nodeId === owner);
  t.truthy(victim, 'the trigger actor has an owner');

  const N = 120;
  const sent: Array<Promise<void>> = [];
  for (let i = 0; i < N; i++) {
    sent.push(announce(nc, i));
    if (i === 40) {
      await Promise.all(sent.splice(0)); // 41 stored; the trigger is firing on them
      await h.kill9(victim!);
    }
    if (i % 10 === 9) await new Promise((r) => setTimeout(r, 20)); // signals keep arriving through the failover
  }
  await Promise.all(sent);

  const stored = await h.client(0).listSignals(NAME, 0, 1000);
  t.is(stored.instances.length, N, 'every signal stored once (retries after lost replies were duplicates)');
  t.deepEqual(new Set(stored.instances.map((s) => s.params['i'])).size, N);

  try {
    await h.waitAllEnded(WF, N, 90_000);
  } catch (err) {
    const all = await h.listAll(WF);
    const byStatus: Record<string, number> = {};
    for (const i of all) byStatus[i.status] = (byStatus[i.status] ?? 0) + 1;
    t.log(`instances by status: ${JSON.stringify(byStatus)}`);
    t.log(`signal trigger: ${JSON.stringify((await h.client(0).getTriggers(WF)).signal)}`);
    for (const line of h.nodeLogs().slice(-40)) t.log(line.slice(0, 600));
    throw err;
  }
  const all = await h.listAll(WF);
  const fired = new Map<number, number>();
  for (const s of all) {
    const v = await h.client(s.instanceId).getInstance(WF, s.instanceId);
    t.is(v.initiator, 'SIGNAL');
    const i = v.trigger?.kind === 'SIGNAL' ? Number(v.trigger.signalParams[NAME]?.['i']) : NaN;
    fired.set(i, (fired.get(i) ?? 0) + 1);
  }
  const twice = [...fired].filter(([, n]) => n > 1).map(([i]) => i);
  const missing = Array.from({ length: N }, (_, i) => i).filter((i) => !fired.has(i));
  t.deepEqual(twice, [], 'no signal started two runs');
  t.deepEqual(missing, [], 'no signal lost');
  t.is(all.length, N);
  t.deepEqual(all.filter((i) => i.status !== 'SUCCEEDED'), []);
});

clusterTest('time triggers: a whole-cluster outage, then kill -9 of the cron owner during the catch-up: every missed fire runs exactly once', async (t) => {
  const h = await ClusterHarness.start({ nodes: 3 });
  t.teardown(() => h.stop());
  const etcd = new EtcdCluster({ endpoints: h.etcd.endpoints });
  t.teardown(() => etcd.close());
  const wf = 'cron-failover';
  await h.client(0).createWorkflow(
    JSON.stringify({
      properties: { owner: 'cluster-test', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 1000 } },
      workflow: { id: wf, time_triggers: [{ type: 'CRON', cron: '*/2 * * * *', timezone: 'UTC' }], steps: [{ step: { id: 'p', type: 'Probe' } }] },
    }),
  );
  const subscribed = (await h.client(0).getTriggers(wf, 1)).time;
  t.true(subscribed.subscribed);
  const from = subscribed.triggers[0]!.watermarkMs ?? 0;

  // Every node goes down; they come back with their clocks 12 hours later (360 missed fires).
  for (const n of [...h.nodes]) await h.kill9(n);
  h.env['MAESTRO_TEST_CLOCK_OFFSET_MS'] = String(12 * 3_600_000);
  await Promise.all([h.addNode(), h.addNode(), h.addNode()]);
  const live = h.nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null);
  let owner: string | undefined;
  while (!(owner = (await etcd.claims.owner(partitionOf(`~cron/${wf}`, PARTITIONS)))?.nodeId) || !live.some((n) => n.nodeId === owner)) await new Promise((r) => setTimeout(r, 50));
  // Kill the node catching up once some of the missed fires have started.
  await h.waitForRecords('catch-up runs', 20, (r) => r.kind === 'run' && r.attemptId.startsWith(`${wf}/`), 60_000);
  await h.kill9(live.find((n) => n.nodeId === owner)!);

  // Done when a run of every fire due by the node clock has started (the sink file's changes wake
  // the wait) and the cron actor has every start answered.
  const due = Math.floor(((await h.client(0).getTriggers(wf, 1)).time.nowMs - from) / 120_000);
  await h.waitForRecords('catch-up runs', due, (r) => r.kind === 'run' && r.attemptId.startsWith(`${wf}/`), 90_000);
  await h.waitAllEnded(wf, due, 90_000);
  let info = (await h.client(0).getTriggers(wf, 1)).time;
  for (const deadline = Date.now() + 30_000; info.pending > 0 || (info.triggers[0]!.watermarkMs ?? 0) < info.nowMs - 120_000; ) {
    if (Date.now() > deadline) throw new Error(`no catch-up: ${JSON.stringify(info)}`);
    info = (await h.client(0).getTriggers(wf, 1)).time; // the last acknowledgements are being journaled
  }
  const to = info.triggers[0]!.watermarkMs ?? 0;
  const expected: number[] = [];
  for (let f = Math.floor(from / 120_000) * 120_000 + 120_000; f <= to; f += 120_000) expected.push(f);
  t.true(expected.length >= 360, `${expected.length} fires expected`);
  await h.waitAllEnded(wf, expected.length, 90_000);
  const all = await h.listAll(wf);
  const times = new Map<number, number>();
  for (const s of all) {
    const v = await h.client(s.instanceId).getInstance(wf, s.instanceId);
    const at = v.trigger?.kind === 'TIME' ? v.trigger.triggerTimeMs : NaN;
    times.set(at, (times.get(at) ?? 0) + 1);
    t.is(v.params['RUN_TS'], at);
  }
  t.deepEqual([...times].filter(([, n]) => n > 1).map(([at]) => new Date(at).toISOString()), [], 'no fire time ran twice');
  t.deepEqual(expected.filter((f) => !times.has(f)).map((f) => new Date(f).toISOString()), [], 'no fire time lost');
  t.is(all.length, expected.length);
});
