/**
 * The node side of the worker protocol (proto/maestro/v1/worker.proto): per step type, a pool of
 * the worker streams connected to this node and their free credit.
 *
 * - One Executor (src/executor/executor.ts, `serve: false`, started when the first type is served) does what every executor does:
 *   attempt dedup, fencing, cancel, step deadlines, heartbeats to owners and result delivery.
 *   Its runtime for a worker type is "push the task to a worker of the pool and await the
 *   worker's TaskResult". The gateway subscribes to a type's queue group (transport
 *   .serveExecutor) when the type's first worker connects here and unsubscribes when the last
 *   leaves, so tasks of a type are spread over every node where a worker of it is connected.
 * - Credit: a stream is given at most its free credit (capacity less tasks held); more tasks of
 *   the type wait in the pool's FIFO for the first credit freed by a result. Tasks given in the
 *   same turn of the event loop to one stream go in one TaskBatch (flushed in a microtask; no
 *   timer per task).
 * - Cancel: an attempt stopped, killed or timed out (the executor aborts its run) is cancelled
 *   on its stream (CancelTask with the reason); its credit comes back with the worker's result,
 *   which is otherwise ignored.
 * - A stream that closes or stays silent for 3 heartbeat intervals: its tasks go at once to
 *   another worker of the type on this node (or wait there for credit); with none left here,
 *   the node leaves the type's queue group and hands the tasks back (transport.dispatch, to the
 *   workers of other nodes). When nobody serves the type anywhere, the attempt is dropped here
 *   (HandedOffError: nothing sent) and its owner keeps it waiting for a worker (worker-waits.ts).
 * - A result for an attempt the stream holds ends it; one for an attempt the stream was given
 *   but no longer holds (cancelled, or ended otherwise) is ignored with a debug log; one for an
 *   attempt id the stream was never given (of the last RECENT_RELEASED) is a protocol error:
 *   the stream is closed with INVALID_ARGUMENT naming `result.attempt_id`.
 */
