/**
 * Workers across a cluster: two nodes over NATS + etcd (in this process), a TypeScript worker
 * connected to node A while the instance is owned by node B (the task crosses the cluster to
 * A's worker pool). A dies holding the task: the worker reconnects to B and finishes it, the
 * same attempt.
 */
import test from 'ava';
import { startClusterNode, type ClusterNode } from '../../src/node/cluster-node.js';
import { haveNats, NATS_MISSING, startNats, type NatsFixture } from '../helpers/nats-server.js';
import { etcdMissingReason, startEtcd, type EtcdServer } from '../helpers/etcd-server.js';
import { waitUntil } from '../cluster-unit/fixture.js';
import { partitionOf } from '../../src/core/partition.js';
import { createWorker, type Worker } from '../../src/sdk/worker.js';
import { waitForEnd } from '../helpers/wait.js';

const missing = haveNats() ? etcdMissingReason() : NATS_MISSING;
const nodeTest = missing ? test.skip : test.serial;
if (missing) console.warn(`worker NATS tests skipped: ${missing}`);

const PARTITIONS = 4;
let nats: NatsFixture | undefined;
let etcd: EtcdServer | undefined;
let a: ClusterNode | undefined;
let b: ClusterNode | undefined;
let worker: Worker | undefined;

test.before(async () => {
  if (missing) return;
  nats = await startNats({ jetstream: true });
  etcd = await startEtcd();
  const common = { nats: nats.urls, etcd: etcd.endpoints, grpcPort: 0, partitions: PARTITIONS, logLevel: 'error' };
  a = await startClusterNode({ ...common, nodeId: 'a' });
  b = await startClusterNode({ ...common, nodeId: 'b' });
  await waitUntil(() => a!.manager.settled() && b!.manager.settled() && b!.partitions.owned().size > 0 && a!.partitions.owned().size > 0, 'both nodes to own partitions', 30_000, 20);
});
test.after.always(async () => {
  await worker?.close();
  await a?.close();
  await b?.close();
  await etcd?.stop();
  await nats?.stop();
});

nodeTest('a worker on node A runs a step of an instance owned by B; A dies: the worker reconnects to B and finishes it', async (t) => {
  const onNode: string[] = [];
  const heldOnA = new Set<number>();
  worker = createWorker({
    address: [a!.grpcAddress, b!.grpcAddress],
    types: ['etl'],
    workerId: 'ts-1',
    reconnectInitialMs: 20,
    handler: (task) => {
      onNode.push(worker!.nodeId);
      if (worker!.nodeId === 'a') {
        heldOnA.add(task.instanceId);
        // on A a task never ends on its own: only a stop or A's death ends it
        return new Promise((_, reject) => task.signal.addEventListener('abort', () => reject(new Error('stream dropped'))));
      }
      return { rows: (task.params.n as number) * 10 };
    },
  });
  await worker.connected;
  t.is(worker.nodeId, 'a');
  await b!.api.createWorkflow(
    JSON.stringify({
      properties: { owner: 't', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 100 } },
      workflow: { id: 'etl', steps: [{ step: { id: 'load', type: 'etl', params: { n: { value: 4, type: 'LONG' } } } }] },
    }),
  );
  // an instance whose partition B owns (instance ids come from the queue: start until one lands there)
  let instanceId = 0;
  for (let i = 0; i < 40 && instanceId === 0; i++) {
    const run = await b!.api.startWorkflow({ workflowId: 'etl' });
    if (b!.partitions.owned().has(partitionOf(`etl/${run.instanceId}`, PARTITIONS))) instanceId = run.instanceId;
    else await b!.api.stop('etl', run.instanceId).catch(() => undefined);
  }
  t.not(instanceId, 0, 'an instance owned by B');
  await waitUntil(() => heldOnA.has(instanceId), 'the worker to hold the step (through A)', 10_000, 5);
  t.true(onNode.every((n) => n === 'a'));
  const reconnected = new Promise<string>((resolve) => worker!.once('connected', (nodeId: string) => resolve(nodeId)));
  await a!.crash();
  t.is(await reconnected, 'b');
  const end = await waitForEnd(b!.api, 'etl', instanceId, 20_000);
  t.is(end.status, 'SUCCEEDED', JSON.stringify(end.steps[0]!.attempts));
  t.is(end.steps[0]!.outputs.rows, 40);
  t.is(end.steps[0]!.attempts.length, 1, 'the same attempt, delivered again');
  t.is(onNode[onNode.length - 1], 'b');
});
