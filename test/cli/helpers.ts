/** Runs the real `maestro` executable as a child process (also `maestro dev`), and an in-memory CliIo for in-process tests. */
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../../src/cli/io.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/maestro.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Asynchronous on purpose: the server under test lives in this process and must keep answering. */
export function maestro(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: opts.cwd ?? ROOT, env: { ...process.env, MAESTRO_SERVER: '', ...opts.env }, timeout: opts.timeoutMs ?? 30_000 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') reject(Object.assign(err, { stdout, stderr }));
        else resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
  });
}

export interface CapturedIo extends CliIo {
  stdout: string[];
  stderr: string[];
  /** Codes passed to exit(), in order (the process is not ended). */
  exits: number[];
  /** Simulates Ctrl-C. */
  interrupt(signal?: string): void;
  /** Resolves with the first stdout line matching `re`, printed already or when it is printed. */
  printed(re: RegExp, timeoutMs?: number): Promise<string>;
}

export function captureIo(cwd = ROOT): CapturedIo {
  const handlers = new Set<(s: string) => void>();
  const printedWaiters = new Set<(line: string) => void>();
  const io: CapturedIo = {
    stdout: [],
    stderr: [],
    exits: [],
    exit: (code) => void io.exits.push(code),
    out: (line) => {
      io.stdout.push(line);
      for (const w of [...printedWaiters]) w(line);
    },
    err: (line) => io.stderr.push(line),
    isTTY: false,
    env: {},
    cwd,
    onInterrupt(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    interrupt(signal = 'SIGINT') {
      for (const h of [...handlers]) h(signal);
    },
    printed(re, timeoutMs = 10_000) {
      const seen = io.stdout.find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          printedWaiters.delete(waiter);
          reject(new Error(`no line matching ${re} within ${timeoutMs} ms; printed:\n${io.stdout.join('\n')}`));
        }, timeoutMs);
        const waiter = (line: string): void => {
          if (!re.test(line)) return;
          clearTimeout(timer);
          printedWaiters.delete(waiter);
          resolve(line);
        };
        printedWaiters.add(waiter);
      });
    },
  };
  return io;
}

export interface DevServer {
  /** HOST:PORT the child printed. */
  address: string;
  /** What the child wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  /** Kills it hard if still running (for teardown). */
  kill(): void;
}

/** Spawns `maestro dev --port 0 --host 127.0.0.1` and resolves once it prints its address. */
export async function startDev(extraArgs: string[] = []): Promise<DevServer> {
  const p = await startMaestro(['dev', '--port', '0', '--host', '127.0.0.1', ...extraArgs], /listening on (\S+)/);
  return { address: p.ready[1]!, stderr: p.stderr, kill: p.kill, stop: p.stop };
}

export interface MaestroProcess {
  /** The first match of the ready pattern in stdout. */
  ready: RegExpExecArray;
  /** What the child wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  /** Kills it hard if still running (for teardown). */
  kill(): void;
}

/**
 * Spawns a long-running `maestro` command (node, worker, dev) and resolves once stdout matches
 * `readyPattern`; rejects with its stderr if it exits first.
 */
export async function startMaestro(args: string[], readyPattern: RegExp, env: Record<string, string> = {}): Promise<MaestroProcess> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  };
  try {
    const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = readyPattern.exec(out);
        if (m) resolve(m);
      });
      void exited.then((code) => reject(new Error(`maestro ${args[0]} exited ${code} before it was ready: ${stderr}`)));
    });
    return {
      ready,
      stderr: () => stderr,
      kill,
      stop() {
        child.kill('SIGTERM');
        return exited;
      },
    };
  } catch (err) {
    kill();
    throw err;
  }
}
