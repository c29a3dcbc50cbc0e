/**
 * Starts real nats-server processes for integration tests and benchmarks.
 *
 * - Client and monitoring ports are chosen by the server (`-1`) and read back from its ports
 *   file; a cluster's route ports must be known to every member up front, so they are probed
 *   by binding port 0 on 127.0.0.1 first.
 * - Every server keeps its config, log and JetStream store in one temp dir, removed by `stop`.
 * - Servers are stopped by pid (SIGTERM, then SIGKILL), never by name; any still running when
 *   the test process exits, or is stopped by SIGTERM/SIGINT, are killed.
 * - Ready means every server answers `/healthz` (with JetStream: a meta leader is known).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NatsFixture {
  /** Client URLs, one per server, in server order. */
  urls: string[];
  /** Monitoring URLs (`/healthz`, `/jsz`...), one per server. */
  monitorUrls: string[];
  /** Current pids, one per server (0 while a server is down). */
  readonly pids: number[];
  stop(): Promise<void>;
  /** SIGKILLs server `index` and waits until it has exited. */
  kill(index: number): Promise<void>;
  /** Starts a killed server again on the same ports and store dir, and waits until it is healthy. */
  restart(index: number): Promise<void>;
}

export interface StartNatsOptions {
  cluster?: 1 | 3;
  jetstream?: boolean;
  /** Lines appended to every server's config (e.g. a `tls { ... }` or `authorization { ... }` block). */
  extraConfig?: string[];
}

const BIN = process.env['NATS_SERVER_BIN'] ?? 'nats-server';
const START_TIMEOUT_MS = 15_000;
const live = new Set<ChildProcess>();
const roots = new Set<string>();
const killLive = (): void => {
  for (const child of live) child.kill('SIGKILL');
  for (const root of roots) rmSync(root, { recursive: true, force: true });
};
process.once('exit', killLive);
// A test runner stopping a timed-out worker sends a signal, and 'exit' never fires then: kill the
// servers, and re-raise the signal when nobody else handles it, so the default action follows.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  const onSignal = (): void => {
    killLive();
    if (process.listenerCount(signal) === 1) {
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    }
  };
  process.on(signal, onSignal);
}

let haveNatsCache: boolean | undefined;
/** True when a nats-server binary runs; tests skip (saying why) when it does not. */
export function haveNats(): boolean {
  if (haveNatsCache === undefined) {
    try {
      execFileSync(BIN, ['--version'], { stdio: 'ignore', timeout: 5_000 });
      haveNatsCache = true;
    } catch {
      haveNatsCache = false;
    }
  }
  return haveNatsCache;
}

export const NATS_MISSING = `nats-server not found (looked for "${BIN}"; run scripts/install-servers.sh or set NATS_SERVER_BIN)`;

interface Member {
  name: string;
  dir: string;
  configPath: string;
  child?: ChildProcess;
  clientPort?: number;
  monitorUrl?: string;
}

