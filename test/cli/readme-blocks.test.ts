/**
 * "Every command in the README works as written", for the blocks test/cli/readme-commands.test.ts
 * and test/integration/readme-cluster.test.ts do not run: the two commands at the top, Security's
 * certificate, TLS/token and etcd auth blocks, the TypeScript client SDK block, the TypeScript worker of "Workers in any language" and the
 * Python worker and client, the Logs and Metrics blocks. The code and commands are read out of README.md, so the README and
 * this test cannot drift apart. Security's etcd auth block runs against a test etcd named by
 * ETCDCTL_ENDPOINTS (etcdctl's own variable); a `maestro node` then joins as the user it made.
 *
 * What the test changes, and only that:
 * - host:port: `--port 50051` becomes `--port 0` (a free port; `maestro dev` also picks a free HTTP
 *   port then), and `localhost:50051` the address the node printed;
 * - paths: files the README writes to the current directory go to a temp dir (under .data/, which
 *   git ignores, so `npx maestro` still finds this checkout); the TS worker's import of
 *   `./src/sdk/worker.js` points from there to the repository root; `python3` is
 *   /usr/bin/python3 (the Python with Debian's grpc: test/helpers/python.ts);
 * - a line ending in `&` runs in the background (its own process group, stopped by its pid); a
 *   user types the next line once it is up, so the test waits for the node's "worker connected"
 *   log line after starting a worker.
 * `npm ci && npm test` cannot run inside `npm test`: the test checks that .ci/run runs exactly
 * that, and runs the first command (npm ci, then the main job) in a clean copy of the checkout
 * (its tracked files, no node_modules) with npm's `prefer-offline` (the cache, else the registry).
 */
import test from 'ava';
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createControlClient } from '../../src/control/client.js';
import { isWorkflowTerminal } from '../../src/core/status.js';
import { commandsOf, readmeBlock, readmeFences, type ReadmeFence } from '../helpers/readme.js';
import { PYTHON, pythonMissing } from '../helpers/python.js';
import { testIf } from '../helpers/skip.js';
import { ROOT, startDev, startMaestro } from './helpers.js';
import { etcdMissingReason, startEtcd } from '../helpers/etcd-server.js';
import { haveNats, NATS_MISSING, startNats } from '../helpers/nats-server.js';

interface ShResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a script with bash (`set -eo pipefail`) to its end. */
function sh(script: string, cwd: string, env: Record<string, string> = {}, timeoutMs = 90_000): Promise<ShResult> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', `set -eo pipefail\n${script}`],
      { cwd, env: { ...process.env, MAESTRO_SERVER: '', ...env }, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? Number((err as { code: number }).code) : -1;
        resolve({ code, stdout, stderr: err !== null && code === -1 ? `${stderr}\n${String(err)}` : stderr });
      },
    );
  });
}

/** A background line (`cmd &`): its own process group, so stop() ends npx and what it started. */
class Background {
  private out = '';
  private err = '';
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<number | null>;

  constructor(
    readonly line: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout!.on('data', (b: Buffer) => ((this.out += b.toString()), this.wake()));
    child.stderr!.on('data', (b: Buffer) => ((this.err += b.toString()), this.wake()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => (resolve(code), this.wake())));
  }

  static start(line: string, cwd: string, env: Record<string, string> = {}): Background {
    const child = spawn('bash', ['-c', line], { cwd, env: { ...process.env, MAESTRO_SERVER: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    return new Background(line, child);
  }

  get output(): string {
    return `${this.out}\n${this.err}`;
  }

  /** Resolves with the first match of `re` in stdout+stderr, now or when it is written. */
  wait(re: RegExp, what: string, timeoutMs = 60_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = re.exec(this.output);
        if (m) return done(() => resolve(m));
        if (this.child.exitCode !== null || this.child.signalCode !== null) done(() => reject(new Error(`${this.line} exited before ${what}:\n${this.output}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no ${what} within ${timeoutMs} ms from ${this.line}:\n${this.output}`))), timeoutMs);
      const done = (f: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        f();
      };
      this.waiters.add(check);
      check();
    });
  }

