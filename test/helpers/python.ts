/**
 * Runs the Python SDK (clients/python) with Debian's /usr/bin/python3 (the python with grpc; see
 * scripts/install-servers.sh). Tests register as skipped, saying why, when it is missing.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
export const PY_ROOT = fileURLToPath(new URL('../../clients/python/', import.meta.url));
export const PY_FIXTURES = fileURLToPath(new URL('../fixtures/python/', import.meta.url));

let missing: string | undefined | null = null;

/** Why the Python SDK cannot run here; undefined when it can. */
export function pythonMissing(): string | undefined {
  if (missing !== null) return missing;
  if (!existsSync(PYTHON)) missing = `${PYTHON} not found`;
  else {
    try {
      execFileSync(PYTHON, ['-c', 'import grpc, google.protobuf'], { stdio: 'pipe' });
      missing = undefined;
    } catch {
      missing = `${PYTHON} cannot import grpc (apt-get install python3-grpcio)`;
    }
  }
  return missing;
}

export function pythonEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, PYTHONPATH: PY_ROOT, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...extra };
}

export interface PyResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a script to its end (killed by pid after `timeoutMs`). */
export function runPython(args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<PyResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { env: pythonEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} ran over ${opts.timeoutMs ?? 60_000} ms; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (err) => (clearTimeout(timer), reject(err)));
    child.on('exit', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

/** A long-running Python process whose stdout is JSON lines; `next` waits for a matching one. */
export class PyProcess {
  readonly lines: Array<Record<string, unknown>> = [];
  private stderrText = '';
  private waiters = new Set<() => void>();
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    let buf = '';
    child.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.stderrText += `(stdout, not JSON) ${line}\n`;
        }
      }
      for (const w of [...this.waiters]) w();
    });
    child.stderr!.on('data', (b: Buffer) => (this.stderrText = (this.stderrText + b.toString()).slice(-20_000)));
    this.exited = new Promise((resolve) => child.on('exit', (code) => (resolve(code), [...this.waiters].forEach((w) => w()))));
  }

  static spawn(args: string[], env: Record<string, string> = {}): PyProcess {
    return new PyProcess(spawn(PYTHON, args, { env: pythonEnv(env), stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  stderr(): string {
    return this.stderrText;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the `n`-th (1-based) line matching `pred`, printed already or later. */
  next(what: string, pred: (l: Record<string, unknown>) => boolean, opts: { n?: number; timeoutMs?: number } = {}): Promise<Record<string, unknown>> {
    const n = opts.n ?? 1;
    const find = () => this.lines.filter(pred)[n - 1];
    const now = find();
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = find();
        if (hit) return done(), resolve(hit);
        if (!this.alive) return done(), reject(new Error(`python exited before ${what}; stderr:\n${this.stderrText}`));
      };
      const timer = setTimeout(() => (done(), reject(new Error(`no ${what} within ${opts.timeoutMs ?? 30_000} ms; stderr:\n${this.stderrText}`))), opts.timeoutMs ?? 30_000);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** kill -9 by pid; resolves once it exited. */
  async kill9(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then the exit code. */
  async stop(): Promise<number | null> {
    if (this.alive) this.child.kill('SIGTERM');
    return this.exited;
  }
}
