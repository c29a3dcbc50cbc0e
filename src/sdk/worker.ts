/**
 * The TypeScript worker SDK: runs steps of your own types in your process, over the
 * WorkerService stream (proto/maestro/v1/worker.proto) to any node of a deployment.
 *
 *   const worker = createWorker({
 *     address: 'localhost:7233',
 *     types: ['my_type'],
 *     concurrency: 8,
 *     handler: async (task) => ({ rows: await load(task.params.table as string, task.signal) }),
 *   });
 *   await worker.connected;
 *
 * - The handler gets the task's params as plain JS values and returns the step's outputs (or
 *   nothing). Throwing fails the step: a FatalError or an error with `retryable === false` is
 *   FATALLY_FAILED (never retried), a PlatformError PLATFORM_FAILED (the platform retry policy),
 *   anything else USER_FAILED (the step's retry policy).
 * - `task.signal` aborts when the attempt is stopped, killed or timed out, or the stream to the
 *   node dropped; the handler should then return promptly (its result is ignored).
 * - `task.log(...)` keeps lines with the attempt (its stdout, the last 64 KiB) and sends them to
 *   the node as they come, in batches of up to 100 ms (`maestro logs -f` shows them live).
 * - At most `concurrency` handlers run at once (the stream's credit).
 * - When the stream drops, the worker reconnects with backoff to the next address of the list
 *   and re-sends nothing: the server hands what the worker held to another worker. Delivery is
 *   at least once: a handler should be idempotent for its `attemptId`.
 * - A hello the server refuses (INVALID_ARGUMENT: a bad type name, a capacity out of range) is
 *   final: `connected` rejects, 'error' is emitted and the worker stops.
 */
import { LogBatcher } from './log-batcher.js';
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { TaskStatus, WorkerServiceClient, type Task, type TaskResult, type WorkerCommand, type WorkerMessage } from '../gen/maestro/v1/worker.js';
import { fromValueMap, toValueMap } from '../control/value-mapping.js';
import { channelCredentials, type ClientTlsOptions } from '../control/tls.js';
import { bearerTokenInterceptor } from '../control/auth.js';

export const SDK_NAME = 'maestro-ts/0.1.0';
const LOG_MAX_BYTES = 64 * 1024;

/** The step failed for good: never retried. */
export class FatalError extends Error {
  override name = 'FatalError';
  readonly retryable = false;
}

/** The step's own failure: retried per the step's retry policy (the default for any error). */
export class UserError extends Error {
  override name = 'UserError';
}

/** An infrastructure failure: retried per the platform retry policy. */
export class PlatformError extends Error {
  override name = 'PlatformError';
}

export interface WorkerTask {
  attemptId: string;
  type: string;
  subType: string;
  workflowId: string;
  instanceId: number;
  runId: number;
  stepId: string;
  /** 1 for the first attempt of the step in this run. */
  attempt: number;
  /** The step's evaluated params, plain JS values. */
  params: Record<string, unknown>;
  startedAtMs: number;
  /** The step's timeout (0: none). */
  timeoutMs: number;
  /** The dispatching owner's partition and fencing epoch (informational: the node fences). */
  partition: number;
  epoch: number;
  signal: AbortSignal;
  /** Appends a line to the attempt's stdout (the last 64 KiB are kept). */
  log(...parts: unknown[]): void;
}

export type WorkerHandler = (task: WorkerTask) => Promise<Record<string, unknown> | void> | Record<string, unknown> | void;

export interface WorkerOptions {
  /** `host:port` of a node, or several: a dropped stream reconnects to the next one. */
  address: string | string[];
  types: string[];
  handler: WorkerHandler;
  /** Tasks run at once (the stream's credit). Default 1. */
  concurrency?: number;
  /** Sent as `authorization: Bearer <token>`. */
  token?: string;
  tls?: ClientTlsOptions;
  /** Shown in the node's logs; default the server names it. */
  workerId?: string;
  /** Reconnect backoff: first and largest pause. Default 100 ms and 5 s. */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
}

export interface Worker extends EventEmitter {
  /** Resolves at the first welcome; rejects when the server refuses the hello. */
  readonly connected: Promise<void>;
  /** The node the stream is connected to now ('' between connections). */
  readonly nodeId: string;
  /** Handlers running now. */
  readonly running: number;
  /** Stops: closes the stream and aborts running handlers (their tasks go to other workers). */
  close(): Promise<void>;
}

