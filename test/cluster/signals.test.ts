/**
 * Signals and signal triggers on a real 3-node cluster, announced by a plain NATS client
 * (nats.js used directly: no project code on the sending side). The node that owns the
 * workflow's signal trigger actor (`~sigtrig/<wf>`) is killed with -9 while signals arrive:
 * every signal is stored once and every matched signal starts exactly one instance.
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

  await h.waitAllEnded(WF, N, 90_000);
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
