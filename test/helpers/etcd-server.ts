/**
 * Starts real etcd servers for integration tests: free ports probed by binding port 0, data in a
 * temp dir (on tmpfs when there is one, so fsync is cheap), stopped by pid. Tests call `etcdTest`
 * (or check `haveEtcd()`), which skips them with the reason when `etcd` is not installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, existsSync, accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Client TLS of the members: https client URLs with this certificate and key. With `caFile`, etcd
 * also requires client certificates signed by it (3.4 does whenever a trusted CA is set).
 */
export interface EtcdTlsFiles {
  certFile: string;
  keyFile: string;
  caFile?: string;
}

export interface EtcdServer {
  /** Client URLs, `http://127.0.0.1:<port>` (`https://` with TLS), one per member. */
  endpoints: string[];
  pids: number[];
  dataDir: string;
  /** SIGKILL one member (kill -9) and wait until it is gone. */
  kill(memberIndex: number): Promise<void>;
  /** Stop every member still running and delete the data dir. */
  stop(): Promise<void>;
}

let missing: string | undefined | null = null;

/** Why etcd tests cannot run here, or undefined when they can. */
export function etcdMissingReason(): string | undefined {
  if (missing === null) {
    const r = spawnSync('etcd', ['--version'], { encoding: 'utf8', timeout: 10_000 });
    missing = r.error !== undefined || r.status !== 0
      ? 'etcd is not installed (run scripts/install-servers.sh)'
      : undefined;
  }
  return missing;
}

export function haveEtcd(): boolean {
  return etcdMissingReason() === undefined;
}

/** `n` distinct free TCP ports on 127.0.0.1, all probed at once so they differ. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () =>
      new Promise<import('node:net').Server>((resolve, reject) => {
        const s = createServer();
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve(s));
      }),
    ),
  );
  const ports = servers.map((s) => {
    const addr = s.address();
    if (addr === null || typeof addr === 'string') throw new Error('could not read a probed port');
    return addr.port;
  });
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function baseDir(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

/** `endpoint` is a client URL, or with TLS the member's plain-http metrics URL (which serves /health too). */
async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function attempt(members: number, dataDir: string, tls: EtcdTlsFiles | undefined): Promise<EtcdServer> {
  const ports = await freePorts(members * (tls ? 3 : 2));
  const names = Array.from({ length: members }, (_, i) => `m${i}`);
  const peer = (i: number) => `http://127.0.0.1:${ports[members + i]}`;
  const client = (i: number) => `${tls ? 'https' : 'http'}://127.0.0.1:${ports[i]}`;
  const metrics = (i: number) => `http://127.0.0.1:${ports[2 * members + i]}`;
  const tlsArgs = (i: number): string[] =>
    tls === undefined
      ? []
      : [
          `--cert-file=${tls.certFile}`,
          `--key-file=${tls.keyFile}`,
          ...(tls.caFile === undefined ? [] : [`--trusted-ca-file=${tls.caFile}`, '--client-cert-auth']),
          `--listen-metrics-urls=${metrics(i)}`,
        ];
  const initialCluster = names.map((n, i) => `${n}=${peer(i)}`).join(',');
  const children: ChildProcess[] = names.map((name, i) => {
    const log = openSync(join(dataDir, `${name}.log`), 'w');
    const child = spawn(
      'etcd',
      [
        `--name=${name}`,
        `--data-dir=${join(dataDir, name)}`,
        `--listen-client-urls=${client(i)}`,
        `--advertise-client-urls=${client(i)}`,
        `--listen-peer-urls=${peer(i)}`,
        `--initial-advertise-peer-urls=${peer(i)}`,
        `--initial-cluster=${initialCluster}`,
        '--initial-cluster-state=new',
        `--initial-cluster-token=test-${ports[0]}`,
        '--logger=zap',
        '--log-level=warn',
        ...tlsArgs(i),
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    live.add(child);
    child.once('exit', () => live.delete(child));
    return child;
  });
  const endpoints = names.map((_, i) => client(i));
  const server: EtcdServer = {
    endpoints,
    pids: children.map((c) => c.pid ?? -1),
    dataDir,
    async kill(memberIndex) {
      const child = children[memberIndex];
      if (child === undefined) throw new RangeError(`no etcd member ${memberIndex} (have ${members})`);
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      await Promise.all(
        children.map(async (child) => {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 1000); // test data is disposable
          await exited(child);
          clearTimeout(timer);
        }),
      );
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const dead = children.findIndex((c) => c.exitCode !== null || c.signalCode !== null);
    if (dead >= 0) {
      const err = new EtcdStartError(names[dead]!, `exited with ${children[dead]!.exitCode ?? children[dead]!.signalCode}`, dataDir);
      await server.stop();
      throw err;
    }
    const ok = await Promise.all(names.map((_, i) => healthy(tls ? metrics(i) : client(i))));
    if (ok.every(Boolean)) return server;
    if (Date.now() > deadline) {
      const logs = names.map((n) => readLogTail(join(dataDir, `${n}.log`))).join('\n');
      await server.stop();
      throw new Error(`etcd did not become healthy within 15 s:\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

class EtcdStartError extends Error {
  override name = 'EtcdStartError';
  readonly portClash: boolean;
  constructor(member: string, what: string, dataDir: string) {
    const log = readLogTail(join(dataDir, `${member}.log`));
    super(`etcd member ${member} ${what}:\n${log}`);
    this.portClash = /address already in use/.test(log);
  }
}

function readLogTail(path: string): string {
  if (!existsSync(path)) return '(no log)';
  return readFileSync(path, 'utf8').split('\n').slice(-8).join('\n');
}

/** Starts 1 (default) or 3 etcd members on free ports in a temp dir, with client TLS if asked. */
export async function startEtcd(opts: { members?: 1 | 3; tls?: EtcdTlsFiles } = {}): Promise<EtcdServer> {
  const reason = etcdMissingReason();
  if (reason !== undefined) throw new Error(reason);
  const members = opts.members ?? 1;
  for (let tries = 1; ; tries++) {
    const dataDir = mkdtempSync(join(baseDir(), 'maestro-etcd-'));
    try {
      return await attempt(members, dataDir, opts.tls);
    } catch (err) {
      rmSync(dataDir, { recursive: true, force: true });
      // Another process may have taken a probed port before etcd bound it: probe again.
      if (err instanceof EtcdStartError && err.portClash && tries < 3) continue;
      throw err;
    }
  }
}
