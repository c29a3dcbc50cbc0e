/**
 * The cluster against real servers: nats-server (JetStream) and etcd on free ports, nodes as
 * child processes. Serial: each test runs several processes on a small machine.
 */
import { EtcdCluster } from '../../src/cluster/etcd/index.js';
import { partitionOf } from '../../src/core/partition.js';
import { waitForEnd } from '../helpers/wait.js';
import { ClusterHarness, clusterTest, doubleDriven, workflowJson, type NodeProc } from './harness.js';

const PARTITIONS = 64;

async function startMany(h: ClusterHarness, workflowId: string, n: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, k) => h.client(i + k).startWorkflow({ workflowId })));
    ids.push(...batch.map((b) => b.instanceId));
  }
  return ids;
}

/** Reads the partition -> owner map straight from etcd. */
async function ownerMap(etcd: EtcdCluster): Promise<Array<string | undefined>> {
  return Promise.all(Array.from({ length: PARTITIONS }, async (_, p) => (await etcd.claims.owner(p))?.nodeId));
}

async function assertAllSucceededOnce(t: import('ava').ExecutionContext, h: ClusterHarness, workflowId: string, ids: number[]) {
  const all = await h.listAll(workflowId);
  t.is(all.length, ids.length);
  const notOk = all.filter((i) => i.status !== 'SUCCEEDED');
  t.deepEqual(notOk, [], 'every instance SUCCEEDED');
  for (const id of ids.filter((_, i) => i % 25 === 0)) {
    const v = await h.client(id).getInstance(workflowId, id);
    for (const s of v.steps) {
      t.is(s.status, 'SUCCEEDED');
      t.is(s.attempts.length, 1, `${workflowId}/${id}/${s.stepId} has one attempt`);
    }
  }
  const records = h.sinkRecords();
  t.true(records.some((r) => r.kind === 'accept'), 'executors recorded what they accepted');
  t.deepEqual(doubleDriven(records), [], "no executor accepted a former owner's task once it knew the new owner");
}

clusterTest('a 3-node cluster runs 1,000 instances of a multi-step workflow to completion', async (t) => {
  const h = await ClusterHarness.start({ nodes: 3 });
  t.teardown(() => h.stop());
  await h.client(0).createWorkflow(workflowJson('multi', [{ id: 'extract' }, { id: 'transform' }, { id: 'load' }]));
  const ids = await startMany(h, 'multi', 1000);
  t.is(new Set(ids).size, 1000, 'instance ids are unique across nodes');
  await h.waitAllEnded('multi', 1000, 120_000);
  await assertAllSucceededOnce(t, h, 'multi', ids);
});

