/**
 * Shell: runs the string param `command` with `/bin/sh -c` in its own process group.
 *
 * - Environment: this process's environment, then every step param under its own name (strings
 *   as is, numbers/booleans stringified, maps/arrays JSON-encoded, null as ""), then MAESTRO_*
 *   context (workflow/instance/run/step/attempt ids) and the output-block markers.
 * - Output params: the MAESTRO_OUTPUT_START..END block of stdout (see shell-output.ts).
 * - Verdict: exit 0 -> SUCCEEDED with the outputs (a malformed block -> USER_FAILED); non-zero
 *   exit or death by a signal -> USER_FAILED with exit_code/exit_signal in details, or
 *   FATALLY_FAILED when the block's artifacts say `maestro_retry.retryable: false` (Maestro).
 * - The last maxOutputBytes of stdout and stderr are kept in the result; while it runs, both are
 *   also reported live (RunIo.log) as they come, decoded as UTF-8 across chunk boundaries.
 * - When the shell exits, whatever it left running in its process group is killed. On abort the
 *   group gets SIGTERM, then SIGKILL after shellKillGraceMs; the run resolves once pipes close.
 * - Not idempotent by itself: a redelivered attempt runs the command again. Commands can use
 *   MAESTRO_ATTEMPT_ID to make their side effects idempotent.
 */
import { spawn } from 'node:child_process';
import type { ExecutorOptions } from '../options.js';
import type { RunIo, StepResult, StepRuntime, StepTask } from '../runtime.js';
import { StringDecoder } from 'node:string_decoder';
import {
  OUTPUT_END_ENV,
  OUTPUT_END_TOKEN,
  OUTPUT_START_ENV,
  OUTPUT_START_TOKEN,
  parseOutputBlock,
} from './shell-output.js';
import { TailBuffer } from './text-bounds.js';

type ShellOptions = Pick<ExecutorOptions, 'maxOutputBytes' | 'shellMaxOutputBlockBytes' | 'shellKillGraceMs'>;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ShellRuntime implements StepRuntime {
  readonly type = 'Shell';
  constructor(
    private readonly opts: ShellOptions,
    private readonly shellPath = '/bin/sh',
  ) {}

  async run(task: StepTask, signal: AbortSignal, io?: RunIo): Promise<StepResult> {
    const command = task.params['command'];
    if (typeof command !== 'string' || command.trim() === '') {
      return { status: 'FATALLY_FAILED', error: 'Shell step needs a non-empty string param command' };
    }
    const env = buildEnv(task);
    if (typeof env === 'string') return { status: 'FATALLY_FAILED', error: env };
    if (signal.aborted) return { status: 'PLATFORM_FAILED', error: 'Shell step was cancelled' };

    const blockWindow = new TailBuffer(this.opts.shellMaxOutputBlockBytes);
    const stdoutTail = new TailBuffer(this.opts.maxOutputBytes);
    const stderrTail = new TailBuffer(this.opts.maxOutputBytes);
    let exit: Exit;
    try {
      const live = io === undefined ? undefined : liveStreams(io);
      exit = await this.spawnAndWait(
        command,
        env,
        signal,
        (b) => (blockWindow.push(b), stdoutTail.push(b), live?.stdout(b)),
        (b) => (stderrTail.push(b), live?.stderr(b)),
      );
      live?.end();
    } catch (e) {
      return { status: 'PLATFORM_FAILED', error: `Shell step could not start ${this.shellPath}: ${(e as Error).message}` };
    }
    const logs = { stdout: stdoutTail.text(), stderr: stderrTail.text() };
    if (signal.aborted) return { status: 'PLATFORM_FAILED', error: 'Shell step was cancelled', ...logs };

    const block = parseOutputBlock(blockWindow.text());
    const blockError =
      block.kind !== 'error'
        ? undefined
        : blockWindow.droppedBytes > 0 && !blockWindow.text().includes(OUTPUT_START_ENV)
          ? `the output block does not fit in the last ${this.opts.shellMaxOutputBlockBytes} bytes of stdout (executor option shellMaxOutputBlockBytes)`
          : block.error;
    if (exit.code === 0 && exit.signal === null) {
      if (blockError !== undefined) return { status: 'USER_FAILED', error: blockError, details: { exit_code: 0 }, ...logs };
      if (block.kind !== 'ok') return { status: 'SUCCEEDED', outputs: {}, details: { exit_code: 0 }, ...logs };
      const details = block.artifacts === undefined ? { exit_code: 0 } : { exit_code: 0, artifacts: block.artifacts };
      return { status: 'SUCCEEDED', outputs: block.outputs, details, ...logs };
    }
    const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const lastErr = lastLine(logs.stderr);
    const error = `command ${how}${lastErr ? `: ${lastErr}` : ''}`;
    const details = exit.signal !== null ? { exit_signal: exit.signal } : { exit_code: exit.code };
    const nonRetryable = block.kind === 'ok' && isNonRetryable(block.artifacts);
    return { status: nonRetryable ? 'FATALLY_FAILED' : 'USER_FAILED', error, details, ...logs };
  }

  private spawnAndWait(
    command: string,
    env: NodeJS.ProcessEnv,
    signal: AbortSignal,
    onStdout: (b: Buffer) => void,
    onStderr: (b: Buffer) => void,
  ): Promise<Exit> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.shellPath, ['-c', command], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let killTimer: NodeJS.Timeout | undefined;
      const killGroup = (sig: NodeJS.Signals): void => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, sig);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ESRCH') return; // the group is already gone
          // EPERM and the like: the step's processes may outlive it; fail the run saying so.
          reject(new Error(`cannot send ${sig} to the step's process group ${child.pid}: ${(e as Error).message}`, { cause: e }));
        }
      };
      const onAbort = (): void => {
        killGroup('SIGTERM');
        killTimer = setTimeout(() => killGroup('SIGKILL'), this.opts.shellKillGraceMs);
        killTimer.unref();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', onStdout);
      child.stderr.on('data', onStderr);
      child.once('exit', () => killGroup('SIGKILL'));
      child.once('error', (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      });
      child.once('close', (code, sig) => {
        signal.removeEventListener('abort', onAbort);
        if (killTimer !== undefined) clearTimeout(killTimer);
        resolve({ code, signal: sig });
      });
    });
  }
}

