import test from 'ava';
import { MemoryCluster } from '../../src/cluster/memory/index.js';
import { PartitionManager, type OwnershipChange } from '../../src/cluster/partition-manager.js';
import { assignPartitions, countMoved } from '../../src/cluster/placement.js';
import { Ledger, RecordingOwner, waitUntil, type RecordingOwnerOptions } from './fixture.js';
import { recordingLogger } from '../helpers/log.js';

const P = 64;

interface TestNode {
  id: string;
  manager: PartitionManager;
  owner: RecordingOwner;
  errors: string[];
}

function harness(partitions = P) {
  const cluster = new MemoryCluster();
  const ledger = new Ledger();
  const nodes = new Map<string, TestNode>();
  async function add(id: string, ownerOpts?: RecordingOwnerOptions): Promise<TestNode> {
    const owner = new RecordingOwner(id, ledger, ownerOpts);
    const log = recordingLogger();
    const handle = cluster.connect();
    const manager = new PartitionManager({
      membership: handle,
      claims: handle,
      owner,
      self: { nodeId: id, grpcAddress: `${id}:1`, startedAtMs: Date.now() },
      partitions,
      claimRetry: { initialMs: 2, maxMs: 20 },
      rejoinRetry: { initialMs: 2, maxMs: 20 },
      log,
    });
    const node = { id, manager, owner, get errors() { return log.problems(); } };
    nodes.set(id, node);
    await manager.start();
    return node;
  }
  /** Every partition held once, by the node the map of the live members names. */
  function converged(): boolean {
    const ids = [...nodes.keys()];
    if (ids.length === 0) return false;
    const expected = assignPartitions(ids, partitions);
    return (
      ids.every((id) => nodes.get(id)!.manager.settled()) &&
      expected.every((id, p) => ledger.holders.get(p)?.nodeId === id && nodes.get(id)!.manager.ownedPartitions().has(p))
    );
  }
  const waitConverged = (what: string) => waitUntil(converged, what, 5000);
  async function stopAll(): Promise<void> {
    await Promise.all([...nodes.values()].map((n) => n.manager.stop()));
  }
  return { cluster, ledger, nodes, add, converged, waitConverged, stopAll };
}

test('three managers own every partition exactly once, as the map says', async (t) => {
  const h = harness();
  await Promise.all(['a', 'b', 'c'].map((id) => h.add(id)));
  await h.waitConverged('3 nodes to converge');
  const total = [...h.nodes.values()].reduce((n, x) => n + x.manager.ownedPartitions().size, 0);
  t.is(total, P);
  const map = assignPartitions(['a', 'b', 'c'], P);
  for (const node of h.nodes.values()) {
    for (let p = 0; p < P; p++) t.is(node.manager.ownerOf(p), map[p]);
  }
  t.deepEqual(h.ledger.violations, []);
  await h.stopAll();
  t.is(h.ledger.holders.size, 0, 'stop releases everything');
  t.deepEqual(h.cluster.view().members, []);
});

test('a fourth member takes about 1/4 of the partitions; handoff never overlaps', async (t) => {
  const h = harness(256);
  await Promise.all(['a', 'b', 'c'].map((id) => h.add(id, { releaseDelayMs: 3 })));
  await h.waitConverged('3 nodes');
  const before = h.ledger.ownersOf(256) as string[];
  const epochsBefore = new Map(h.ledger.lastEpoch);
  const releasedTotal = () => [...h.nodes.values()].reduce((n, x) => n + x.manager.counters().released, 0);
  const releasedBefore = releasedTotal();
  const d = await h.add('d');
  await h.waitConverged('4 nodes');
  const after = h.ledger.ownersOf(256) as string[];
  const moved = countMoved(before, after);
  t.true(moved >= 40 && moved <= 90, `moved ${moved}`);
  t.is(d.manager.ownedPartitions().size, moved);
  for (const [p, epoch] of d.manager.ownedPartitions()) t.true(epoch > epochsBefore.get(p)!, `partition ${p} epoch grew`);
  t.is(releasedTotal() - releasedBefore, moved);
  t.is(d.manager.counters().acquired, moved);
  t.deepEqual(h.ledger.violations, []);
  await h.stopAll();
});