/**
 * Starts a worker. Events: 'connected' (nodeId, address), 'disconnected' (error or undefined),
 * 'error' (a refused hello, final; emitted only when listened to: `connected` rejects anyway), 'task' (WorkerTask) and 'result' (attemptId, status).
 */
export function createWorker(opts: WorkerOptions): Worker {
  return new WorkerImpl(opts);
}

interface Running {
  controller: AbortController;
  call: grpc.ClientDuplexStream<WorkerMessage, WorkerCommand>;
  cancelled: boolean;
}

class WorkerImpl extends EventEmitter implements Worker {
  readonly connected: Promise<void>;
  nodeId = '';
  private readonly addresses: string[];
  private next = 0;
  private call: grpc.ClientDuplexStream<WorkerMessage, WorkerCommand> | undefined;
  private client: WorkerServiceClient | undefined;
  private readonly tasks = new Map<string, Running>();
  private heartbeat: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private pauseMs: number;
  private closed = false;
  private resolveConnected!: () => void;
  private rejectConnected!: (err: Error) => void;
  private readonly creds: grpc.ChannelCredentials;
  private readonly interceptors: grpc.Interceptor[];

  constructor(private readonly o: WorkerOptions) {
    super();
    this.addresses = Array.isArray(o.address) ? [...o.address] : [o.address];
    if (this.addresses.length === 0) throw new Error('createWorker: address names no node');
    this.pauseMs = o.reconnectInitialMs ?? 100;
    this.creds = channelCredentials(o.tls);
    this.interceptors = o.token === undefined ? [] : [bearerTokenInterceptor(o.token)];
    this.connected = new Promise((resolve, reject) => {
      this.resolveConnected = resolve;
      this.rejectConnected = reject;
    });
    this.connected.catch(() => undefined); // also reported as 'error'
    this.open();
  }

