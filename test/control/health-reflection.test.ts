import test from 'ava';
import { TAG_PERMIT_SERVICE } from '../../src/control/tag-permit-service.js';
import { SIGNAL_SERVICE } from '../../src/control/signal-service.js';
import { TRIGGER_SERVICE } from '../../src/control/trigger-service.js';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import { CLUSTER_SERVICE, INSTANCE_SERVICE, WORKFLOW_SERVICE, HEALTH_SERVICE, startGrpcServer } from '../../src/control/server.js';
import { createControlClient } from '../../src/control/client.js';
import { STEP_SERVICE } from '../../src/control/step-service.js';
import { REFLECTION_V1ALPHA_SERVICE, REFLECTION_V1_SERVICE } from '../../src/control/reflection.js';
import { startHarness, startNode, withoutClusterInfo } from './harness.js';

/** A reflection client built from grpc's reflection.proto (proto/grpc/reflection), as grpcurl would use it. */
function reflectionClient(address: string): grpc.Client & { ServerReflectionInfo(): grpc.ClientDuplexStream<unknown, unknown> } {
  const protoFile = fileURLToPath(new URL('../../proto/grpc/reflection/v1/reflection.proto', import.meta.url));
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(protoFile, { keepCase: true })) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } };
  };
  return new pkg.grpc.reflection.v1.ServerReflection(address, grpc.credentials.createInsecure()) as never;
}

function reflect(address: string, request: Record<string, unknown>): Promise<Record<string, any>> {
  const client = reflectionClient(address);
  return new Promise((resolve, reject) => {
    const stream = client.ServerReflectionInfo();
    stream.on('data', (res: Record<string, any>) => {
      resolve(res);
      stream.end();
      client.close();
    });
    stream.on('error', reject);
    stream.write(request);
  });
}

test('health reports SERVING for the server and each service; a closed server is UNAVAILABLE', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.close());
  const client = h.client;
  t.is(await client.checkHealth(), 'SERVING');
  t.is(await client.checkHealth(WORKFLOW_SERVICE), 'SERVING');
  t.is(await client.checkHealth(INSTANCE_SERVICE), 'SERVING');
  t.is(await client.checkHealth(CLUSTER_SERVICE), 'SERVING');
  const unknown = await t.throwsAsync(client.checkHealth('no.such.Service'));
  t.like(unknown, { kind: 'not_found' });
  await h.server.close();
  const after = createControlClient(h.address, { callTimeoutMs: 2000 });
  const down = await t.throwsAsync(after.checkHealth());
  t.like(down, { kind: 'unavailable' });
  after.close();
});

test('reflection lists the maestro and health services and describes their files', async (t) => {
  const h = await startHarness({ serve: (node) => withoutClusterInfo(node.api) });
  t.teardown(() => h.close());
  const address = h.address;

  const listed = await reflect(address, { list_services: '*' });
  const names = (listed['list_services_response']['service'] as Array<{ name: string }>).map((s) => s.name).sort();
  t.deepEqual(names, [HEALTH_SERVICE, INSTANCE_SERVICE, STEP_SERVICE, SIGNAL_SERVICE, TAG_PERMIT_SERVICE, TRIGGER_SERVICE, WORKFLOW_SERVICE, REFLECTION_V1_SERVICE, REFLECTION_V1ALPHA_SERVICE].sort(), 'only the services served: no clusterInfo, no ClusterService');

  const file = await reflect(address, { file_containing_symbol: 'maestro.v1.InstanceService' });
  const protos = file['file_descriptor_response']['file_descriptor_proto'] as Buffer[];
  t.true(protos.length >= 1);
  const text = Buffer.concat(protos).toString('latin1');
  for (const word of ['WatchInstance', 'InstanceChange', 'StartWorkflowRequest']) t.true(text.includes(word), word);
});

test('port 0 picks a free port; two servers get different ones', async (t) => {
  const { node } = await startNode();
  const a = await startGrpcServer(node.api, { port: 0 });
  const b = await startGrpcServer(node.api, { port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await a.close();
    await b.close();
    await node.close();
  });
  t.true(a.port > 0 && b.port > 0);
  t.not(a.port, b.port);
  const client = createControlClient(`127.0.0.1:${b.port}`);
  t.is(await client.checkHealth(), 'SERVING');
  client.close();
});

test('reflection lists ClusterService when the api has clusterInfo (the embedded node) and describes it', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.close());
  const address = h.address;
  const listed = await reflect(address, { list_services: '*' });
  const names = (listed['list_services_response']['service'] as Array<{ name: string }>).map((s) => s.name).sort();
  t.deepEqual(names, [CLUSTER_SERVICE, HEALTH_SERVICE, INSTANCE_SERVICE, STEP_SERVICE, SIGNAL_SERVICE, TAG_PERMIT_SERVICE, TRIGGER_SERVICE, WORKFLOW_SERVICE, REFLECTION_V1_SERVICE, REFLECTION_V1ALPHA_SERVICE].sort());

  const file = await reflect(address, { file_containing_symbol: CLUSTER_SERVICE });
  const text = Buffer.concat(file['file_descriptor_response']['file_descriptor_proto'] as Buffer[]).toString('latin1');
  for (const word of ['GetClusterInfo', 'PartitionOwner', 'NodeHealth', 'membership_version']) t.true(text.includes(word), word);
  const instance = await reflect(address, { file_containing_symbol: 'maestro.v1.InstanceService.PutStepOutputs' });
  const instanceText = Buffer.concat(instance['file_descriptor_response']['file_descriptor_proto'] as Buffer[]).toString('latin1');
  t.true(instanceText.includes('PutStepOutputsRequest'));
});
