/**
 * The in-process Transport: the embedded mode and fast tests. Hot path: no timers, no copies
 * (bodies are passed by reference, so handlers must treat them as read-only).
 *
 * Invariants
 * - Nothing is delivered on the caller's stack: `request` runs the handler after a microtask;
 *   dispatched tasks and published messages go through one FIFO drained by `setImmediate`, so
 *   a step chain (dispatch -> result -> dispatch) yields to I/O and timers between hops, and
 *   dispatch/publish order is kept.
 * - `request` looks the handler up at delivery time. While the partition has no handler it
 *   waits for `serve` of that partition (event-driven, no polling). A handler's retryable
 *   rejection (`partition 4 is moving`) is retried with backoff (src/retry), as the NATS
 *   transport does; at `timeoutMs` the last such rejection, or DeliveryTimeoutError when nobody
 *   served the partition, is thrown. Any other rejection is passed to the caller as is.
 * - One handler per partition: a second `serve` is rejected until the first is closed.
 * - `dispatch` rejects with NoExecutorError when no executor serves the type; otherwise it
 *   resolves at once and the task goes, round-robin, to an executor serving the type when the
 *   queue drains. If the last such executor closed in between, the task is dropped, which the
 *   engine treats like any lost dispatch (the attempt's timeout ends it).
 * - After `close`, requests and dispatches reject with TransportClosedError, waiting requests
 *   are rejected, queued deliveries are dropped and publish is a no-op.
 * - Trust boundary: the same checks as over NATS (../boundary.ts), so embedded mode and tests
 *   see what a cluster sees: a request or dispatch that fails its schema rejects with
 *   InvalidMessageError (as the NATS adapter's error reply does); a topic event that fails is
 *   dropped. Handlers get the checked copy (unknown fields stripped), never the sender's object.
 * - What a task or topic handler throws has no caller: it is logged (warn).
 */
import { routeOf } from '../../core/partition.js';
import type { DispatchedTask } from '../../protocol/executor.js';
import { DeliveryTimeoutError, NoExecutorError, PartitionAlreadyServedError, PartitionRangeError, TransportClosedError } from '../errors.js';
import type { ActorHandler, RequestOptions, Subscription, TaskHandler, TopicHandler, Transport } from '../port.js';
import { InvalidMessageError } from '../../protocol/errors.js';
import { Boundary, type BoundaryOptions, type Check } from '../boundary.js';
import type { TransportStats } from '../port.js';
import { moduleLogger, type Logger } from '../../log/logger.js';
import { isRetryable, retry, type BackoffPolicy } from '../../retry/index.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, TRANSPORT_RETRY_DEFAULTS } from '../retry-defaults.js';

/** `schemas` (required) and the rejection reporting settings are the trust boundary's (../boundary.ts). */
export interface MemoryTransportOptions extends BoundaryOptions {
  partitions: number;
  /** Default deadline of a request (waiting for a server, retrying retryable rejections). */
  requestTimeoutMs?: number;
  /** Backoff between retries of a retryable rejection. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Where what a task or topic handler threw goes (they have no caller to throw to). */
  log?: Logger;
}

export { DEFAULT_REQUEST_TIMEOUT_MS } from '../retry-defaults.js';

interface ExecutorGroup {
  handlers: TaskHandler[];
  next: number;
}

interface Waiter {
  wake(): void;
  fail(err: Error): void;
}

export class MemoryTransport implements Transport {
  readonly partitions: number;
  private readonly requestTimeoutMs: number;
  private readonly retryBackoff: BackoffPolicy;
  private readonly log: Logger;
  private readonly actors: (ActorHandler | undefined)[];
  private readonly waiters = new Map<number, Set<Waiter>>();
  private readonly executors = new Map<string, ExecutorGroup>();
  private readonly topics = new Map<string, Set<TopicHandler>>();
  private readonly topicChecks = new Map<string, Check>();
  private readonly boundary: Boundary;
  private queue: (() => void)[] = [];
  private drainScheduled = false;
  private closed = false;
  private msgSeq = 0;