  get running(): number {
    return this.tasks.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retry);
    this.drop(new Error('the worker closed'));
    const call = this.call;
    this.call = undefined;
    if (call) {
      const ended = new Promise<void>((resolve) => {
        call.on('close', resolve);
        call.on('error', () => resolve());
        setTimeout(resolve, 1_000).unref();
      });
      call.end();
      call.cancel();
      await ended;
    }
    this.client?.close();
    this.rejectConnected(new Error('the worker closed before it connected'));
  }

  private open(): void {
    if (this.closed) return;
    const address = this.addresses[this.next++ % this.addresses.length]!;
    this.client?.close();
    const client = new WorkerServiceClient(address, this.creds, { interceptors: this.interceptors });
    this.client = client;
    const call = client.connect();
    this.call = call;
    let welcomed = false;
    call.on('data', (cmd: WorkerCommand) => {
      if (this.call !== call) return;
      if (cmd.welcome) {
        welcomed = true;
        this.nodeId = cmd.welcome.nodeId;
        this.pauseMs = this.o.reconnectInitialMs ?? 100;
        this.startHeartbeat(call, cmd.welcome.heartbeatIntervalMs);
        this.emit('connected', cmd.welcome.nodeId, address);
        this.resolveConnected();
      }
      for (const task of cmd.tasks?.tasks ?? []) this.run(call, task);
      if (cmd.cancel) {
        const r = this.tasks.get(cmd.cancel.attemptId);
        if (r && r.call === call) {
          r.cancelled = true;
          r.controller.abort(new Error(`attempt ${cmd.cancel.reason || 'cancelled'}`));
        }
      }
    });
    let done = false;
    const lost = (err?: grpc.ServiceError) => {
      if (done) return;
      done = true;
      if (this.call !== call) return;
      this.call = undefined;
      this.nodeId = '';
      this.drop(err ?? new Error('the stream ended'));
      if (this.closed) return;
      if (err?.code === grpc.status.INVALID_ARGUMENT && !welcomed) {
        this.closed = true;
        this.client?.close();
        this.rejectConnected(err);
        if (this.listenerCount('error') > 0) this.emit('error', err);
        return;
      }
      this.emit('disconnected', err);
      this.retry = setTimeout(() => this.open(), this.pauseMs);
      this.pauseMs = Math.min(this.pauseMs * 2, this.o.reconnectMaxMs ?? 5_000);
    };
    call.on('error', (err: grpc.ServiceError) => lost(err));
    call.on('end', () => lost());
    call.on('close', () => lost());
    call.write({ hello: { workerId: this.o.workerId ?? '', types: this.o.types, capacity: this.o.concurrency ?? 1, sdk: SDK_NAME } });
  }

  private startHeartbeat(call: grpc.ClientDuplexStream<WorkerMessage, WorkerCommand>, intervalMs: number): void {
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      if (this.call !== call) return;
      call.write({ heartbeat: { attemptIds: [...this.tasks.keys()] } });
    }, Math.max(50, intervalMs));
    this.heartbeat.unref();
  }

  /** The stream is gone: running handlers are aborted and their results dropped (the server re-dispatches). */
  private drop(reason: Error): void {
    clearInterval(this.heartbeat);
    for (const r of this.tasks.values()) r.controller.abort(reason);
    this.tasks.clear();
  }

  private run(call: grpc.ClientDuplexStream<WorkerMessage, WorkerCommand>, t: Task): void {
    const controller = new AbortController();
    const running: Running = { controller, call, cancelled: false };
    this.tasks.set(t.attemptId, running);
    const logs = new LogTail();
    const live = new LogBatcher((text) => {
      if (this.call === call && this.tasks.get(t.attemptId) === running) call.write({ log: { attemptId: t.attemptId, stream: 'stdout', text } });
    });
    const task: WorkerTask = {
      attemptId: t.attemptId,
      type: t.type,
      subType: t.subType,
      workflowId: t.workflowId,
      instanceId: t.instanceId,
      runId: t.runId,
      stepId: t.stepId,
      attempt: t.attempt,
      params: fromValueMap(t.params),
      startedAtMs: t.startedAt?.getTime() ?? 0,
      timeoutMs: t.timeoutMs,
      partition: t.partition,
      epoch: t.epoch,
      signal: controller.signal,
      log: (...parts) => {
        const line = parts.map((p) => (typeof p === 'string' ? p : safeJson(p))).join(' ');
        logs.add(line);
        live.add(line);
      },
    };
    this.emit('task', task);
    Promise.resolve()
      .then(() => this.o.handler(task))
      .then(
        (outputs) => resultOf(t.attemptId, TaskStatus.TASK_STATUS_SUCCEEDED, outputs ?? {}, '', logs.text()),
        (err: unknown) => resultOf(t.attemptId, statusOf(err), {}, err instanceof Error ? err.message : String(err), logs.text()),
      )
      .then((result) => {
        live.close(); // the lines go before the result
        if (this.tasks.get(t.attemptId) !== running) return; // the stream dropped: re-dispatched elsewhere
        this.tasks.delete(t.attemptId);
        this.emit('result', t.attemptId, result.status);
        if (this.call === call) call.write({ result });
      });
  }
}

function resultOf(attemptId: string, status: TaskStatus, outputs: Record<string, unknown>, error: string, stdout: string): TaskResult {
  try {
    return { attemptId, status, outputs: toValueMap(outputs, 'outputs'), error, stdout, stderr: '' };
  } catch (err) {
    return { attemptId, status: TaskStatus.TASK_STATUS_FATALLY_FAILED, outputs: {}, error: `the handler's outputs cannot be sent: ${(err as Error).message}`, stdout, stderr: '' };
  }
}

function statusOf(err: unknown): TaskStatus {
  if (err instanceof PlatformError) return TaskStatus.TASK_STATUS_PLATFORM_FAILED;
  if (err instanceof FatalError || (typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === false)) {
    return TaskStatus.TASK_STATUS_FATALLY_FAILED;
  }
  return TaskStatus.TASK_STATUS_USER_FAILED;
}

/** A logged value as JSON; one JSON cannot show (a cycle, a bigint: TypeError) as String(v). */
function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch (err) {
    if (err instanceof TypeError) return String(v);
    throw err;
  }
}

/** The last LOG_MAX_BYTES (about: counted in UTF-16 units) of the lines logged. */
class LogTail {
  private lines: string[] = [];
  private size = 0;
  add(line: string): void {
    this.lines.push(line);
    this.size += line.length + 1;
    while (this.size > LOG_MAX_BYTES && this.lines.length > 1) this.size -= this.lines.shift()!.length + 1;
  }
  text(): string {
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }
}
