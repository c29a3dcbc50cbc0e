import test from 'ava';
import { EtcdCluster } from '../../src/cluster/etcd/index.js';
import { PartitionManager } from '../../src/cluster/partition-manager.js';
import { assignPartitions } from '../../src/cluster/placement.js';
import { haveEtcd, startEtcd, type EtcdServer } from '../helpers/etcd-server.js';
import { etcdTest } from '../helpers/etcd-test.js';
import { Ledger, RecordingOwner, waitUntil } from '../cluster-unit/fixture.js';
import { recordingLogger } from '../helpers/log.js';

const P = 64;
let etcd: EtcdServer | undefined;

test.before(async () => {
  if (haveEtcd()) etcd = await startEtcd();
});
test.after.always(async () => {
  await etcd?.stop();
});

interface Node {
  id: string;
  cluster: EtcdCluster;
  manager: PartitionManager;
  owner: RecordingOwner;
  errors: string[];
}

let prefixes = 0;
function harness(endpoints: () => string[], clusterOpts: { leaseTtlMs?: number; callTimeoutMs?: number } = {}) {
  const prefix = `/test-pm-${process.pid}-${++prefixes}/`;
  const ledger = new Ledger();
  const nodes = new Map<string, Node>();
  async function add(id: string): Promise<Node> {
    const cluster = new EtcdCluster({ endpoints: endpoints(), prefix, ...clusterOpts });
    const owner = new RecordingOwner(id, ledger);
    const log = recordingLogger();
    const manager = new PartitionManager({
      membership: cluster.membership,
      claims: cluster.claims,
      owner,
      self: { nodeId: id, grpcAddress: `127.0.0.1:${5000 + nodes.size}`, startedAtMs: Date.now() },
      partitions: P,
      log,
    });
    const node = { id, cluster, manager, owner, get errors() { return log.problems(); } };
    nodes.set(id, node);
    await manager.start();
    return node;
  }
  function converged(): boolean {
    const ids = [...nodes.keys()];
    const map = assignPartitions(ids, P);
    return (
      [...nodes.values()].every((n) => n.manager.settled()) &&
      map.every((id, p) => ledger.holders.get(p)?.nodeId === id && nodes.get(id)!.manager.ownedPartitions().has(p))
    );
  }
  async function stopAll(): Promise<void> {
    await Promise.all(
      [...nodes.values()].map(async (n) => {
        await n.manager.stop().catch(() => undefined);
        await n.cluster.close().catch(() => undefined);
      }),
    );
    nodes.clear();
  }
  return { ledger, nodes, add, converged, stopAll };
}

etcdTest('three managers against one etcd own every partition exactly once', async (t) => {
  const h = harness(() => etcd!.endpoints);
  try {
    await Promise.all(['n1', 'n2', 'n3'].map((id) => h.add(id)));
    const ms = await waitUntil(h.converged, 'three managers to converge', 10_000);
    t.log(`converged in ${ms} ms`);
    const owned = [...h.nodes.values()].map((n) => [...n.manager.ownedPartitions().keys()]).flat();
    t.is(owned.length, P);
    t.is(new Set(owned).size, P);
    // The store agrees: each claim key names the owner and carries the epoch the owner was given.
    const probe = h.nodes.get('n1')!.cluster.claims;
    for (const n of h.nodes.values()) {
      for (const [p, epoch] of n.manager.ownedPartitions()) t.deepEqual(await probe.owner(p), { nodeId: n.id, epoch });
    }
    t.deepEqual(h.ledger.violations, []);
  } finally {
    await h.stopAll();
  }
});

etcdTest('a killed member\'s partitions are owned by the others within 5 s', async (t) => {
  const h = harness(() => etcd!.endpoints);
  try {
    await Promise.all(['n1', 'n2', 'n3'].map((id) => h.add(id)));
    await waitUntil(h.converged, 'three managers to converge', 10_000);
    const victim = h.nodes.get('n2')!;
    const itsPartitions = [...victim.manager.ownedPartitions()];
    t.true(itsPartitions.length > 0);
    h.nodes.delete('n2');
    const start = Date.now();
    await victim.cluster.abandon(); // kill -9: keepalives stop, nothing is released or revoked
    h.ledger.forget('n2');
    await waitUntil(h.converged, 'n1 and n3 to take over', 8000, 20);
    const took = Date.now() - start;
    t.log(`takeover after ${took} ms`);
    t.true(took <= 5000, `takeover took ${took} ms`);
    const probe = h.nodes.get('n1')!.cluster.claims;
    for (const [p, oldEpoch] of itsPartitions) {
      const claim = await probe.owner(p);
      t.true(claim !== undefined && claim.nodeId !== 'n2' && claim.epoch > oldEpoch, `partition ${p}`);
    }
    t.deepEqual(h.ledger.violations, []);
    await victim.manager.stop().catch(() => undefined);
  } finally {
    await h.stopAll();
  }
});

etcdTest('a joining member takes its share; a leaving member hands its partitions over', async (t) => {
  const h = harness(() => etcd!.endpoints);
  try {
    await Promise.all(['n1', 'n2'].map((id) => h.add(id)));
    await waitUntil(h.converged, 'two managers', 10_000);
    const n3 = await h.add('n3');
    await waitUntil(h.converged, 'n3 to take its share', 10_000);
    t.is(n3.manager.ownedPartitions().size, assignPartitions(['n1', 'n2', 'n3'], P).filter((id) => id === 'n3').length);
    const n1 = h.nodes.get('n1')!;
    h.nodes.delete('n1');
    await n1.manager.stop();
    await n1.cluster.close();
    t.is(n1.manager.ownedPartitions().size, 0);
    await waitUntil(h.converged, 'n2 and n3 to take n1\'s partitions', 10_000);
    t.deepEqual(h.ledger.violations, []);
  } finally {
    await h.stopAll();
  }
});

etcdTest('nodes cut off from etcd past the silence limit step down with "lost", then rejoin with new epochs', async (t) => {
  const h = harness(() => etcd!.endpoints, { leaseTtlMs: 1000, callTimeoutMs: 1500 });
  const pid = etcd!.pids[0]!;
  try {
    await Promise.all(['n1', 'n2'].map((id) => h.add(id)));
    await waitUntil(h.converged, 'two managers', 10_000);
    const before = new Map([...h.nodes.values()].flatMap((n) => [...n.manager.ownedPartitions()]));
    process.kill(pid, 'SIGSTOP'); // etcd freezes: no keepalive is answered
    try {
      await waitUntil(
        () => [...h.nodes.values()].every((n) => n.manager.ownedPartitions().size === 0),
        'both nodes to step down',
        6000,
        20,
      );
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    for (const n of h.nodes.values()) {
      t.true(n.owner.released.filter((r) => r.reason === 'lost').length > 0, `${n.id} released with 'lost'`);
      t.true(n.errors.some((e) => /lease lost/.test(e)), n.errors.join("\n")); // by silence or by etcd expiring it, whichever is seen first
    }
    await waitUntil(h.converged, 'both nodes to rejoin and reclaim', 15_000, 20);
    for (const n of h.nodes.values()) {
      for (const [p, epoch] of n.manager.ownedPartitions()) t.true(epoch > before.get(p)!, `partition ${p} has a new epoch`);
    }
  } finally {
    await h.stopAll();
  }
});
