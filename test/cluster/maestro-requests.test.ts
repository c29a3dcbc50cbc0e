/**
 * Maestro-shaped create requests on a cluster node (real nats-server and etcd): the version
 * header and records live in JetStream KV, so an inactive first version, properties merged
 * over the previous version's and extra_info must hold there as in embedded mode.
 */
import { status } from '@grpc/grpc-js';
import { fileURLToPath } from 'node:url';
import { ControlError } from '../../src/control/errors.js';
import { maestro } from '../cli/helpers.js';
import { waitForEnd } from '../helpers/wait.js';
import { ClusterHarness, clusterTest } from './harness.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/maestro-requests/${name}`, import.meta.url));
const WF = 'req-shape-wf';

clusterTest('cluster node: inactive first version, inherited properties, extra_info, activate', async (t) => {
  const h = await ClusterHarness.start({ nodes: 1 });
  try {
    const server = ['--server', h.nodes[0]!.grpcAddress];
    const client = h.client();
    const p1 = await maestro(['push', fixture('v1-dsl-client.json'), ...server]);
    t.regex(p1.stdout, /version 1 \(inactive; active version is none\)/, p1.stderr);
    const refused = await client.startWorkflow({ workflowId: WF }).then(() => undefined, (e: unknown) => e);
    t.is((refused as ControlError).code, status.FAILED_PRECONDITION);
    t.regex((refused as Error).message, /has no active version; activate one \(maestro activate req-shape-wf VERSION\)/);

    // Partial properties, inactive again: merged over v1's; still no active version.
    const p2 = await maestro(['push', fixture('v3-partial-properties.json'), ...server]);
    t.regex(p2.stdout, /version 2 \(inactive; active version is none\)/, p2.stderr);
    const d1 = JSON.parse((await maestro(['definition', WF, '--version', '1', ...server])).stdout);
    t.like(d1.extra_info, { source: 'yaml', dsl_client_version: '2.4.1' });
    const d2 = JSON.parse((await maestro(['definition', WF, ...server])).stdout);
    t.like(d2, { version: 2, is_active: false, active_version: 0 });
    t.like(d2.definition.properties, { step_concurrency: 7, run_strategy: { rule: 'PARALLEL', workflow_concurrency: 3 } });
    t.deepEqual(d2.definition.properties.owner, d1.definition.properties.owner);

    const act = await maestro(['activate', WF, '2', ...server]);
    t.is(act.code, 0, act.stderr);
    const run = await client.startWorkflow({ workflowId: WF });
    t.is(run.version, 2);
    t.is((await waitForEnd(client, WF, run.instanceId)).status, 'SUCCEEDED');
  } finally {
    await h.stop();
  }
});
