/**
 * Operations on the real cluster (nats-server + etcd + node processes):
 * - live task logs read through another node than the one running the attempt
 *   (`maestro logs -f`, i.e. LogService.StreamStepLogs, on node B; the Shell step on node A), and
 *   LogService.StreamStepLogs on node B for a worker connected to node A;
 * - the failover counter: a graceful stop (SIGTERM: partitions released, then leave) counts as
 *   handoffs on the survivors, a kill -9 as failovers — read from the survivors' /metrics.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assignPartitions } from '../../src/cluster/placement.js';
import { isWorkflowTerminal } from '../../src/core/status.js';
import { createLogClient, type LogChunk } from '../../src/control/log-client.js';
import { createWorker } from '../../src/sdk/worker.js';
import { ClusterHarness, clusterTest, type NodeProc } from './harness.js';

const BIN = fileURLToPath(new URL('../../bin/maestro.js', import.meta.url));
const PARTITIONS = 64;

async function sample(node: NodeProc, name: string): Promise<number> {
  const text = await (await fetch(`${node.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`${node.nodeId} serves no sample ${name}`);
  return Number(line.slice(name.length + 1));
}

const acquired = (reason: string) => `maestro_partition_ownership_changes_total{change="acquired",reason="${reason}"}`;

/** Polls the nodes' /metrics until `cond` holds (the cluster converges asynchronously). */
async function until(what: string, cond: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const owned = async (nodes: NodeProc[]): Promise<number[]> => Promise.all(nodes.map((n) => sample(n, 'maestro_partitions_owned')));
const share = (ids: string[], id: string): number => assignPartitions(ids, PARTITIONS).filter((o) => o === id).length;

clusterTest('live logs across nodes: `maestro logs -f` on node B streams a Shell step running on node A while it runs, then ends', async (t) => {
  const h = await ClusterHarness.start({ nodes: 2, env: { MAESTRO_SHELL: '1' } });
  t.teardown(() => h.stop());
  const go = join(h.dir, 'go');
  const command = `echo "first line"; echo "warming up" >&2; while [ ! -f ${go} ]; do sleep 0.05; done; echo "second line"`;
  await h.client(0).createWorkflow(
    JSON.stringify({
      properties: { owner: 'ops-test' },
      workflow: { id: 'talker', steps: [{ step: { id: 'talk', type: 'Shell', params: { command: { value: command, type: 'STRING' } } } }] },
    }),
  );
  const run = await h.client(0).startWorkflow({ workflowId: 'talker' });
  await h.waitForRecords('the Shell attempt accepted', 1, (r) => r.kind === 'accept' && r.attemptId.includes('/talk/'));
  const runner = h.sinkRecords().find((r) => r.kind === 'accept' && r.attemptId.includes('/talk/'))!.node;
  const reader = h.nodes.find((n) => n.nodeId !== runner)!;
  t.log(`the attempt runs on ${runner}; logs read through ${reader.nodeId}`);

  const cli = spawn(process.execPath, [BIN, 'logs', 'talker', String(run.instanceId), 'talk', '-f', '--server', reader.grpcAddress], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MAESTRO_SERVER: '' },
  });
  const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
  t.teardown(() => void (cli.exitCode === null && cli.kill('SIGKILL')));
  let stdout = '';
  let stderr = '';
  const firstLine = new Promise<void>((resolve, reject) => {
    cli.stdout!.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (stdout.includes('first line\n')) resolve();
    });
    cli.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    void exited.then((code) => reject(new Error(`maestro logs exited ${code} before the first line: ${stdout} ${stderr}`)));
  });
  await firstLine;
  // The step cannot have ended: it waits for the file the test has not written yet.
  t.false(existsSync(go));
  const mid = await reader.client.getInstance('talker', run.instanceId);
  t.false(isWorkflowTerminal(mid.status), `the instance still runs (${mid.status})`);
  t.false(stdout.includes('second line'));
  writeFileSync(go, '');
  const code = await exited;
  t.is(code, 0, stderr);
  t.is(stdout, 'first line\nsecond line\n');
  t.regex(stderr, /warming up/);
  const end = await reader.client.getInstance('talker', run.instanceId);
  t.is(end.status, 'SUCCEEDED');
});

