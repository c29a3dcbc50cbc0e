import { ClusterHarness, clusterTest, doubleDriven, workflowJson } from './harness.js';

clusterTest('a 3-node cluster runs 1,000 instances of a multi-step workflow to completion', async (t) => {
  const h = await ClusterHarness.start({ nodes: 3 });
  t.teardown(() => h.stop());
  await h.client(0).createWorkflow(workflowJson('multi', [{ id: 'extract' }, { id: 'transform' }, { id: 'load' }]));
  const n = 1000;
  const ids: number[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(Array.from({ length: 50 }, (_, k) => h.client(i + k).startWorkflow({ workflowId: 'multi' })));
    ids.push(...batch.map((b) => b.instanceId));
  }
  t.is(new Set(ids).size, n, 'instance ids are unique across nodes');
  await h.waitAllEnded('multi', n, 120_000);
  const all = await h.listAll('multi');
  t.is(all.length, n);
  t.true(all.every((i) => i.status === 'SUCCEEDED'));
  const sample = await h.client(2).getInstance('multi', ids[17]!);
  t.deepEqual(sample.steps.map((s) => [s.stepId, s.status, s.attempts.length]), [
    ['extract', 'SUCCEEDED', 1],
    ['transform', 'SUCCEEDED', 1],
    ['load', 'SUCCEEDED', 1],
  ]);
  t.deepEqual(doubleDriven(h.sinkRecords()), []);
});
