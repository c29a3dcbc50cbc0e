/**
 * The ownership metrics of a cluster node (trackOwnership) over the in-memory cluster: a joining
 * member's acquisitions are rebalances, a crashed member's partitions taken over are failovers,
 * a node whose own lease expires counts its releases as lost.
 */
import test from 'ava';
import { MemoryCluster } from '../../src/cluster/memory/index.js';
import { PartitionManager } from '../../src/cluster/partition-manager.js';
import { assignPartitions } from '../../src/cluster/placement.js';
import { createNodeMetrics, trackOwnership, type NodeMetrics } from '../../src/node/prometheus.js';
import { Ledger, RecordingOwner, waitUntil } from '../cluster-unit/fixture.js';
import { recordingLogger } from '../helpers/log.js';

const P = 16;

interface Node {
  id: string;
  manager: PartitionManager;
  metrics: NodeMetrics;
}

async function metric(m: NodeMetrics, name: string, labels = ''): Promise<number> {
  const line = (await m.text()).split('\n').find((l) => l.startsWith(`${name}${labels} `));
  if (line === undefined) throw new Error(`no sample ${name}${labels}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

function harness() {
  const cluster = new MemoryCluster();
  const ledger = new Ledger();
  const nodes = new Map<string, Node>();
  async function add(id: string): Promise<Node> {
    const handle = cluster.connect();
    const manager = new PartitionManager({
      membership: handle,
      claims: handle,
      owner: new RecordingOwner(id, ledger),
      self: { nodeId: id, grpcAddress: `${id}:1`, startedAtMs: Date.now() },
      partitions: P,
      claimRetry: { initialMs: 2, maxMs: 20 },
      rejoinRetry: { initialMs: 2, maxMs: 20 },
      log: recordingLogger(),
    });
    const metrics = createNodeMetrics();
    await manager.start();
    trackOwnership(metrics, manager, handle, id, P);
    const node = { id, manager, metrics };
    nodes.set(id, node);
    return node;
  }
  const converged = (): boolean => {
    const ids = [...nodes.keys()];
    const map = assignPartitions(ids, P);
    return ids.every((id) => nodes.get(id)!.manager.settled()) && map.every((id, p) => ledger.holders.get(p)?.nodeId === id);
  };
  return { cluster, ledger, nodes, add, waitConverged: (what: string) => waitUntil(converged, what, 5000) };
}

test('ownership metrics: a join is a rebalance, a crashed member is a failover, an expired lease releases as lost', async (t) => {
  const h = harness();
  const a = await h.add('a');
  await h.waitConverged('a alone');
  t.is(await metric(a.metrics, 'maestro_partition_ownership_changes_total', '{change="acquired",reason="rebalance"}'), P);

  const b = await h.add('b');
  await h.waitConverged('a and b');
  const bShare = assignPartitions(['a', 'b'], P).filter((id) => id === 'b').length;
  t.true(bShare > 0 && bShare < P);
  t.is(await metric(b.metrics, 'maestro_partition_ownership_changes_total', '{change="acquired",reason="rebalance"}'), bShare, 'taken from a live member');
  t.is(await metric(b.metrics, 'maestro_partition_failovers_total'), 0);
  t.is(await metric(a.metrics, 'maestro_partition_ownership_changes_total', '{change="released",reason="rebalance"}'), bShare);

  // b crashes: its lease goes, a takes its partitions over
  h.cluster.kill('b');
  h.ledger.forget('b');
  h.nodes.delete('b');
  await h.waitConverged('a after b crashed');
  t.is(await metric(a.metrics, 'maestro_partition_failovers_total'), bShare);
  t.is(await metric(a.metrics, 'maestro_partition_ownership_changes_total', '{change="acquired",reason="failover"}'), bShare);
  t.is(await metric(a.metrics, 'maestro_partition_ownership_changes_total', '{change="acquired",reason="rebalance"}'), P, 'unchanged');

  // a's own lease expires while it runs: it releases everything as lost, then joins again
  h.ledger.fence('a');
  h.cluster.expireLease('a');
  const lost = () => metric(a.metrics, 'maestro_partition_ownership_changes_total', '{change="released",reason="lost"}');
  await waitUntil(async () => (await lost()) === P, 'every partition released as lost');
  await h.waitConverged('a after it joined again');
  t.is(await lost(), P);
  t.is(await metric(a.metrics, 'maestro_partition_failovers_total'), bShare, 'taking back its own partitions after its lease expired is no failover');
  await a.manager.stop();
});

test('ownership metrics: a member that stops gracefully hands its partitions over (handoff, no failover)', async (t) => {
  const h = harness();
  const a = await h.add('a');
  const b = await h.add('b');
  await h.waitConverged('a and b');
  const bShare = assignPartitions(['a', 'b'], P).filter((id) => id === 'b').length;
  t.true(bShare > 0);
  await b.manager.stop(); // releases every partition (owner, then claim), then leaves
  h.nodes.delete('b');
  await h.waitConverged('a after b left');
  t.is(await metric(a.metrics, 'maestro_partition_ownership_changes_total', '{change="acquired",reason="handoff"}'), bShare);
  t.is(await metric(a.metrics, 'maestro_partition_ownership_changes_total', '{change="acquired",reason="failover"}'), 0);
  t.is(await metric(a.metrics, 'maestro_partition_failovers_total'), 0, 'a graceful leave is no failover');
  t.is(await metric(b.metrics, 'maestro_partition_ownership_changes_total', '{change="released",reason="rebalance"}'), bShare);

  // a member that joins and then crashes: its partitions come back as failovers, not handoffs
  const c = await h.add('c');
  await h.waitConverged('a and c');
  const cShare = assignPartitions(['a', 'c'], P).filter((id) => id === 'c').length;
  h.cluster.kill(c.id);
  h.ledger.forget(c.id);
  h.nodes.delete(c.id);
  await h.waitConverged('a after c crashed');
  t.is(await metric(a.metrics, 'maestro_partition_failovers_total'), cShare);
  t.is(await metric(a.metrics, 'maestro_partition_ownership_changes_total', '{change="acquired",reason="handoff"}'), bShare, 'unchanged');
  await a.manager.stop();
});