import { startExecutor, type AbortReason, type ExecutorHandle, type ExecutorHooks } from '../executor/executor.js';
import type { ExecutorOptions } from '../executor/options.js';
import type { RunIo, StepResult, StepRuntime, StepTask } from '../executor/runtime.js';
import { HandedOffError } from '../executor/errors.js';
import type { Subscription, Transport } from '../transport/port.js';
import { NoExecutorError } from '../transport/errors.js';
import type { WorkerTypes } from '../workflow/worker-types.js';
import { MaestroError, ValidationError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import type { Task, TaskLog, TaskResult, WorkerCommand } from '../gen/maestro/v1/worker.js';
import { RESULT_TEXT_MAX_BYTES, WORKER_CAPACITY_MAX, tail, toStepResult, toTask, validateHello, type Hello } from './worker-protocol.js';

/** What a worker's stream is kept of its recent tasks to tell a late result from a bogus one. */
const RECENT_RELEASED = 4096;

export interface WorkerGatewayOptions {
  transport: Transport;
  workerTypes: WorkerTypes;
  nodeId: string;
  /** Workers heartbeat this often; a stream silent for 3 intervals is closed. */
  heartbeatIntervalMs: number;
  /** The gateway executor's options (heartbeats to owners, result retries); its run limit is lifted. */
  executor?: Partial<ExecutorOptions>;
  executorHooks?: ExecutorHooks;
  log: Logger;
  now?: () => number;
}


/** The gRPC side of one stream, as the gateway drives it. */
export interface StreamSink {
  send(cmd: WorkerCommand): void;
  /** Ends the stream (with an error status when `err` is given). */
  end(err?: Error): void;
}

/** A task given to the gateway's runtime and not yet answered. */
interface Pending {
  task: StepTask;
  type: string;
  resolve(r: StepResult): void;
  reject(e: Error): void;
  conn?: WorkerConn;
  done: boolean;
  /** Where the worker's TaskLogs go live (the executor's publisher), and what is kept of them. */
  io?: RunIo;
  logged?: { stdout: string; stderr: string };
}

interface TypePool {
  type: string;
  conns: WorkerConn[];
  next: number;
  /** Tasks waiting for credit, from `head` on (a FIFO without shifting the array each time). */
  queue: Pending[];
  head: number;
  sub?: Subscription;
  /** Subscribe/unsubscribe and hand-offs, in order. */
  ops: Promise<void>;
}

export class WorkerConn {
  /** Held attempts: the pending run, or 'cancelled' until the worker's result returns the credit. */
  readonly held = new Map<string, Pending | 'cancelled'>();
  private readonly released = new Set<string>();
  free: number;
  lastSeenMs: number;
  closed = false;
  outbox: Task[] = [];

  constructor(
    readonly id: string,
    readonly types: string[],
    public capacity: number,
    readonly sink: StreamSink,
    nowMs: number,
  ) {
    this.free = capacity;
    this.lastSeenMs = nowMs;
  }

  release(attemptId: string): void {
    this.held.delete(attemptId);
    this.free++;
    this.released.add(attemptId);
    if (this.released.size > RECENT_RELEASED) this.released.delete(this.released.values().next().value!);
  }

  wasGiven(attemptId: string): boolean {
    return this.released.has(attemptId);
  }
}

export class WorkerGateway {
  private readonly pools = new Map<string, TypePool>();
  private readonly runtimes = new Map<string, StepRuntime>();
  private readonly conns = new Set<WorkerConn>();
  private readonly dirty = new Set<WorkerConn>();
  private flushQueued = false;
  /** Started when the first worker's type is served, so a node with no workers subscribes to nothing. */
  private executor: Promise<ExecutorHandle> | undefined;
  private checker: NodeJS.Timeout | undefined;
  private closing = false;
  private seq = 0;
  private readonly now: () => number;

  private constructor(private readonly o: WorkerGatewayOptions) {
    this.now = o.now ?? Date.now;
  }

  static async open(o: WorkerGatewayOptions): Promise<WorkerGateway> {
    const g = new WorkerGateway(o);
    g.checker = setInterval(() => g.checkHeartbeats(), o.heartbeatIntervalMs);
    g.checker.unref();
    return g;
  }

  private executorOf(): Promise<ExecutorHandle> {
    const opts = { ...this.o.executor, maxConcurrentRuns: Number.MAX_SAFE_INTEGER };
    this.executor ??= startExecutor(this.o.transport, this.runtimes, opts, { log: this.o.log, now: this.now, ...this.o.executorHooks }, { serve: false });
    return this.executor;
  }

  get heartbeatIntervalMs(): number {
    return this.o.heartbeatIntervalMs;
  }

  /** Workers connected here, per lower-case type (tests, cluster info). */
  connected(type: string): number {
    return this.pools.get(type.toLowerCase())?.conns.length ?? 0;
  }

  /** Per lower-case type served here: workers connected, tasks waiting for credit, tasks held by workers (metrics, read on scrape). */
  stats(): Array<{ type: string; workers: number; queued: number; held: number }> {
    const held = new Map<string, number>();
    for (const c of this.conns) for (const p of c.held.values()) if (p !== 'cancelled') held.set(p.type, (held.get(p.type) ?? 0) + 1);
    return [...this.pools.values()].map((p) => ({ type: p.type, workers: p.conns.length, queued: p.queue.length - p.head, held: held.get(p.type) ?? 0 }));
  }

  /**
   * A validated hello: registers its types (durably, cluster-wide), adds the stream to their
   * pools and answers welcome. Rejects with ValidationError naming the field, or unavailable
   * while the node shuts down.
   */
  async connect(hello: Hello, sink: StreamSink): Promise<WorkerConn> {
    const h = validateHello(hello);
    if (this.closing) throw new MaestroError('unavailable', 'this node is shutting down; connect to another node', { retryable: true });
    const workerId = h.workerId || `worker-${++this.seq}@${this.o.nodeId}`;
    for (const type of h.types) await this.o.workerTypes.register(type, { node: this.o.nodeId, sdk: h.sdk });
    if (this.closing) throw new MaestroError('unavailable', 'this node is shutting down; connect to another node', { retryable: true });
    const conn = new WorkerConn(workerId, h.types.map((t) => t.toLowerCase()), h.capacity, sink, Date.now());
    sink.send({ welcome: { nodeId: this.o.nodeId, heartbeatIntervalMs: this.o.heartbeatIntervalMs, workerId } });
    this.conns.add(conn);
    const types = [...new Set(conn.types)];
    for (const type of types) {
      const pool = this.poolOf(type);
      pool.conns.push(conn);
      if (pool.conns.length === 1) this.serve(pool);
      this.pump(pool);
    }
    // announced once served here: the owners' re-dispatches it prompts find this worker
    void Promise.all(types.map((t) => this.poolOf(t).ops)).then(() => {
      if (!conn.closed) for (const t of types) this.o.workerTypes.announce(t);
    });
    this.o.log.info({ workerId, types: h.types, capacity: h.capacity, sdk: h.sdk }, 'worker connected');
    return conn;
  }

  /** Any message from the worker: it is alive. */
  seen(conn: WorkerConn): void {
    conn.lastSeenMs = Date.now(); // stream liveness is wall-clock time, whatever the engine's clock says
  }

  credit(conn: WorkerConn, n: number): void {
    if (!Number.isInteger(n) || n < 1 || conn.capacity + n > WORKER_CAPACITY_MAX) {
      throw new ValidationError('credit.credit', `must be a positive integer keeping the capacity within 1..${WORKER_CAPACITY_MAX} (capacity is ${conn.capacity})`);
    }
    conn.capacity += n;
    conn.free += n;
    for (const type of conn.types) this.pump(this.poolOf(type));
  }

  /** A worker's result; throws ValidationError for an attempt id this stream was never given. */
  result(conn: WorkerConn, r: TaskResult): void {
    const entry = conn.held.get(r.attemptId);
    if (entry === undefined) {
      if (conn.wasGiven(r.attemptId)) return this.o.log.debug({ workerId: conn.id, attemptId: r.attemptId }, 'ignored a second result for an attempt');
      throw new ValidationError('result.attempt_id', `this stream was not given attempt ${JSON.stringify(r.attemptId)}`);
    }
    conn.release(r.attemptId);
    if (entry === 'cancelled') {
      this.o.log.debug({ workerId: conn.id, attemptId: r.attemptId }, 'ignored the result of a cancelled attempt');
    } else {
      entry.done = true;
      const result = toStepResult(r);
      // what the worker logged is kept when its result carries no logs of its own
      if (result.stdout === undefined && entry.logged?.stdout) result.stdout = tail(entry.logged.stdout);
      if (result.stderr === undefined && entry.logged?.stderr) result.stderr = tail(entry.logged.stderr);
      entry.resolve(result);
    }
    for (const type of conn.types) this.pump(this.poolOf(type));
  }

  /**
   * Live output of an attempt the stream holds: published (batched by the executor's publisher)
   * and its tail kept for the result. Ignored for attempts the stream no longer holds.
   */
  log(conn: WorkerConn, l: TaskLog): void {
    const stream = l.stream === '' || l.stream === 'stdout' ? 'stdout' : l.stream === 'stderr' ? 'stderr' : undefined;
    if (stream === undefined) throw new ValidationError('log.stream', `must be "stdout" or "stderr", got ${JSON.stringify(l.stream)}`);
    const entry = conn.held.get(l.attemptId);
    if (entry === undefined || entry === 'cancelled' || entry.done || l.text === '') return;
    entry.io?.log(stream, l.text);
    const logged = (entry.logged ??= { stdout: '', stderr: '' });
    const text = logged[stream] + l.text;
    // chars, not bytes: twice the byte bound holds at least the bound's worth of UTF-8
    logged[stream] = text.length > 2 * RESULT_TEXT_MAX_BYTES ? text.slice(text.length - RESULT_TEXT_MAX_BYTES) : text;
  }

  /** The stream ended (closed by the worker, failed, or timed out): its tasks go elsewhere at once. */
  disconnect(conn: WorkerConn, why: string): void {
    if (conn.closed) return;
    conn.closed = true;
    this.conns.delete(conn);
    this.dirty.delete(conn);
    const moved: Pending[] = [];
    for (const entry of conn.held.values()) if (entry !== 'cancelled' && !entry.done) moved.push(entry);
    conn.held.clear();
    for (const type of new Set(conn.types)) {
      const pool = this.poolOf(type);
      pool.conns = pool.conns.filter((c) => c !== conn);
      if (pool.conns.length === 0) this.unserve(pool);
    }
    this.o.log.info({ workerId: conn.id, why, moved: moved.length }, 'worker disconnected');
    for (const p of moved) {
      p.conn = undefined;
      this.place(p);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.checker);
    const unavailable = new MaestroError('unavailable', 'the node is shutting down; connect to another node', { retryable: true });
    for (const c of [...this.conns]) {
      c.sink.end(unavailable);
      this.disconnect(c, 'node shutting down');
    }
    await Promise.all([...this.pools.values()].map((p) => p.ops));
    // What is still held here was handed back above; the rest is abandoned to the owners' re-dispatch.
    if (this.executor !== undefined) await (await this.executor).close({ abandon: true });
  }

  private poolOf(type: string): TypePool {
    let pool = this.pools.get(type);
    if (pool === undefined) {
      pool = { type, conns: [], next: 0, queue: [], head: 0, ops: Promise.resolve() };
      this.pools.set(type, pool);
      this.runtimes.set(type, { type, run: (task, signal, io) => this.run(type, task, signal, io) });
    }
    return pool;
  }

  private op(pool: TypePool, what: string, fn: () => Promise<void>): void {
    pool.ops = pool.ops.then(fn).catch((err: unknown) => this.o.log.error({ err, type: pool.type }, what));
  }

  private serve(pool: TypePool): void {
    this.op(pool, 'serving the step type failed', async () => {
      if (pool.conns.length === 0 || pool.sub !== undefined || this.closing) return;
      const executor = await this.executorOf();
      // An owner of this node gives its task straight to the pool while a worker here has credit.
      const canTakeLocally = (): boolean => pool.head >= pool.queue.length && pool.conns.some((c) => c.free > 0);
      pool.sub = await this.o.transport.serveExecutor([pool.type], (task) => executor.accept(task), { canTakeLocally });
    });
  }

  private unserve(pool: TypePool): void {
    this.op(pool, 'leaving the step type queue group failed', async () => {
      if (pool.conns.length > 0 || pool.sub === undefined) return;
      const sub = pool.sub;
      pool.sub = undefined;
      await sub.close();
    });
  }

  /** The runtime of every worker type: push to a worker, resolve with its result. */
  private run(type: string, task: StepTask, signal: AbortSignal, io?: RunIo): Promise<StepResult> {
    return new Promise<StepResult>((resolve, reject) => {
      const p: Pending = { task, type, resolve, reject, done: false, io };
      signal.addEventListener('abort', () => this.cancel(p, signal.reason as AbortReason), { once: true });
      this.place(p);
    });
  }

  private place(p: Pending): void {
    if (p.done) return;
    const pool = this.poolOf(p.type);
    if (pool.conns.length === 0) return this.handOff(pool, p);
    const conn = this.pick(pool);
    if (conn === undefined) pool.queue.push(p);
    else this.give(conn, p);
  }

  /** The next stream of the pool (round robin) with free credit. */
  private pick(pool: TypePool): WorkerConn | undefined {
    const n = pool.conns.length;
    for (let i = 0; i < n; i++) {
      const c = pool.conns[(pool.next + i) % n]!;
      if (c.free > 0) {
        pool.next = (pool.next + i + 1) % n;
        return c;
      }
    }
    return undefined;
  }

  private pump(pool: TypePool): void {
    while (pool.head < pool.queue.length) {
      const conn = this.pick(pool);
      if (conn === undefined) break;
      const p = pool.queue[pool.head++]!;
      if (!p.done) this.give(conn, p);
    }
    if (pool.head === pool.queue.length) {
      pool.queue = [];
      pool.head = 0;
    } else if (pool.head > 1024 && pool.head * 2 > pool.queue.length) {
      pool.queue = pool.queue.slice(pool.head);
      pool.head = 0;
    }
  }

  private give(conn: WorkerConn, p: Pending): void {
    let task: Task;
    try {
      task = toTask(p.task);
    } catch (err) {
      p.done = true;
      return p.resolve({ status: 'FATALLY_FAILED', error: `the step's params cannot be sent to a worker: ${(err as Error).message}` });
    }
    conn.free--;
    conn.held.set(p.task.attemptId, p);
    p.conn = conn;
    conn.outbox.push(task);
    this.dirty.add(conn);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushQueued = false;
    for (const conn of this.dirty) {
      const tasks = conn.outbox;
      conn.outbox = [];
      if (tasks.length > 0 && !conn.closed) conn.sink.send({ tasks: { tasks } });
    }
    this.dirty.clear();
  }

  private cancel(p: Pending, reason: AbortReason): void {
    if (p.done) return;
    p.done = true;
    const conn = p.conn;
    if (conn !== undefined && !conn.closed && conn.held.get(p.task.attemptId) === p) {
      conn.held.set(p.task.attemptId, 'cancelled');
      const queued = conn.outbox.findIndex((t) => t.attemptId === p.task.attemptId);
      if (queued >= 0) {
        // not sent yet: take it back instead of cancelling it
        conn.outbox.splice(queued, 1);
        conn.release(p.task.attemptId);
      } else {
        conn.sink.send({ cancel: { attemptId: p.task.attemptId, reason: CANCEL_REASON[reason] } });
      }
    }
    // the executor ignores an aborted run's own result; it decides what is sent
    p.resolve({ status: 'PLATFORM_FAILED', error: `attempt ${reason}` });
  }

  /**
   * No worker of the type left on this node: leave its queue group, then hand the task to a
   * worker of another node; with none anywhere, drop it here (its owner keeps it waiting).
   */
  private handOff(pool: TypePool, p: Pending): void {
    this.unserve(pool);
    this.op(pool, 'handing a task off failed', async () => {
      if (p.done) return;
      if (pool.conns.length > 0) return this.place(p); // a worker connected meanwhile
      p.done = true;
      try {
        await this.o.transport.dispatch(p.task);
        p.reject(new HandedOffError(p.task.attemptId, 'to a worker of another node'));
      } catch (err) {
        if (!(err instanceof NoExecutorError)) this.o.log.warn({ err, attemptId: p.task.attemptId }, 'hand-off failed; the owner dispatches the attempt again');
        p.reject(new HandedOffError(p.task.attemptId, `no worker of type ${p.type} is connected; its owner dispatches it again`));
      }
    });
  }

  private checkHeartbeats(): void {
    const limit = 3 * this.o.heartbeatIntervalMs;
    const nowMs = Date.now();
    for (const conn of [...this.conns]) {
      const silentMs = nowMs - conn.lastSeenMs;
      if (silentMs <= limit) continue;
      conn.sink.end(new MaestroError('unavailable', `no heartbeat for ${silentMs} ms (limit ${limit} ms); reconnect`, { retryable: true }));
      this.disconnect(conn, 'heartbeat timeout');
    }
  }
}

const CANCEL_REASON: Record<AbortReason, string> = { cancel: 'stopped', deadline: 'timed out', close: 'stopped' };