test('a killed member\'s partitions are taken over by the others', async (t) => {
  const h = harness();
  await Promise.all(['a', 'b', 'c'].map((id) => h.add(id)));
  await h.waitConverged('3 nodes');
  const victim = h.nodes.get('b')!;
  const itsPartitions = [...victim.manager.ownedPartitions().keys()];
  t.true(itsPartitions.length > 0);
  const releasedBefore = victim.owner.released.length;
  h.cluster.kill('b');
  h.ledger.forget('b');
  h.nodes.delete('b');
  const ms = await h.waitConverged('takeover of b\'s partitions');
  t.log(`takeover took ${ms} ms`);
  for (const p of itsPartitions) t.not(h.ledger.holders.get(p)?.nodeId, 'b');
  t.is(victim.owner.released.length, releasedBefore, 'a crashed node releases nothing');
  t.deepEqual(h.ledger.violations, []);
  await h.stopAll();
});

test('an owner whose lease is lost releases everything with "lost", rejoins and reclaims with new epochs', async (t) => {
  const h = harness();
  await Promise.all(['a', 'b'].map((id) => h.add(id)));
  await h.waitConverged('2 nodes');
  const a = h.nodes.get('a')!;
  const held = new Map(a.manager.ownedPartitions());
  const changes: OwnershipChange[] = [];
  a.manager.onOwnershipChange((c) => changes.push(c));
  const skip = a.owner.released.length;
  h.ledger.fence('a');
  h.cluster.expireLease('a');
  await waitUntil(() => a.owner.released.length >= skip + held.size, 'a to release its partitions');
  const releases = a.owner.released.slice(skip, skip + held.size);
  t.deepEqual(
    releases.map((r) => r.reason),
    Array<string>(held.size).fill('lost'),
  );
  t.deepEqual(new Set(releases.map((r) => r.partition)), new Set(held.keys()));
  t.is(a.manager.counters().lost, held.size);
  t.true(a.errors.some((e) => /lease lost/.test(e)), 'the loss is reported');
  await h.waitConverged('a to rejoin and reclaim');
  for (const [p, epoch] of a.manager.ownedPartitions()) t.true(epoch > held.get(p)!, `partition ${p} has a new epoch`);
  const firstAcquire = changes.findIndex((c) => c.kind === 'acquired');
  t.true(changes.slice(0, firstAcquire).every((c) => c.kind === 'released' && c.reason === 'lost'));
  t.deepEqual(h.ledger.violations, []);
  await h.stopAll();
});

test('a failing acquire is reported and retried with a fresh claim', async (t) => {
  const h = harness(8);
  const a = await h.add('a', { failAcquires: 3 });
  await h.waitConverged('a to own all after failures');
  t.is(a.errors.filter((e) => /injected acquire failure/.test(e)).length, 3);
  t.is(a.manager.ownedPartitions().size, 8);
  t.deepEqual(h.ledger.violations, []);
  await h.stopAll();
});

test('slow releases are awaited before the claim is given up; the taker retries meanwhile', async (t) => {
  const h = harness(16);
  const a = await h.add('a', { releaseDelayMs: 30 });
  await h.waitConverged('a alone');
  const b = await h.add('b');
  await h.waitConverged('a and b');
  t.true(b.manager.counters().claimConflicts > 0, 'b found claims still held while a was releasing');
  t.is(a.manager.counters().released, b.manager.ownedPartitions().size);
  t.deepEqual(h.ledger.violations, []);
  await h.stopAll();
});

test('stop hands partitions to the remaining members', async (t) => {
  const h = harness();
  await Promise.all(['a', 'b', 'c'].map((id) => h.add(id)));
  await h.waitConverged('3 nodes');
  const c = h.nodes.get('c')!;
  const had = c.manager.ownedPartitions().size;
  h.nodes.delete('c');
  await c.manager.stop();
  t.is(c.manager.ownedPartitions().size, 0);
  t.is(c.owner.released.filter((r) => r.reason === 'rebalance').length, had);
  await h.waitConverged('a and b to take c\'s partitions');
  t.deepEqual(h.ledger.violations, []);
  await h.stopAll();
});

test('a start whose join fails can be retried; bad partition counts are refused', async (t) => {
  const cluster = new MemoryCluster();
  const handle = cluster.connect();
  const ledger = new Ledger();
  const make = (nodeId: string, partitions = 4) =>
    new PartitionManager({
      membership: handle,
      claims: handle,
      owner: new RecordingOwner('a', ledger),
      self: { nodeId, grpcAddress: 'a:1', startedAtMs: 0 },
      partitions,
      log: recordingLogger(),
    });
  const bad = make('not/valid');
  await t.throwsAsync(bad.start(), { message: /member\.nodeId/ });
  const good = make('a');
  await good.start();
  await waitUntil(() => good.settled() && good.ownedPartitions().size === 4, 'a to own all 4');
  await good.stop();
  t.throws(() => make('a', 0), { message: /partitions: must be an integer from 1 to 65536/ });
});