  constructor(opts: MemoryTransportOptions) {
    if (!Number.isInteger(opts.partitions) || opts.partitions < 1) {
      throw new RangeError(`MemoryTransport partitions must be a positive integer, got ${opts.partitions}`);
    }
    this.partitions = opts.partitions;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.retryBackoff = { initialMs: opts.retryBaseMs ?? TRANSPORT_RETRY_DEFAULTS.retryBaseMs, maxMs: opts.retryMaxMs ?? TRANSPORT_RETRY_DEFAULTS.retryMaxMs };
    this.log = moduleLogger(opts.log, 'transport');
    this.actors = new Array<ActorHandler | undefined>(opts.partitions).fill(undefined);
    this.boundary = new Boundary(opts, opts.partitions);
  }

  async request(to: string, body: unknown, opts?: RequestOptions): Promise<unknown> {
    const msgId = opts?.msgId ?? `mem-${++this.msgSeq}`;
    const partition = routeOf(to, this.partitions);
    await undefined;
    const checked = this.boundary.actor(partition, to, msgId, body, to);
    if (this.closed) throw new TransportClosedError();
    const handler = this.actors[partition];
    if (handler === undefined) return this.retryRequest(to, checked, msgId, partition, opts?.timeoutMs);
    try {
      return await handler(to, checked, msgId);
    } catch (err) {
      if (!isRetryable(err)) throw err;
      return this.retryRequest(to, checked, msgId, partition, opts?.timeoutMs, err);
    }
  }

  /** Slow path: waits for a server and retries retryable rejections; `failed` is the first try's. */
  private retryRequest(to: string, body: unknown, msgId: string, partition: number, timeoutMs = this.requestTimeoutMs, failed?: unknown): Promise<unknown> {
    const deadlineMs = Date.now() + timeoutMs;
    return retry(
      async ({ attempt }) => {
        if (attempt === 1 && failed !== undefined) throw failed;
        for (;;) {
          if (this.closed) throw new TransportClosedError();
          const handler = this.actors[partition];
          if (handler !== undefined) return await handler(to, body, msgId);
          await this.waitForServer(partition, deadlineMs, () => new DeliveryTimeoutError(to, timeoutMs));
        }
      },
      { what: `request to ${to}`, backoff: this.retryBackoff, deadlineMs: timeoutMs, onDeadline: (last) => last },
    );
  }