/** Decodes each stream's bytes (a character split over two chunks stays whole) for RunIo. */
function liveStreams(io: RunIo): { stdout(b: Buffer): void; stderr(b: Buffer): void; end(): void } {
  const out = new StringDecoder('utf8');
  const err = new StringDecoder('utf8');
  return {
    stdout: (b) => io.log('stdout', out.write(b)),
    stderr: (b) => io.log('stderr', err.write(b)),
    end: () => {
      io.log('stdout', out.end());
      io.log('stderr', err.end());
    },
  };
}

/** The child's environment, or an error naming the param that cannot be an env var. */
function buildEnv(task: StepTask): NodeJS.ProcessEnv | string {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(task.params)) {
    if (name === '' || name.includes('=') || name.includes('\0')) {
      return `param ${JSON.stringify(name)} cannot be passed as an environment variable (empty, or contains = or NUL)`;
    }
    const text = envText(value);
    if (text.includes('\0')) return `param ${name} cannot be passed as an environment variable: its value contains NUL`;
    env[name] = text;
  }
  env['MAESTRO_WORKFLOW_ID'] = task.workflowId;
  env['MAESTRO_INSTANCE_ID'] = String(task.instanceId);
  env['MAESTRO_RUN_ID'] = String(task.runId);
  env['MAESTRO_STEP_ID'] = task.stepId;
  env['MAESTRO_ATTEMPT'] = String(task.attempt);
  env['MAESTRO_ATTEMPT_ID'] = task.attemptId;
  env[OUTPUT_START_ENV] = OUTPUT_START_TOKEN;
  env[OUTPUT_END_ENV] = OUTPUT_END_TOKEN;
  return env;
}

function envText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

function lastLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  return (lines[lines.length - 1] ?? '').slice(0, 500);
}

function isNonRetryable(artifacts: Record<string, unknown> | undefined): boolean {
  const retry = artifacts?.['maestro_retry'];
  return typeof retry === 'object' && retry !== null && (retry as Record<string, unknown>)['retryable'] === false;
}