clusterTest('live logs across nodes: LogService.StreamStepLogs on node B streams `task.log` lines of a worker connected to node A while it runs', async (t) => {
  const h = await ClusterHarness.start({ nodes: 2 });
  t.teardown(() => h.stop());
  const [a, b] = h.nodes as [NodeProc, NodeProc];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const worker = createWorker({
    address: a.grpcAddress,
    types: ['ops_talk'],
    handler: async (task) => {
      task.log('worker first');
      await gate; // the test lets it go once node B streamed the first line
      task.log('worker second');
      return { said: 2 };
    },
  });
  t.teardown(() => worker.close());
  await worker.connected;
  t.is(worker.nodeId, a.nodeId);
  await b.client.createWorkflow(JSON.stringify({ properties: { owner: 'ops-test' }, workflow: { id: 'worker-talker', steps: [{ step: { id: 'talk', type: 'ops_talk' } }] } }));
  const run = await b.client.startWorkflow({ workflowId: 'worker-talker' });
  const logs = createLogClient(b.grpcAddress);
  t.teardown(() => logs.close());
  const seen: LogChunk[] = [];
  for await (const c of logs.stepLogs({ workflowId: 'worker-talker', instanceId: run.instanceId, stepId: 'talk', attempt: 0, follow: true })) {
    seen.push(c);
    if (c.text.includes('worker first')) {
      const mid = await b.client.getInstance('worker-talker', run.instanceId);
      t.false(isWorkflowTerminal(mid.status), `still running when the first line arrived (${mid.status})`);
      t.false(seen.some((x) => x.text.includes('worker second')));
      release();
    }
  }
  const text = seen.filter((c) => c.stream === 'stdout').map((c) => c.text).join('');
  t.is(text, 'worker first\nworker second\n');
  const last = seen[seen.length - 1]!;
  t.true(last.end);
  t.is(last.status, 'SUCCEEDED');
});

clusterTest('failover metric: a graceful stop counts as handoffs, a kill -9 as failovers (the survivors\' /metrics)', async (t) => {
  const h = await ClusterHarness.start({ nodes: 3 });
  t.teardown(() => h.stop());
  const byId = (id: string) => h.nodes.find((n) => n.nodeId === id)!;
  const [n1, n2, n3] = [byId('n1'), byId('n2'), byId('n3')];
  const ids = ['n1', 'n2', 'n3'];
  await until('every node owns its share', async () => (await owned([n1, n2, n3])).join() === ids.map((id) => share(ids, id)).join());
  for (const n of [n1, n2, n3]) t.is(await sample(n, 'maestro_partition_failovers_total'), 0);

  // graceful: SIGTERM → n3 releases its partitions, then leaves
  const gone = new Promise((r) => n3.child.once('exit', r));
  n3.client.close();
  n3.child.kill('SIGTERM');
  await gone;
  t.is(n3.child.exitCode, 0, 'n3 stopped gracefully');
  await until('n1 and n2 own every partition', async () => (await owned([n1, n2])).join() === ['n1', 'n2'].map((id) => share(['n1', 'n2'], id)).join());
  const handoffs = (await sample(n1, acquired('handoff'))) + (await sample(n2, acquired('handoff')));
  const failoversAfterStop = (await sample(n1, 'maestro_partition_failovers_total')) + (await sample(n2, 'maestro_partition_failovers_total'));
  t.log(`graceful stop of n3 (${share(ids, 'n3')} partitions): ${handoffs} handoffs, ${failoversAfterStop} failovers`);
  t.is(handoffs, share(ids, 'n3'), "n3's partitions came as handoffs");
  t.is(failoversAfterStop, 0, 'a graceful stop is no failover');
  t.is((await sample(n1, acquired('failover'))) + (await sample(n2, acquired('failover'))), 0);

  // crash: kill -9 n2 → its claims go with its lease; n1 takes them over
  const n1Handoffs = await sample(n1, acquired('handoff'));
  await h.kill9(n2);
  await until('n1 owns every partition', async () => (await sample(n1, 'maestro_partitions_owned')) === PARTITIONS);
  const n2Share = share(['n1', 'n2'], 'n2');
  const failovers = await sample(n1, 'maestro_partition_failovers_total');
  t.log(`kill -9 of n2 (${n2Share} partitions): ${failovers} failovers on n1`);
  t.is(failovers, n2Share);
  t.is(await sample(n1, acquired('failover')), n2Share);
  t.is(await sample(n1, acquired('handoff')), n1Handoffs, 'no handoff in a crash');
});
