import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createControlClient, type ControlClient } from '../../src/control/client.js';
import { clusterReport } from '../../src/cli/cluster-info.js';
import { maestro, startDev, type DevServer } from './helpers.js';
import { waitForStep } from '../helpers/wait.js';

// `maestro cluster` and `maestro put-outputs` against `maestro dev --port 0` (the real embedded node).
// The step sleeps a day: the test stops it, and six CLI runs under a loaded machine once outlasted a 30 s sleep.

let dev: DevServer;
let client: ControlClient;
let dir: string;
let server: string[];

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'maestro-ops-'));
  await writeFile(
    join(dir, 'load.json'),
    JSON.stringify({
      properties: { owner: 'tester' },
      workflow: {
        id: 'cli-load',
        steps: [
          { step: { id: 'load', type: 'Sleep', params: { sleep_seconds: { type: 'LONG', value: 86_400 } }, transition: { successors: { report: 'rows > 100' } } } },
          { step: { id: 'report', type: 'NoOp' } },
        ],
      },
    }),
  );
  dev = await startDev();
  server = ['--server', dev.address];
  client = createControlClient(dev.address, { callTimeoutMs: 10_000 });
});
test.after.always(async () => {
  client?.close();
  if (dev) {
    const code = await dev.stop();
    if (code !== 0) dev.kill();
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('cluster prints the member, a partition summary with epochs, and health', async (t) => {
  const r = await maestro(['cluster', ...server]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^cluster: mode embedded, 1 member, (\d+) partitions; answered by embedded$/m);
  const count = /(\d+) partitions;/.exec(r.stdout)?.[1] ?? '';
  t.regex(r.stdout, /^MEMBER\s+ADDRESS\s+STARTED\s+UP$/m);
  t.regex(r.stdout, /^embedded \(self\)\s+-\s+\d{4}-\d\d-\d\dT\S+Z\s+\S+$/m);
  t.regex(r.stdout, /^OWNER\s+PARTITIONS\s+MIN EPOCH\s+MAX EPOCH$/m);
  const row = new RegExp(`^embedded\\s+${count}\\s+(\\d+)\\s+(\\d+)$`, 'm').exec(r.stdout);
  t.truthy(row, r.stdout);
  t.true(Number(row?.[1]) >= 1 && Number(row?.[2]) >= Number(row?.[1]), 'epochs are at least 1, min <= max');
  t.notRegex(r.stdout, /\(unowned\)/);
  t.regex(r.stdout, new RegExp(`^health of embedded: ${count} partitions owned, \\d+ instances? in memory, up \\S+, membership version 0$`, 'm'));

  const json = await maestro(['cluster', '--json', ...server]);
  t.is(json.code, 0, json.stderr);
  const info = JSON.parse(json.stdout);
  t.like(info, { selfNodeId: 'embedded', mode: 'embedded', health: { ownedPartitions: Number(count), membershipVersion: 0 } });
  t.is(info.partitions.length, Number(count));
  t.true(info.partitions.every((p: { nodeId: string; epoch: number }) => p.nodeId === 'embedded' && p.epoch >= 1));
});

test('put-outputs puts typed and string outputs on a running step; get shows them; errors exit non-zero', async (t) => {
  t.is((await maestro(['push', join(dir, 'load.json'), ...server])).code, 0);
  const { instanceId } = await client.startWorkflow({ workflowId: 'cli-load' });
  const id = String(instanceId);
  await waitForStep(client, 'cli-load', instanceId, 'load', 'RUNNING');

  const noOutputs = await maestro(['put-outputs', 'cli-load', id, 'load', ...server]);
  t.is(noOutputs.code, 2);
  t.regex(noOutputs.stderr, /give at least one --output/);
  const badJson = await maestro(['put-outputs', 'cli-load', id, 'load', '--output-json', 'rows={', ...server]);
  t.is(badJson.code, 2);
  t.regex(badJson.stderr, /--output-json rows: value is not JSON/);

  const put = await maestro(['put-outputs', 'cli-load', id, 'load', '--output-json', 'rows=120', '--output', 'table=events', ...server]);
  t.is(put.code, 0, put.stderr);
  t.regex(put.stdout, new RegExp(`^put table, rows on step load \\(RUNNING\\) of workflow cli-load instance ${id} run 1$`, 'm'));
  const get = await maestro(['get', 'cli-load', id, '--json', ...server]);
  const load = JSON.parse(get.stdout).steps[0];
  t.like(load.params, { rows: 120, table: 'events' });

  const unknown = await maestro(['put-outputs', 'cli-load', id, 'nope', '--output', 'rows=1', ...server]);
  t.is(unknown.code, 2, 'INVALID_ARGUMENT is bad input');
  t.regex(unknown.stderr, /error \(invalid\): step_id: .*nope/);

  const stop = await maestro(['stop', 'cli-load', id, ...server]);
  t.is(stop.code, 0, stop.stderr); // what the CLI said, when it fails
  const late = await maestro(['put-outputs', 'cli-load', id, 'load', '--output', 'rows=1', ...server]);
  t.is(late.code, 1);
  t.regex(late.stderr, /error \(failed precondition\): step load .*STOPPED/);
});

test('the cluster report sums partitions per owner (members first, unowned last) with min/max epochs', (t) => {
  const now = 1_700_000_100_000;
  const lines = clusterReport(
    {
      selfNodeId: 'n2',
      mode: 'cluster',
      members: [
        { nodeId: 'n1', grpcAddress: '10.0.0.1:50051', startedAtMs: now - 65_000 },
        { nodeId: 'n2', grpcAddress: '10.0.0.2:50051', startedAtMs: now - 3_000 },
      ],
      partitions: [
        { partition: 0, nodeId: 'n2', epoch: 5 },
        { partition: 1, nodeId: 'n1', epoch: 3 },
        { partition: 2, nodeId: 'n1', epoch: 9 },
        { partition: 3, nodeId: '', epoch: 0 },
      ],
      health: { ownedPartitions: 1, instancesInMemory: 1, uptimeMs: 3000, membershipVersion: 4 },
    },
    now,
  );
  const text = lines.join('\n');
  t.regex(text, /^cluster: mode cluster, 2 members, 4 partitions; answered by n2$/m);
  t.regex(text, /^n1 +10\.0\.0\.1:50051 +\S+Z +1m05s$/m);
  t.regex(text, /^n2 \(self\) +10\.0\.0\.2:50051 +\S+Z +3\.00s$/m);
  const owners = lines.slice(lines.findIndex((l) => l.startsWith('OWNER')) + 1, lines.length - 2).map((l) => l.split(/ {2,}/));
  t.deepEqual(owners, [
    ['n1', '2', '3', '9'],
    ['n2', '1', '5', '5'],
    ['(unowned)', '1', '0', '0'],
  ]);
  t.is(lines.at(-1), 'health of n2: 1 partition owned, 1 instance in memory, up 3.00s, membership version 4');
});
