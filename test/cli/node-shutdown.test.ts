/**
 * `maestro node` stops within its shutdown deadline even when NATS and etcd are gone (the defect:
 * such nodes ignored SIGTERM, stuck in a handoff that could never finish), and a second SIGTERM
 * ends it at once. Real child processes: nats-server, etcd, and the node (`bin/maestro.js node`,
 * which loads the TypeScript in-process: no wrapper process between the signal and the node),
 * all stopped by pid.
 */
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startEtcd, etcdMissingReason, type EtcdServer } from '../helpers/etcd-server.js';
import { haveNats, NATS_MISSING, startNats, type NatsFixture } from '../helpers/nats-server.js';
import { ROOT } from './helpers.js';

const missing = !haveNats() ? NATS_MISSING : etcdMissingReason();
const serial = missing === undefined ? test.serial : test.skip;
const why = missing === undefined ? '' : ` (skipped: ${missing})`;

interface Node {
  child: ChildProcess;
  stderr: () => string;
  /** Resolves with the exit code once the child exits. */
  exited: Promise<number | null>;
  /** Resolves once stderr matches `re`. */
  stderrMatches(re: RegExp): Promise<void>;
}

async function startNode(nats: NatsFixture, etcd: EtcdServer, shutdownTimeoutMs: number): Promise<Node> {
  const args = [join(ROOT, 'bin/maestro.js'), 'node', '--nats', nats.urls.join(','), '--etcd', etcd.endpoints.join(',')];
  args.push('--grpc-port', '0', '--partitions', '8', '--shutdown-timeout-ms', String(shutdownTimeoutMs), '--log-level', 'warn');
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MAESTRO_SERVER: '' } });
  let out = '';
  let err = '';
  const watchers: { re: RegExp; resolve: () => void }[] = [];
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of watchers.splice(0)) (w.re.test(err) ? w.resolve() : watchers.push(w));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => /serving on \S+/.test(out) && resolve());
    void exited.then((code) => reject(new Error(`node exited ${code} before serving: ${err}`)));
  });
  return {
    child,
    stderr: () => err,
    exited,
    stderrMatches: (re) => (re.test(err) ? Promise.resolve() : new Promise<void>((resolve) => watchers.push({ re, resolve }))),
  };
}

function killHard(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
}

async function servers(t: { teardown(fn: () => Promise<void> | void): void }): Promise<{ nats: NatsFixture; etcd: EtcdServer }> {
  const nats = await startNats({ jetstream: true });
  t.teardown(() => nats.stop());
  const etcd = await startEtcd();
  t.teardown(() => etcd.stop());
  return { nats, etcd };
}

/**
 * Sends SIGTERM and checks the node exits by its deadline — with slack for a loaded machine: what
 * this guards against is a node that never exits (one was found hanging 40 minutes), not a few
 * hundred ms. Resolves the exit code.
 */
async function sigtermWithinDeadline(t: import('ava').ExecutionContext, node: Awaited<ReturnType<typeof startNode>>, deadlineMs: number): Promise<number | null> {
  const sentAt = Date.now();
  node.child.kill('SIGTERM');
  const code = await node.exited;
  const tookMs = Date.now() - sentAt;
  t.log(`exited ${code} ${tookMs} ms after SIGTERM`);
  t.true(tookMs <= deadlineMs + 5_000, `took ${tookMs} ms with a ${deadlineMs} ms deadline`);
  t.regex(node.stderr(), new RegExp(`^received SIGTERM: shutting down gracefully \\(deadline ${deadlineMs / 1000}s; send again to exit now\\)$`, 'm'));
  return code;
}

serial(`a node whose NATS and etcd are gone exits on the first SIGTERM within its deadline${why}`, async (t) => {
  const { nats, etcd } = await servers(t);
  const deadlineMs = 3_000;
  const node = await startNode(nats, etcd, deadlineMs);
  t.teardown(() => killHard(node.child));
  await nats.kill(0);
  await etcd.kill(0);
  const code = await sigtermWithinDeadline(t, node, deadlineMs);
  if (code !== 0) {
    t.is(code, 1);
    t.regex(node.stderr(), /^shutdown deadline passed: exiting now$/m);
  }
});

/** SIGSTOPs the servers (they keep their sockets open and never answer) until the test ends. */
function freeze(t: { teardown(fn: () => void): void }, pids: number[]): void {
  for (const pid of pids) process.kill(pid, 'SIGSTOP');
  t.teardown(() => {
    for (const pid of pids) process.kill(pid, 'SIGCONT');
  });
}

serial(`a node whose NATS and etcd hang (SIGSTOP) exits on the first SIGTERM at its deadline${why}`, async (t) => {
  const { nats, etcd } = await servers(t);
  const deadlineMs = 3_000;
  const node = await startNode(nats, etcd, deadlineMs);
  t.teardown(() => killHard(node.child));
  freeze(t, [...nats.pids, ...etcd.pids]);
  const code = await sigtermWithinDeadline(t, node, deadlineMs);
  t.true(code === 0 || /^shutdown deadline passed: exiting now$/m.test(node.stderr()), `exit ${code}: ${node.stderr()}`);
});

serial(`a second SIGTERM ends a node at once, whatever its graceful stop is waiting for${why}`, async (t) => {
  const { nats, etcd } = await servers(t);
  const node = await startNode(nats, etcd, 120_000);
  t.teardown(() => killHard(node.child));
  freeze(t, [...nats.pids, ...etcd.pids]); // the graceful stop now waits on servers that never answer
  node.child.kill('SIGTERM');
  await node.stderrMatches(/received SIGTERM: shutting down gracefully \(deadline 120s/);
  const sentAt = Date.now();
  node.child.kill('SIGTERM');
  t.is(await node.exited, 1);
  t.true(Date.now() - sentAt < 1_500, `exited ${Date.now() - sentAt} ms after the second SIGTERM`);
  t.regex(node.stderr(), /^received SIGTERM again: exiting now$/m);
});