  async stop(): Promise<void> {
    const pid = this.child.pid;
    if (pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return;
    process.kill(-pid, 'SIGTERM');
    const timer = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    }, 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** A temp dir inside the checkout (git-ignored .data/), so `npx maestro` there runs this checkout's CLI. */
function scratch(t: import('ava').ExecutionContext, name: string): string {
  mkdirSync(join(ROOT, '.data'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, '.data', `readme-${name}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function fence(fences: ReadmeFence[], lang: string, marker: string): ReadmeFence {
  const f = fences.find((x) => x.lang === lang && x.text.includes(marker));
  if (f === undefined) throw new Error(`no ${lang} block containing ${JSON.stringify(marker)}`);
  return f;
}

/** Follows an instance to its end (the watch stream: no polling). */
async function ended(address: string, workflowId: string, instanceId: number) {
  const client = createControlClient(address);
  try {
    let last = '';
    for await (const c of client.watch(workflowId, instanceId)) if (c.stepId === undefined) last = c.status; // the stream ends with the run
    const view = await client.getInstance(workflowId, instanceId);
    if (!isWorkflowTerminal(view.status)) throw new Error(`the watch ended at ${last}, the instance is ${view.status}`);
    return view;
  } finally {
    client.close();
  }
}

// ---- the two commands ---------------------------------------------------------------------

test('Two commands: the test command is `npm ci && npm test`, and .ci/run runs exactly that', (t) => {
  const [main, tests] = readmeBlock('Two commands for a fresh clone');
  t.regex(main!, /^npm ci && npx maestro run examples\/etl-pipeline\.json --shell$/);
  t.is(tests, 'npm ci && npm test');
  // .ci/run's npm invocations, in order, without the flags that only quiet npm's output
  const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');
  const npmCalls = ci
    .split('\n')
    .filter((l) => !l.trim().startsWith('#'))
    .flatMap((l) => [...l.matchAll(/\bnpm ((?:[a-z-]+)(?: --?[a-z-]+)*)/g)].map((m) => m[1]!.replace(/ --no-(audit|fund)\b/g, '')));
  t.deepEqual(npmCalls, tests!.split(' && ').map((c) => c.replace(/^npm /, '')));
  t.regex(ci, /\|\| exit 1/, 'npm ci failing stops it, as && does');
});

test.serial('Two commands: the first one runs the main job as written in a clean copy of the checkout', async (t) => {
  t.timeout(6 * 60_000); // npm ci and a run on a loaded 2-core machine
  const [main] = readmeBlock('Two commands for a fresh clone');
  const dir = mkdtempSync(join(tmpdir(), 'maestro-fresh-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const copy = await sh(`git ls-files -z | tar --null -T - -cf - | tar -xf - -C '${dir}'`, ROOT);
  t.is(copy.code, 0, copy.stderr);
  const r = await sh(main!, dir, { npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' }, 300_000);
  t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
  t.regex(r.stdout, /workflow daily-etl instance 1 run 1: SUCCEEDED/);
});

// ---- Security -----------------------------------------------------------------------------

test.serial('Security: the certificate block, then TLS and a token on one machine, as written', async (t) => {
  t.timeout(4 * 60_000);
  const fences = readmeFences('Security').filter((f) => f.lang === 'sh');
  const certs = fence(fences, 'sh', 'openssl req -x509');
  const local = fence(fences, 'sh', '--auth-token-file tokens');
  const dir = scratch(t, 'security');
  const made = await sh(certs.text, dir);
  t.is(made.code, 0, made.stderr);

  const lines = commandsOf(local.text);
  t.deepEqual(
    lines.map((l) => l.split(' ').slice(0, 3).join(' ')),
    ['openssl rand -hex', 'npx maestro dev', 'npx maestro cluster', 'npx maestro cluster'],
    'the block this test knows',
  );
  t.is((await sh(lines[0]!, dir)).code, 0);
  t.true(lines[1]!.endsWith(' &') && lines[1]!.includes('--port 50051'));
  const dev = Background.start(lines[1]!.replace(/ &$/, '').replace('--port 50051', '--port 0'), dir);
  t.teardown(() => dev.stop());
  const port = (await dev.wait(/listening on \S+:(\d+)/, 'the listening line'))[1]!;
  t.regex(dev.output, /TLS/i, 'it says it serves TLS');
  const withToken = await sh(lines[2]!.replace('localhost:50051', `localhost:${port}`), dir);
  t.is(withToken.code, 0, withToken.stderr);
  t.regex(withToken.stdout, /EMBEDDED|embedded/);
  const withoutToken = await sh(lines[3]!.replace('localhost:50051', `localhost:${port}`), dir);
  t.is(withoutToken.code, 1, withoutToken.stdout);
  t.regex(withoutToken.stderr, /requires authentication/);
});

const etcdctlMissing = (): string | undefined =>
  etcdMissingReason() ?? (haveNats() ? undefined : NATS_MISSING) ?? (spawnOk('etcdctl', ['version']) ? undefined : 'etcdctl not found (Debian etcd-client; scripts/install-servers.sh installs it)');

function spawnOk(cmd: string, args: string[]): boolean {
  try {
    return execFileSync(cmd, args, { stdio: 'pipe' }) !== undefined;
  } catch {
    return false;
  }
}

testIf(etcdctlMissing(), { serial: true })('Security: the etcd auth block as written (ETCDCTL_ENDPOINTS: a test etcd), then a node joins as the user it made', async (t) => {
  t.timeout(4 * 60_000);
  const block = fence(readmeFences('Security'), 'sh', 'etcdctl auth enable');
  const etcd = await startEtcd();
  t.teardown(() => etcd.stop());
  const nats = await startNats({ jetstream: true });
  t.teardown(() => nats.stop());
  const dir = scratch(t, 'etcd-auth');
  const env = { ETCDCTL_ENDPOINTS: etcd.endpoints.join(',') };
  // the block, then (the test's addition) what it left in the shell for the node
  const r = await sh(`${block.text}echo "user=$MAESTRO_ETCD_USER pass=$MAESTRO_ETCD_PASS root=$ETCD_ROOT_PASS"\n`, dir, env);
  t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const m = /user=(\S+) pass=(\S+) root=(\S+)/.exec(r.stdout)!;
  t.truthy(m, r.stdout);
  const [, user, pass, rootPass] = m;
  t.is(user, 'maestro');
  // auth is on: no user, no access; the maestro user reads and writes /maestro/ only
  t.regex((await sh('etcdctl get /maestro/x', dir, env)).stderr, /user name is empty|authentication|permission denied/i);
  t.is((await sh(`etcdctl --user "${user}:${pass}" put /maestro/x 1`, dir, env)).code, 0);
  t.regex((await sh(`etcdctl --user "${user}:${pass}" put /elsewhere 1`, dir, env)).stderr, /permission denied/);
  t.is((await sh(`etcdctl --user "root:${rootPass}" get /elsewhere`, dir, env)).code, 0, 'root keeps access');
  // a node started where those variables are set joins with them
  const node = await startMaestro(['node', '--nats', nats.urls.join(','), '--etcd', etcd.endpoints.join(','), '--grpc-port', '0', '--partitions', '4'], /serving on (\S+)/, {
    MAESTRO_ETCD_USER: user!,
    MAESTRO_ETCD_PASS: pass!,
  });
  t.teardown(() => node.kill());
  const cluster = await sh(`npx maestro cluster --server ${node.ready[1]}`, ROOT);
  t.is(cluster.code, 0, cluster.stderr);
  t.regex(cluster.stdout, /partitions/i);
  t.is(await node.stop(), 0);
});

// ---- Clients: the TypeScript SDK --------------------------------------------------------------

test.serial('Clients: the TypeScript SDK block, as written', async (t) => {
  t.timeout(4 * 60_000);
  const block = fence(readmeFences('Clients: typed values, start-and-watch, the TypeScript SDK'), 'ts', 'createClient');
  const run = /run with: (npx tsx client\.ts) \(beside `npx maestro dev --port 50051 (--shell)`\)/.exec(block.text);
  t.truthy(run, 'the block says how to run it');
  const dir = scratch(t, 'ts-client');
  const dev = await startDev([run![2]!]);
  t.teardown(() => dev.kill());
  for (const s of ["from './src/sdk/client.js'", "'localhost:50051'", "'examples/etl-pipeline.json'"]) t.true(block.text.includes(s), s);
  const source = block.text
    .replace("from './src/sdk/client.js'", `from '${relative(dir, join(ROOT, 'src/sdk/client.js'))}'`)
    .replace("'localhost:50051'", `'${dev.address}'`)
    .replace("'examples/etl-pipeline.json'", `'${join(ROOT, 'examples/etl-pipeline.json')}'`);
  writeFileSync(join(dir, 'client.ts'), source);
  const r = await sh(run![1]!, dir);
  t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  t.true(lines.includes('(instance) SUCCEEDED'), 'startAndWatch followed the second run to its end');
  t.true(lines.includes('load SUCCEEDED'));
  t.is(lines[lines.length - 1], 'SUCCEEDED', 'wait returned the first run, ended');
  t.regex(block.text, /console\.log\(done\.status\); +\/\/ SUCCEEDED/, 'the README shows that output');
});

// ---- Logs and Metrics ------------------------------------------------------------------------

test.serial('Logs: the `maestro logs` block, as written, after the Quickstart\'s daily-etl run 1', async (t) => {
  t.timeout(4 * 60_000);
  const lines = commandsOf(fence(readmeFences('Logs'), 'bash', 'maestro logs').text);
  t.is(lines.length, 3);
  const dev = await startDev(['--shell']);
  t.teardown(() => dev.kill());
  const env = { MAESTRO_SERVER: dev.address };
  // the context the block assumes (the Quickstart's dev block): daily-etl pushed and run once
  t.is((await sh('npx maestro push examples/etl-pipeline.json && npx maestro start daily-etl --watch', ROOT, env)).code, 0);
  for (const line of lines) {
    const r = await sh(line, ROOT, env);
    t.is(r.code, 0, `${line}\n${r.stderr}`);
    t.is(r.stdout, 'joining\n', `${line}: the transform step's output`);
  }
});

test.serial('Metrics: `maestro dev`, then curl /metrics, as written', async (t) => {
  t.timeout(4 * 60_000);
  const lines = commandsOf(fence(readmeFences('Metrics'), 'sh', '/metrics').text);
  t.deepEqual(lines, ['npx maestro dev --port 50051 &', 'curl -s localhost:8080/metrics | grep ^maestro_']);
  const dev = Background.start(lines[0]!.replace(/ &$/, '').replace('--port 50051', '--port 0'), ROOT);
  t.teardown(() => dev.stop());
  const http = (await dev.wait(/\/metrics on http:\/\/(\S+?)\)/, 'the HTTP address'))[1]!;
  const r = await sh(lines[1]!.replace('localhost:8080', http), ROOT);
  t.is(r.code, 0, r.stderr);
  const names = new Set(r.stdout.split('\n').filter(Boolean).map((l) => l.split(/[{ ]/)[0]));
  for (const n of ['maestro_partitions_owned', 'maestro_partition_failovers_total', 'maestro_journal_append_seconds_count', 'maestro_actors_resident']) t.true(names.has(n), n);
});

// ---- Workers in any language: TypeScript ----------------------------------------------------

test.serial('Workers: the TypeScript worker and the workflow block, as written', async (t) => {
  t.timeout(4 * 60_000);
  const fences = readmeFences('Workers in any language');
  const workerTs = fence(fences, 'ts', 'my-worker.ts');
  const block = fence(fences, 'bash', 'cat > wf.json');
  const dir = scratch(t, 'ts-worker');
  const dev = await startDev();
  t.teardown(() => dev.kill());
  t.true(workerTs.text.includes("from './src/sdk/worker.js'") && workerTs.text.includes("'localhost:50051'"));
  const source = workerTs.text
    .replace("from './src/sdk/worker.js'", `from '${relative(dir, join(ROOT, 'src/sdk/worker.js'))}'`)
    .replace("'localhost:50051'", `'${dev.address}'`);
  writeFileSync(join(dir, 'my-worker.ts'), source);
  const run = /run with: (npx tsx my-worker\.ts)/.exec(workerTs.text);
  t.truthy(run, 'the block says how to run it');
  const worker = Background.start(run![1]!, dir);
  t.teardown(() => worker.stop());
  await waitForLog(dev, /worker connected/, worker);

  const r = await sh(block.text, dir, { MAESTRO_SERVER: dev.address });
  t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const end = await ended(dev.address, 'etl', 1);
  t.is(end.status, 'SUCCEEDED', JSON.stringify(end.steps));
  const load = end.steps.find((s) => s.stepId === 'load')!;
  const report = end.steps.find((s) => s.stepId === 'report')!;
  t.is(load.outputs['rows'], 600, "countRows('orders')");
  t.is(report.params['n'], 600, 'load__rows reached the next step');
  t.regex(load.attempts[0]!.stdout ?? '', /loading orders/);
});

/** Waits for a line in a dev server's log (its stderr; a test server, so polled on its own output). */
async function waitForLog(dev: { stderr(): string }, re: RegExp, from: Background, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!re.test(dev.stderr())) {
    if (Date.now() > deadline) throw new Error(`no ${re} in the node's log within ${timeoutMs} ms:\n${dev.stderr().slice(-3000)}\n${from.line}:\n${from.output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---- Workers in any language: Python --------------------------------------------------------

testIf(pythonMissing(), { serial: true })('Workers: the Python worker and client, as written', async (t) => {
  t.timeout(4 * 60_000);
  const fences = readmeFences('Workers in any language');
  const workerPy = fence(fences, 'python', '# worker.py');
  const clientPy = fence(fences, 'python', '# client.py');
  const lines = commandsOf(fence(fences, 'sh', 'python3 worker.py').text);
  t.deepEqual(
    lines.map((l) => l.replace(/ &$/, '')),
    ['npx maestro dev --port 50051', 'PYTHONPATH=clients/python python3 worker.py', 'PYTHONPATH=clients/python python3 client.py'],
    'the block this test knows',
  );
  const dir = scratch(t, 'python');
  const dev = await startDev(); // line 1 with --port 0 (startDev: the same `maestro dev`, its address read back)
  t.teardown(() => dev.kill());
  for (const [f, name] of [
    [workerPy, 'worker.py'],
    [clientPy, 'client.py'],
  ] as const) {
    t.true(f.text.includes('"localhost:50051"'));
    writeFileSync(join(dir, name), f.text.replace('"localhost:50051"', `"${dev.address}"`));
  }
  const localize = (line: string): string => line.replace(/ &$/, '').replace(' python3 ', ` ${PYTHON} `).replace(/ (worker|client)\.py$/, (_m, n: string) => ` ${join(dir, `${n}.py`)}`);
  const worker = Background.start(localize(lines[1]!), ROOT);
  t.teardown(() => worker.stop());
  await waitForLog(dev, /worker connected/, worker);
  const r = await sh(localize(lines[2]!), ROOT);
  t.is(r.code, 0, `${r.stdout}\n${r.stderr}\n${worker.output}`);
  t.regex(r.stdout, /^SUCCEEDED \{'rows': 300\}/);
  t.regex(fence(fences, 'sh', 'python3 worker.py').text, /# prints: SUCCEEDED \{'rows': 300\}/, 'the README shows that output');
});
