/**
 * GET /metrics on a cluster node (NATS, JetStream, etcd): the node serves its registry on its
 * HTTP port; partitions owned and the acquisitions are there, and a run's step end and journal
 * appends are counted. (test/control/metrics.test.ts covers every metric on the embedded node.)
 */
import test from 'ava';
import { startClusterNode, type ClusterNode } from '../../src/node/cluster-node.js';
import { haveNats, NATS_MISSING, startNats, type NatsFixture } from '../helpers/nats-server.js';
import { etcdMissingReason, startEtcd, type EtcdServer } from '../helpers/etcd-server.js';
import { waitUntil } from '../cluster-unit/fixture.js';
import { waitForEnd } from '../helpers/wait.js';

const missing = haveNats() ? etcdMissingReason() : NATS_MISSING;
const nodeTest = missing ? test.skip : test.serial;
if (missing) console.warn(`cluster metrics test skipped: ${missing}`);

let nats: NatsFixture | undefined;
let etcd: EtcdServer | undefined;
let node: ClusterNode | undefined;

test.before(async () => {
  if (missing) return;
  nats = await startNats({ jetstream: true });
  etcd = await startEtcd();
  node = await startClusterNode({ nats: nats.urls, etcd: etcd.endpoints, grpcPort: 0, httpPort: 0, partitions: 4, logLevel: 'error' });
  await waitUntil(() => node!.manager.settled() && node!.manager.ownedPartitions().size === 4, 'the node to own its partitions', 20_000, 20);
});
test.after.always(async () => {
  await node?.close();
  await etcd?.stop();
  await nats?.stop();
});

async function sample(name: string): Promise<number | undefined> {
  const text = await (await fetch(`${node!.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

nodeTest('a cluster node serves /metrics: partitions owned, acquisitions, a run counted', async (t) => {
  t.truthy(node!.httpUrl);
  t.is(await sample('maestro_partitions_owned'), 4);
  t.is(await sample('maestro_partition_ownership_changes_total{change="acquired",reason="rebalance"}'), 4);
  t.is(await sample('maestro_partition_failovers_total'), 0);
  const api = node!.api;
  await api.createWorkflow(JSON.stringify({ properties: { owner: 't', run_strategy: 'parallel' }, workflow: { id: 'm-cluster', steps: [{ step: { id: 'n', type: 'NoOp' } }] } }));
  const run = await api.startWorkflow({ workflowId: 'm-cluster' });
  t.is((await waitForEnd(api, 'm-cluster', run.instanceId)).status, 'SUCCEEDED');
  t.is(await sample('maestro_steps_ended_total{type="NoOp",status="SUCCEEDED"}'), 1);
  t.true((await sample('maestro_journal_append_seconds_count'))! > 0);
});