clusterTest('kill -9 one node mid-run: its partitions move within 5 s and every instance completes', async (t) => {
  const h = await ClusterHarness.start({ nodes: 3 });
  t.teardown(() => h.stop());
  const etcd = new EtcdCluster({ endpoints: h.etcd.endpoints });
  t.teardown(() => etcd.close());
  await h.client(0).createWorkflow(workflowJson('failover', [{ id: 'a' }, { id: 'nap', probeMs: 1500 }, { id: 'b' }]));
  const ids = await startMany(h, 'failover', 300);
  await h.waitForRecords('naps accepted', 100, (r) => r.kind === 'accept' && r.attemptId.includes('/nap/')); // mid-run
  const victim = h.nodes[2]!;
  const before = await ownerMap(etcd);
  const theirs = before.filter((o) => o === victim.nodeId).length;
  t.true(theirs > 0, 'the victim owned partitions');
  const killedAt = Date.now();
  await h.kill9(victim);
  let failoverMs = 0;
  for (;;) {
    const now = await ownerMap(etcd);
    if (now.every((o) => o !== undefined && o !== victim.nodeId)) {
      failoverMs = Date.now() - killedAt;
      break;
    }
    if (Date.now() - killedAt > 20_000) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  t.log(`failover after kill -9: ${failoverMs} ms for ${theirs} partitions`);
  t.true(failoverMs > 0 && failoverMs <= 5_000, `failover took ${failoverMs} ms`);
  try {
    await h.waitAllEnded('failover', ids.length, 30_000);
  } catch (e) {
    const stuck = (await h.listAll('failover')).filter((i) => i.status === 'IN_PROGRESS').slice(0, 3);
    for (const s of stuck) t.log(JSON.stringify((await h.client(0).getInstance('failover', s.instanceId)).steps.map((x) => [x.stepId, x.status, x.attempts.map((a) => a.attemptId)])));
    t.log(JSON.stringify(h.sinkRecords().filter((r) => stuck.some((s) => r.attemptId.startsWith(`failover/${s.instanceId}/`)))));
    throw e;
  }
  await assertAllSucceededOnce(t, h, 'failover', ids);
});

clusterTest('adding a fourth node mid-run moves about a quarter of the partitions; every instance completes', async (t) => {
  const h = await ClusterHarness.start({ nodes: 3 });
  t.teardown(() => h.stop());
  const etcd = new EtcdCluster({ endpoints: h.etcd.endpoints });
  t.teardown(() => etcd.close());
  await h.client(0).createWorkflow(workflowJson('grow', [{ id: 'a', probeMs: 300 }, { id: 'b', probeMs: 300 }, { id: 'c' }]));
  const ids = await startMany(h, 'grow', 300);
  const before = await ownerMap(etcd);
  const fourth: NodeProc = await h.addNode();
  let after = await ownerMap(etcd);
  for (let i = 0; i < 100 && after.filter((o) => o === fourth.nodeId).length < PARTITIONS / 8; i++) {
    await new Promise((r) => setTimeout(r, 100));
    after = await ownerMap(etcd);
  }
  const moved = after.filter((o, p) => o !== before[p]).length;
  t.log(`partitions moved on join: ${moved} of ${PARTITIONS}`);
  t.true(moved >= PARTITIONS / 8 && moved <= (PARTITIONS * 3) / 8, `moved ${moved}`);
  await h.waitAllEnded('grow', ids.length, 90_000);
  await assertAllSucceededOnce(t, h, 'grow', ids);
});

clusterTest('a paused owner (SIGSTOP past its lease) is fenced: it steps down and nothing is lost', async (t) => {
  const h = await ClusterHarness.start({ nodes: 3 });
  t.teardown(() => h.stop());
  const etcd = new EtcdCluster({ endpoints: h.etcd.endpoints });
  t.teardown(() => etcd.close());
  await h.client(0).createWorkflow(workflowJson('pause', [{ id: 'a', probeMs: 200 }, { id: 'b', probeMs: 1000 }, { id: 'c' }]));
  const ids = await startMany(h, 'pause', 200);
  const sleeper = h.nodes[1]!;
  sleeper.child.kill('SIGSTOP');
  const stoppedAt = Date.now();
  for (;;) {
    const owners = await ownerMap(etcd);
    if (owners.every((o) => o !== undefined && o !== sleeper.nodeId)) break;
    if (Date.now() - stoppedAt > 20_000) t.fail('nobody took over the paused node partitions');
    await new Promise((r) => setTimeout(r, 100));
  }
  sleeper.child.kill('SIGCONT');
  try {
    await h.waitAllEnded('pause', ids.length, 90_000);
  } catch (e) {
    const stuck = (await h.listAll('pause')).filter((i) => i.status !== 'SUCCEEDED').slice(0, 4);
    for (const s of stuck) t.log(s.instanceId, s.status, JSON.stringify((await h.client(0).getInstance('pause', s.instanceId)).steps.map((x) => [x.stepId, x.status, x.attempts.map((a) => a.attemptId)])));
    for (const tag of ['maestro_pause', 'maestro_pause:b']) t.log(JSON.stringify(await h.client(0).getTagPermit(tag)));
    for (const line of h.nodeLogs().slice(-30)) t.log(line.slice(0, 600));
    throw e;
  }
  await assertAllSucceededOnce(t, h, 'pause', ids);
});

clusterTest('losing one of 3 NATS servers and one of 3 etcd members: progress resumes, nothing lost', async (t) => {
  const h = await ClusterHarness.start({ nodes: 3, natsServers: 3, etcdMembers: 3, env: { MAESTRO_REPLICAS: '3' } });
  t.teardown(() => h.stop());
  await h.client(0).createWorkflow(workflowJson('infra', [{ id: 'a', probeMs: 200 }, { id: 'b', probeMs: 800 }, { id: 'c' }]));
  const ids = await startMany(h, 'infra', 200);
  await h.nats.kill(1);
  await h.etcd.kill(2);
  await h.waitAllEnded('infra', ids.length, 120_000);
  await assertAllSucceededOnce(t, h, 'infra', ids);
});

clusterTest('nodes without executors leave steps to a `maestro worker` process', async (t) => {
  const h = await ClusterHarness.start({ nodes: 2, env: { MAESTRO_NO_EXECUTOR: '1' } });
  t.teardown(() => h.stop());
  await h.addWorker('worker-1');
  await h.client(0).createWorkflow(workflowJson('offload', [{ id: 'a' }, { id: 'b', probeMs: 50 }]));
  const ids = await startMany(h, 'offload', 100);
  await h.waitAllEnded('offload', ids.length, 60_000);
  await assertAllSucceededOnce(t, h, 'offload', ids);
  const runs = h.sinkRecords().filter((r) => r.kind === 'run');
  t.is(runs.length, 200);
  t.true(runs.every((r) => r.node === 'worker-1'), 'every step ran on the worker');
});

clusterTest("kill -9 the node that owns a foreach while it launches: no iteration lost or run twice, iterations spread over the cluster", async (t) => {
  const h = await ClusterHarness.start({ nodes: 3 });
  t.teardown(() => h.stop());
  const etcd = new EtcdCluster({ endpoints: h.etcd.endpoints });
  t.teardown(() => etcd.close());
  const N = 300;
  await h.client(0).createWorkflow(
    JSON.stringify({
      properties: { owner: 'cluster-test', run_strategy: 'parallel' },
      workflow: {
        id: 'loop-failover',
        instance_step_concurrency: 100,
        steps: [
          {
            foreach: {
              id: 'loop',
              concurrency: 100,
              params: { loop_params: { value: { i: { expression: `Util.intsBetween(0, ${N}, 1)`, type: 'LONG_ARRAY' } }, type: 'MAP' } },
              steps: [{ step: { id: 'p', type: 'Probe', params: { probe_ms: { value: 200, type: 'LONG' } } } }],
            },
          },
        ],
      },
    }),
  );
  const run = await h.client(0).startWorkflow({ workflowId: 'loop-failover' });
  const owner = (await ownerMap(etcd))[partitionOf(`loop-failover/${run.instanceId}`, PARTITIONS)];
  const victim = h.nodes.find((n) => n.nodeId === owner)!;
  t.truthy(victim, 'the parent has an owner');
  await h.waitForRecords('first iterations accepted', 10, (r) => r.kind === 'accept' && r.attemptId.startsWith('maestro_foreach_'));
  await h.kill9(victim);
  const survivor = h.nodes.find((n) => n !== victim)!;
  // watched through a survivor: its watch reaches whichever node owns the parent after the kill
  const end = await waitForEnd(survivor.client, 'loop-failover', run.instanceId, 90_000);
  t.is(end.status, 'SUCCEEDED', end.error);
  const o = end.steps[0]!.overview;
  if (o?.kind !== 'foreach') return t.fail('no foreach overview');
  t.deepEqual(o.details, { SUCCEEDED: [[1, N]] });
  t.is(o.rollup.total, N, 'each iteration counted once');
  const iterations = await h.listAll(o.inlineWorkflowId);
  t.is(iterations.length, N, 'no iteration lost or created twice');
  const parts = new Set(iterations.map((i) => partitionOf(`${o.inlineWorkflowId}/${i.instanceId}`, PARTITIONS)));
  t.true(parts.size > PARTITIONS / 2, `iterations spread over ${parts.size} partitions`);
  const runs = h.sinkRecords().filter((r) => r.kind === 'accept' && r.attemptId.startsWith(o.inlineWorkflowId));
  const perIteration = new Map<string, number>();
  for (const r of runs) perIteration.set(r.attemptId, (perIteration.get(r.attemptId) ?? 0) + 1);
  t.is(perIteration.size, N, 'every iteration ran its step');
  t.deepEqual(doubleDriven(h.sinkRecords()), [], "no executor accepted a former owner's task once it knew the new owner");
});

clusterTest('kill -9 the node that owns a SEQUENTIAL queue: numbering 1..N holds, every run completes, no two ever overlap', async (t) => {
  const h = await ClusterHarness.start({ nodes: 3 });
  t.teardown(() => h.stop());
  const etcd = new EtcdCluster({ endpoints: h.etcd.endpoints });
  t.teardown(() => etcd.close());
  const N = 20;
  await h.client(0).createWorkflow(
    JSON.stringify({
      properties: { owner: 'cluster-test', run_strategy: 'sequential' },
      workflow: { id: 'seq-failover', steps: [{ step: { id: 'p', type: 'Probe', params: { probe_ms: { value: 150, type: 'LONG' } } } }] },
    }),
  );
  const ids: number[] = [];
  for (let i = 0; i < N; i++) ids.push((await h.client(i).startWorkflow({ workflowId: 'seq-failover' })).instanceId);
  t.deepEqual([...ids].sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i + 1), 'numbered 1..N across nodes');
  const owner = (await ownerMap(etcd))[partitionOf('~queue/seq-failover', PARTITIONS)];
  const victim = h.nodes.find((n) => n.nodeId === owner)!;
  t.truthy(victim, 'the queue has an owner');
  await h.waitForRecords('a few runs done', 3, (r) => r.kind === 'run' && r.attemptId.startsWith('seq-failover/'));
  await h.kill9(victim);
  await h.waitAllEnded('seq-failover', N, 90_000);
  const all = await h.listAll('seq-failover');
  t.is(all.length, N);
  t.deepEqual(all.filter((i) => i.status !== 'SUCCEEDED'), [], 'every run SUCCEEDED');
  // One completed run per instance, in instance order, none overlapping the next.
  const runs = h
    .sinkRecords()
    .filter((r): r is Extract<typeof r, { kind: 'run' }> => r.kind === 'run' && r.attemptId.startsWith('seq-failover/'))
    .sort((a, b) => a.startMs - b.startMs);
  const firstRun = new Map<number, { startMs: number; endMs: number }>();
  for (const r of runs) {
    const id = Number(r.attemptId.split('/')[1]);
    if (!firstRun.has(id)) firstRun.set(id, r);
  }
  t.is(firstRun.size, N);
  const order = [...firstRun.entries()].sort((a, b) => a[1].startMs - b[1].startMs);
  t.deepEqual(order.map(([id]) => id), Array.from({ length: N }, (_, i) => i + 1), 'runs start in instance order');
  for (let i = 1; i < order.length; i++) {
    t.true(order[i]![1].startMs >= order[i - 1]![1].endMs, `run ${order[i]![0]} started after run ${order[i - 1]![0]} ended`);
  }
});
