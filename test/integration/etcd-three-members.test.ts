import test from 'ava';
import { Etcd3 } from 'etcd3';
import { EtcdCluster } from '../../src/cluster/etcd/index.js';
import { PartitionManager } from '../../src/cluster/partition-manager.js';
import { assignPartitions } from '../../src/cluster/placement.js';
import { haveEtcd, startEtcd, type EtcdServer } from '../helpers/etcd-server.js';
import { etcdTest } from '../helpers/etcd-test.js';
import { Ledger, RecordingOwner, waitUntil } from '../cluster-unit/fixture.js';
import { recordingLogger } from '../helpers/log.js';

const P = 32;
let etcd: EtcdServer | undefined;

test.before(async () => {
  if (haveEtcd()) etcd = await startEtcd({ members: 3 });
});
test.after.always(async () => {
  await etcd?.stop();
});

/** Index of the etcd member that is the raft leader now. */
async function leaderIndex(endpoints: string[]): Promise<number> {
  for (let i = 0; i < endpoints.length; i++) {
    const c = new Etcd3({ hosts: [endpoints[i]!] });
    try {
      const s = await c.maintenance.status();
      if (s.leader === s.header.member_id) return i;
    } finally {
      c.close();
    }
  }
  throw new Error('no etcd member says it is the leader');
}

etcdTest('a 3-member etcd keeps membership and claims working with one member killed', async (t) => {
  const prefix = `/test-three-${process.pid}/`;
  const ledger = new Ledger();
  const nodes: Array<{ id: string; cluster: EtcdCluster; manager: PartitionManager; errors: string[] }> = [];
  const add = async (id: string) => {
    const cluster = new EtcdCluster({ endpoints: etcd!.endpoints, prefix });
    const log = recordingLogger();
    const manager = new PartitionManager({
      membership: cluster.membership,
      claims: cluster.claims,
      owner: new RecordingOwner(id, ledger),
      self: { nodeId: id, grpcAddress: '127.0.0.1:1', startedAtMs: 0 },
      partitions: P,
      log,
    });
    nodes.push({ id, cluster, manager, get errors() { return log.problems(); } });
    await manager.start();
  };
  const converged = () => {
    const map = assignPartitions(nodes.map((n) => n.id), P);
    return nodes.every((n) => n.manager.settled()) && map.every((id, p) => ledger.holders.get(p)?.nodeId === id);
  };
  try {
    await add('n1');
    await add('n2');
    await waitUntil(converged, 'two managers on a healthy 3-member etcd', 10_000);
    const lostBefore = nodes.map((n) => n.manager.counters().lost);
    const leader = await leaderIndex(etcd!.endpoints);
    await etcd!.kill(leader);
    t.log(`killed etcd member ${leader} (the leader)`);
    // Outlive a lease TTL (2 s): keepalives must have moved to the surviving members.
    await new Promise((r) => setTimeout(r, 2500));
    t.deepEqual(nodes.map((n) => n.manager.counters().lost), lostBefore, `no lease was lost; errors: ${nodes.map((n) => n.errors.join('; ')).join(' | ')}`);
    // The cluster keeps working on the two remaining etcd members: a third node joins and takes
    // its share.
    await add('n3');
    const ms = await waitUntil(converged, 'n3 to join with one etcd member down', 15_000, 20);
    t.log(`n3 took its share in ${ms} ms`);
    t.deepEqual(nodes.slice(0, 2).map((n) => n.manager.counters().lost), lostBefore, 'still no lease lost');
    const probe = nodes[2]!.cluster.claims;
    for (const n of nodes) {
      for (const [p, epoch] of n.manager.ownedPartitions()) t.deepEqual(await probe.owner(p), { nodeId: n.id, epoch });
    }
    t.deepEqual(ledger.violations, []);
  } finally {
    for (const n of nodes) {
      await n.manager.stop().catch(() => undefined);
      await n.cluster.close().catch(() => undefined);
    }
  }
});
