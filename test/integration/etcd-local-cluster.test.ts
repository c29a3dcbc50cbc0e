import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EtcdCluster } from '../../src/cluster/etcd/index.js';
import { etcdMissingReason } from '../helpers/etcd-server.js';
import { waitUntil } from '../cluster-unit/fixture.js';
import { testIf } from '../helpers/skip.js';

const run = promisify(execFile);
const natsMissing = spawnSync('nats-server', ['--version']).status === 0 ? undefined : 'nats-server is not installed';
const missing = etcdMissingReason() ?? natsMissing;
const title = 'cluster/start-local.sh starts 3 NATS + 3 etcd on free ports; stop-local.sh stops them by pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

testIf(missing, { serial: true })(title, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-local-cluster-'));
  const env = { ...process.env, MAESTRO_CLUSTER_DIR: dir };
  let pids: number[] = [];
  try {
    const started = await run('bash', ['cluster/start-local.sh', '0'], { env, timeout: 60_000 });
    t.regex(started.stdout, /cluster running/);
    const vars = Object.fromEntries(
      readFileSync(join(dir, 'endpoints.env'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('=') && !l.startsWith('#'))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    ) as Record<string, string>;
    const etcdEndpoints = vars.ETCD_ENDPOINTS!.split(',');
    const natsUrls = vars.NATS_URLS!.split(',');
    t.is(etcdEndpoints.length, 3);
    t.is(natsUrls.length, 3);
    pids = readdirSync(join(dir, 'pids')).map((f) => Number(readFileSync(join(dir, 'pids', f), 'utf8')));
    t.is(pids.length, 6);
    t.true(pids.every(alive));

    // The etcd cluster works for membership; NATS reports a 3-server JetStream meta cluster.
    const c = new EtcdCluster({ endpoints: etcdEndpoints });
    try {
      await c.membership.join({ nodeId: 'probe', grpcAddress: '127.0.0.1:1', startedAtMs: 0 });
      await waitUntil(() => c.membership.current().members.length === 1, 'the probe to see itself');
    } finally {
      await c.close();
    }
    const monitor = vars.NATS_MONITOR!.split(',')[0]!;
    const jsz = await waitUntil(async () => {
      const body = (await (await fetch(`${monitor}/jsz`)).json()) as { meta_cluster?: { cluster_size?: number; leader?: string } };
      return body.meta_cluster?.cluster_size === 3 && typeof body.meta_cluster.leader === 'string';
    }, 'a JetStream meta leader', 10_000, 100);
    t.true(jsz >= 0);

    const again = await run('bash', ['cluster/start-local.sh', '0'], { env, timeout: 30_000 }).catch((e: { stderr: string }) => e);
    t.regex((again as { stderr: string }).stderr, /already running/);
  } finally {
    await run('bash', ['cluster/stop-local.sh', '--clean'], { env, timeout: 60_000 }).catch((e) => t.log(String(e)));
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
  await waitUntil(() => !pids.some(alive), 'every server to exit', 15_000, 50);
  t.false(existsSync(dir), '--clean removed the run dir');
});
