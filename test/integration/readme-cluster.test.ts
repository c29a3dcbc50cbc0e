/**
 * The README's "Operations: running a cluster" block, run as written (in a temp run dir through
 * MAESTRO_CLUSTER_DIR), then a restart: start-local.sh after stop-local.sh without --clean starts
 * the same cluster again (same NATS/etcd ports, kept in ports.env) and the workflow pushed before
 * the stop is still there. stop-local.sh stops every etcd member on SIGTERM (no SIGKILL).
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { etcdMissingReason } from '../helpers/etcd-server.js';
import { testIf } from '../helpers/skip.js';
import { readmeBlock } from '../helpers/readme.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const natsMissing = spawnSync('nats-server', ['--version']).status === 0 ? undefined : 'nats-server is not installed';
const missing = etcdMissingReason() ?? natsMissing;

function envFile(dir: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(join(dir, 'endpoints.env'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('=') && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  ) as Record<string, string>;
}

testIf(missing, { serial: true })('the README cluster block runs as written; stop-local.sh then start-local.sh restarts the cluster with its data', async (t) => {
  t.timeout(8 * 60_000); // a 3-node cluster started, stopped and started again by scripts, each command a process
  const lines = readmeBlock('Operations: running a cluster');
  // The block this test vouches for: if the README changes, this list (and the test) must too.
  t.deepEqual(lines, [
    'scripts/install-servers.sh',
    'MAESTRO_NODE_ARGS=--shell cluster/start-local.sh 3',
    'source ${MAESTRO_CLUSTER_DIR:-.data/cluster}/endpoints.env',
    'npx maestro push examples/etl-pipeline.json --server ${NODE_GRPC%%,*}',
    'npx maestro start daily-etl --watch --server ${NODE_GRPC%%,*}',
    'npx maestro cluster --server ${NODE_GRPC%%,*}',
    'cluster/stop-local.sh',
    'cluster/stop-local.sh --clean',
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'maestro-readme-cluster-'));
  const env = { ...process.env, MAESTRO_CLUSTER_DIR: dir };
  const bash = async (script: string, timeout = 180_000) => {
    try {
      return await run('bash', ['-c', `set -euo pipefail\n${script}`], { cwd: ROOT, env, timeout, maxBuffer: 16 << 20 });
    } catch (err) {
      // Say why: the script's stderr and the end of every server's log.
      const e = err as { stderr?: string };
      t.log(`stderr:\n${e.stderr ?? String(err)}`);
      const logs = join(dir, 'logs');
      if (existsSync(logs)) for (const f of readdirSync(logs)) t.log(`${f}:\n${readFileSync(join(logs, f), 'utf8').split('\n').slice(-15).join('\n')}`);
      throw err;
    }
  };
  try {
    // Everything up to the first stop, as written.
    const upToStop = lines.slice(0, lines.indexOf('cluster/stop-local.sh') + 1);
    const first = await bash(upToStop.join('\n'));
    t.regex(first.stdout, /pushed workflow daily-etl version 1/);
    t.regex(first.stdout, /SUCCEEDED/);
    t.notRegex(first.stderr, /SIGKILL/, 'every etcd member stopped on SIGTERM');
    t.regex(first.stderr, /stopped etcd-3/);
    const ports = readFileSync(join(dir, 'ports.env'), 'utf8');

    // Restart without --clean: same server ports, the data is there.
    const again = await bash(['cluster/start-local.sh 1', `source ${dir}/endpoints.env`, 'npx maestro definition daily-etl --server ${NODE_GRPC%%,*}'].join('\n'));
    t.regex(again.stderr, /restarting the cluster/);
    t.is(readFileSync(join(dir, 'ports.env'), 'utf8'), ports);
    const def = JSON.parse(again.stdout.slice(again.stdout.indexOf('{'))) as { workflow_id: string; version: number };
    t.is(def.workflow_id, 'daily-etl');
    t.is(def.version, 1);
    t.true(envFile(dir)['ETCD_PEER_PORTS']!.split(',').every((p) => ports.includes(p)));

    const stop = await bash(lines.slice(lines.indexOf('cluster/stop-local.sh')).join('\n'));
    t.notRegex(stop.stderr, /SIGKILL/);
    t.false(existsSync(dir), '--clean removed the run dir');
  } finally {
    if (existsSync(dir)) {
      await run('bash', ['cluster/stop-local.sh', '--clean'], { cwd: ROOT, env, timeout: 90_000 }).catch((e: unknown) => t.log(String(e)));
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