export async function startNats(opts: StartNatsOptions = {}): Promise<NatsFixture> {
  const size = opts.cluster ?? 1;
  const jetstream = opts.jetstream ?? true;
  const root = mkdtempSync(join(tmpdir(), 'maestro-nats-'));
  roots.add(root);
  const routePorts = size > 1 ? await freePorts(size) : [];
  const members: Member[] = [];
  for (let i = 0; i < size; i++) {
    const dir = join(root, `n${i}`);
    mkdirSync(dir, { recursive: true });
    members.push({ name: `n${i}`, dir, configPath: join(dir, 'server.conf') });
  }
  const writeConfig = (m: Member, i: number): void => {
    const lines = [
      `server_name: ${m.name}`,
      `host: 127.0.0.1`,
      `port: ${m.clientPort ?? -1}`,
      `http: "127.0.0.1:${m.monitorUrl ? new URL(m.monitorUrl).port : -1}"`,
      `ports_file_dir: "${m.dir}"`,
      `log_file: "${join(m.dir, 'server.log')}"`,
    ];
    if (jetstream) lines.push(`jetstream { store_dir: "${join(m.dir, 'js')}" }`);
    lines.push(...(opts.extraConfig ?? []));
    if (size > 1) {
      const routes = routePorts.filter((_, j) => j !== i).map((p) => `"nats-route://127.0.0.1:${p}"`);
      lines.push(`cluster { name: maestro-test, listen: "127.0.0.1:${routePorts[i]}", routes: [${routes.join(', ')}] }`);
    }
    writeFileSync(m.configPath, lines.join('\n') + '\n');
  };
  const launch = async (i: number): Promise<void> => {
    const m = members[i]!;
    writeConfig(m, i);
    for (const f of readdirSync(m.dir)) if (f.endsWith('.ports')) rmSync(join(m.dir, f));
    const errFd = openSync(join(m.dir, 'stderr.log'), 'a');
    const child = spawn(BIN, ['-c', m.configPath], { stdio: ['ignore', 'ignore', errFd] });
    closeSync(errFd);
    live.add(child);
    child.once('exit', () => live.delete(child));
    m.child = child;
    const ports = await readPortsFile(m, child);
    m.clientPort = Number(new URL(ports.nats).port);
    m.monitorUrl = ports.monitoring;
  };
  const stopOne = async (m: Member, signal: NodeJS.Signals): Promise<void> => {
    const child = m.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await Promise.all(members.map((_, i) => launch(i)));
    await waitHealthy(members);
  } catch (e) {
    await Promise.all(members.map((m) => stopOne(m, 'SIGKILL')));
    rmSync(root, { recursive: true, force: true });
    roots.delete(root);
    throw e;
  }

  return {
    urls: members.map((m) => `nats://127.0.0.1:${m.clientPort}`),
    monitorUrls: members.map((m) => m.monitorUrl!),
    get pids() {
      return members.map((m) => (m.child && m.child.exitCode === null && m.child.signalCode === null ? m.child.pid ?? 0 : 0));
    },
    async stop() {
      await Promise.all(members.map((m) => stopOne(m, 'SIGTERM')));
      rmSync(root, { recursive: true, force: true });
      roots.delete(root);
    },
    async kill(index) {
      const m = members[index];
      if (!m) throw new RangeError(`kill(${index}): only ${members.length} servers`);
      await stopOne(m, 'SIGKILL');
    },
    async restart(index) {
      const m = members[index];
      if (!m) throw new RangeError(`restart(${index}): only ${members.length} servers`);
      await stopOne(m, 'SIGKILL');
      await launch(index);
      await waitHealthy([m]);
    },
  };
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () =>
      new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        const s = createServer();
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve(s));
      }),
    ),
  );
  const ports = servers.map((s) => {
    const addr = s.address();
    if (addr === null || typeof addr === 'string') throw new Error('could not probe a free port');
    return addr.port;
  });
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

async function readPortsFile(m: Member, child: ChildProcess): Promise<{ nats: string; monitoring: string }> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  const file = `${BIN.split('/').pop()}_${child.pid}.ports`;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`nats-server ${m.name} exited at startup: ${tail(m)}`);
    }
    try {
      const parsed = JSON.parse(readFileSync(join(m.dir, file), 'utf8')) as { nats?: string[]; monitoring?: string[] };
      const nats = parsed.nats?.[0];
      const monitoring = parsed.monitoring?.[0];
      if (nats && monitoring) return { nats, monitoring };
    } catch {
      // not written yet
    }
    if (Date.now() > deadline) throw new Error(`nats-server ${m.name} wrote no ports file within ${START_TIMEOUT_MS} ms: ${tail(m)}`);
    await sleep(20);
  }
}

async function waitHealthy(members: Member[]): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (const m of members) {
    for (;;) {
      try {
        const res = await fetch(`${m.monitorUrl}/healthz`);
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`nats-server ${m.name} not healthy within ${START_TIMEOUT_MS} ms: ${tail(m)}`);
      await sleep(50);
    }
  }
}

function tail(m: Member): string {
  for (const f of ['server.log', 'stderr.log']) {
    try {
      const text = readFileSync(join(m.dir, f), 'utf8').trim();
      if (text) return text.split('\n').slice(-5).join(' | ');
    } catch {
      // try the next log
    }
  }
  return '(no log)';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
