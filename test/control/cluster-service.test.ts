import test from 'ava';
import { status } from '@grpc/grpc-js';
import { CLUSTER_SERVICE } from '../../src/control/server.js';
import { ControlError } from '../../src/control/errors.js';
import { MaestroError } from '../../src/core/errors.js';
import { clusterInfoFromProto, clusterInfoToProto } from '../../src/control/cluster-service.js';
import type { ClusterInfo, EngineApi } from '../../src/workflow/engine-api.js';
import { startHarness, TEST_PARTITIONS, withoutClusterInfo, type Harness } from './harness.js';
import { waitForEnd } from '../helpers/wait.js';

// ClusterService over gRPC against the real embedded node (a real cluster is checked elsewhere).

let h: Harness;
test.before(async () => {
  h = await startHarness();
});
test.after.always(async () => {
  await h?.close();
});

test('the embedded node is one member owning every partition with an epoch of at least 1', async (t) => {
  const info = await h.client.clusterInfo();
  t.is(info.mode, 'embedded');
  t.is(info.selfNodeId, 'embedded');
  t.deepEqual(info.members.map((m) => m.nodeId), ['embedded']);
  t.true((info.members[0]?.startedAtMs ?? 0) > 0 && (info.members[0]?.startedAtMs ?? Infinity) <= Date.now());
  t.is(info.partitions.length, TEST_PARTITIONS);
  t.deepEqual(info.partitions.map((p) => p.partition), Array.from({ length: info.partitions.length }, (_, i) => i), 'index = partition');
  for (const p of info.partitions) {
    t.is(p.nodeId, 'embedded', `partition ${p.partition}`);
    t.true(Number.isSafeInteger(p.epoch) && p.epoch >= 1, `partition ${p.partition} epoch ${p.epoch}`);
  }
  t.is(info.health.ownedPartitions, info.partitions.length);
  t.true(info.health.uptimeMs >= 0);
  t.is(info.health.membershipVersion, 0);
  t.is(await h.client.checkHealth(CLUSTER_SERVICE), 'SERVING');
});

test('instances in memory count the runs the node hosts', async (t) => {
  const before = (await h.client.clusterInfo()).health.instancesInMemory;
  await h.client.createWorkflow(
    JSON.stringify({ properties: { owner: 'tester' }, workflow: { id: 'cs-quick', steps: [{ step: { id: 'a', type: 'NoOp' } }] } }),
  );
  const { instanceId } = await h.client.startWorkflow({ workflowId: 'cs-quick' });
  await waitForEnd(h.client, 'cs-quick', instanceId);
  t.is((await h.client.clusterInfo()).health.instancesInMemory, before + 1);
});

test('ClusterInfo survives the trip through the proto unchanged', (t) => {
  const info: ClusterInfo = {
    selfNodeId: 'n2',
    mode: 'cluster',
    members: [
      { nodeId: 'n1', grpcAddress: '10.0.0.1:50051', startedAtMs: 1_700_000_000_000 },
      { nodeId: 'n2', grpcAddress: '10.0.0.2:50051', startedAtMs: 1_700_000_001_000 },
    ],
    partitions: [
      { partition: 0, nodeId: 'n1', epoch: 7 },
      { partition: 1, nodeId: '', epoch: 0 },
    ],
    health: { ownedPartitions: 1, instancesInMemory: 12, uptimeMs: 3456, membershipVersion: 9 },
  };
  t.deepEqual(clusterInfoFromProto(clusterInfoToProto(info)), info);
});

test('a server over an api without clusterInfo does not serve ClusterService', async (t) => {
  const bare = await startHarness({ serve: (node) => withoutClusterInfo(node.api) });
  t.teardown(() => bare.close());
  const err = await t.throwsAsync(bare.client.clusterInfo(), { instanceOf: ControlError });
  t.is(err?.code, status.UNIMPLEMENTED);
  await t.throwsAsync(bare.client.checkHealth(CLUSTER_SERVICE), { instanceOf: ControlError });
  t.is(await bare.client.checkHealth(), 'SERVING', 'the rest is served');
});

test('engine errors from clusterInfo map to gRPC codes', async (t) => {
  // The embedded node always knows its membership; a cluster node whose view is not loaded yet
  // answers like this, so that answer is put in front of the real node here.
  const failing = await startHarness({
    serve: (node) =>
      Object.create(node.api, {
        clusterInfo: {
          value: async (): Promise<ClusterInfo> => {
            throw new MaestroError('unavailable', 'membership view not loaded yet');
          },
        },
      }) as EngineApi,
  });
  t.teardown(() => failing.close());
  const err = await t.throwsAsync(failing.client.clusterInfo(), { instanceOf: ControlError });
  t.like(err, { code: status.UNAVAILABLE, kind: 'unavailable', retryable: true, message: 'membership view not loaded yet' });
});