  serve(partition: number, handler: ActorHandler): Promise<Subscription> {
    if (this.closed) return Promise.reject(new TransportClosedError());
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.partitions) {
      return Promise.reject(new PartitionRangeError(partition, this.partitions));
    }
    if (this.actors[partition] !== undefined) return Promise.reject(new PartitionAlreadyServedError(partition));
    this.actors[partition] = handler;
    const waiting = this.waiters.get(partition);
    if (waiting !== undefined) {
      this.waiters.delete(partition);
      for (const w of waiting) w.wake();
    }
    let open = true;
    return Promise.resolve({
      close: () => {
        if (open && this.actors[partition] === handler) this.actors[partition] = undefined;
        open = false;
        return Promise.resolve();
      },
    });
  }

  dispatch(task: DispatchedTask): Promise<void> {
    if (this.closed) return Promise.reject(new TransportClosedError());
    const type = task.stepType.toLowerCase();
    if (!this.executors.has(type)) return Promise.reject(new NoExecutorError(task.stepType));
    let checked: DispatchedTask;
    try {
      checked = this.boundary.task(type, task, `exec ${type}`);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    this.enqueue(() => {
      const group = this.executors.get(type);
      if (group === undefined) return;
      const handler = group.handlers[group.next++ % group.handlers.length];
      if (group.next >= group.handlers.length) group.next = 0;
      handler?.(checked);
    });
    return Promise.resolve();
  }

  serveExecutor(stepTypes: readonly string[], handler: TaskHandler): Promise<Subscription> {
    if (this.closed) return Promise.reject(new TransportClosedError());
    const types = [...new Set(stepTypes.map((t) => t.toLowerCase()))];
    for (const type of types) {
      const group = this.executors.get(type) ?? { handlers: [], next: 0 };
      group.handlers.push(handler);
      this.executors.set(type, group);
    }
    let open = true;
    return Promise.resolve({
      close: () => {
        if (open) for (const type of types) this.removeExecutor(type, handler);
        open = false;
        return Promise.resolve();
      },
    });
  }

  publish(topic: string, body: unknown): void {
    if (this.closed || !this.topics.has(topic)) return;
    this.enqueue(() => {
      const handlers = this.topics.get(topic);
      const check = this.topicChecks.get(topic);
      if (handlers === undefined || check === undefined) return;
      let checked: unknown;
      try {
        checked = this.boundary.topic(check, body, topic);
      } catch (e) {
        if (!(e instanceof InvalidMessageError)) this.log.warn({ err: e, topic }, 'topic event could not be read');
        return; // an InvalidMessageError is counted and reported by the boundary
      }
      for (const h of handlers) {
        try {
          h(checked);
        } catch (err) {
          this.log.warn({ err, topic }, 'topic handler failed');
        }
      }
    });
  }

  subscribe(topic: string, handler: TopicHandler): Subscription {
    if (this.closed) throw new TransportClosedError();
    if (!this.topicChecks.has(topic)) this.topicChecks.set(topic, this.boundary.topicCheck(topic));
    // A fresh wrapper per subscription, so the same function subscribed twice is two subscriptions.
    const entry: TopicHandler = (body) => handler(body);
    const set = this.topics.get(topic) ?? new Set<TopicHandler>();
    set.add(entry);
    this.topics.set(topic, set);
    return {
      close: () => {
        set.delete(entry);
        if (set.size === 0 && this.topics.get(topic) === set) {
          this.topics.delete(topic);
          this.topicChecks.delete(topic);
        }
        return Promise.resolve();
      },
    };
  }

  stats(): TransportStats {
    return this.boundary.stats();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    const err = new TransportClosedError();
    for (const set of this.waiters.values()) for (const w of set) w.fail(err);
    this.waiters.clear();
    this.actors.fill(undefined);
    this.executors.clear();
    this.topics.clear();
    this.topicChecks.clear();
    this.queue = [];
    return Promise.resolve();
  }

  private removeExecutor(type: string, handler: TaskHandler): void {
    const group = this.executors.get(type);
    if (group === undefined) return;
    const i = group.handlers.indexOf(handler);
    if (i >= 0) group.handlers.splice(i, 1);
    if (group.handlers.length === 0) this.executors.delete(type);
    else if (group.next >= group.handlers.length) group.next = 0;
  }

  /** Slow path only: resolves when `partition` gets a handler; one timer per waiting request. */
  private waitForServer(partition: number, deadlineMs: number, timeoutError: () => Error): Promise<void> {
    return new Promise((resolve, reject) => {
      const set = this.waiters.get(partition) ?? new Set<Waiter>();
      this.waiters.set(partition, set);
      const done = (): void => {
        clearTimeout(timer);
        set.delete(waiter);
        if (set.size === 0 && this.waiters.get(partition) === set) this.waiters.delete(partition);
      };
      const waiter: Waiter = {
        wake: () => (done(), resolve()),
        fail: (err) => (done(), reject(err)),
      };
      const timer = setTimeout(() => waiter.fail(timeoutError()), Math.max(0, deadlineMs - Date.now()));
      set.add(waiter);
    });
  }

  private enqueue(delivery: () => void): void {
    this.queue.push(delivery);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(this.drain);
    }
  }

  /** Runs the deliveries queued before this drain; later ones wait for the next turn. */
  private readonly drain = (): void => {
    this.drainScheduled = false;
    const batch = this.queue;
    this.queue = [];
    for (const delivery of batch) {
      if (this.closed) return;
      try {
        delivery();
      } catch (err) {
        this.log.warn({ err }, 'task handler failed');
      }
    }
  };
}
