/**
 * The executor actor: takes dispatched step attempts off the transport, runs them on a
 * StepRuntime and hands each verdict back to the owning instance.
 *
 * Invariants
 * - One run per attempt id at a time: a delivery of an attempt that is queued, running or
 *   still delivering its result is dropped. A delivery of an attempt that finished recently
 *   (the last `finishedAttemptCacheSize`) re-sends the remembered result instead of re-running.
 * - At most `maxConcurrentRuns` runtimes run at once; later attempts wait in FIFO order.
 * - A runtime that throws or returns something that is not a StepResult yields PLATFORM_FAILED
 *   with the message, so every run ends in a result.
 * - Every accepted attempt ends in a result sent to its instance, except one cancelled through
 *   TOPIC_CANCEL_ATTEMPT (the engine already ended it; the run is aborted, nothing is sent).
 *   Past `startedAtMs + timeoutMs` the run is aborted and PLATFORM_FAILED is sent; `close()`
 *   aborts queued and running attempts and sends PLATFORM_FAILED for them, for up to
 *   `closeTimeoutMs`; `close({ abandon: true })` aborts them and sends nothing (the node's own
 *   partitions are already closed: their next owner re-dispatches the attempts).
 * - Result delivery retries while the transport's error is retryable, with no deadline, until
 *   the owner takes the result or the attempt is known dead (cancelled, or close's deadline
 *   passed); a non-retryable failure goes to `hooks.onError` (never dropped silently).
 * - A runtime that throws HandedOffError (the attempt went to another node, or back to its
 *   owner's re-dispatch) ends the run with nothing sent and nothing remembered: the attempt is
 *   forgotten, and a later delivery of it runs again.
 * - The runtime's AbortSignal carries why (`signal.reason`): 'cancel', 'deadline' or 'close'.
 * - `serve: false` (startExecutor's last argument): the executor takes no queue group of its own;
 *   its owner feeds it tasks with `accept(task)` (a worker gateway subscribing per step type).
 * - Fencing: the newest owner epoch seen per partition — from tasks, cancels and
 *   TOPIC_PARTITION_EPOCH announcements — only grows; a task or cancel from an older epoch is
 *   refused (counted, reported to `hooks.onFenced`) and changes nothing here.
 */
import {
  TOPIC_ATTEMPT_HEARTBEAT,
  TOPIC_CANCEL_ATTEMPT,
  TOPIC_PARTITION_EPOCH,
  type AttemptHeartbeat,
  type CancelAttempt,
  type DispatchedTask,
  type PartitionEpoch,
  type StepResultMessage,
} from '../protocol/executor.js';
import type { Subscription, Transport } from '../transport/port.js';
import { resolveExecutorOptions, type ExecutorOptions } from './options.js';
import { deliverResult } from './result-delivery.js';
import type { StepResult, StepResultStatus, StepRuntime, StepTask } from './runtime.js';
import { resolveRuntime } from './runtimes/registry.js';
import { HandedOffError } from './errors.js';
import { AttemptLogPublisher } from './log-publisher.js';
import { fallbackLogger, type Logger } from '../log/logger.js';

export interface ExecutorHooks {
  /** Where delivery warnings go (module 'executor' is bound). Default: the process-wide fallback logger. */
  log?: Logger;
  /** Results that could not be delivered (ResultDeliveryError). Default: logged as an error. */
  onError?: (err: Error, task: StepTask) => void;
  /** A task or cancel refused because a newer owner epoch is known for its partition. */
  onFenced?: (what: 'task' | 'cancel', attemptId: string, partition: number, epoch: number, newest: number) => void;
  /** Every task accepted to run (audits and tests). */
  onAccepted?: (task: DispatchedTask) => void;
  now?: () => number;
}

export interface ExecutorHandle {
  /** Attempts whose runtime is running now. */
  readonly running: number;
  /** Attempts waiting for a free run slot. */
  readonly queued: number;
  /** Tasks and cancels refused as coming from a former owner (an older epoch). */
  readonly fenced: number;
  /** Takes a dispatched task as if it came from the queue group (same dedup and fencing). */
  accept(task: DispatchedTask): void;
  close(opts?: { abandon?: boolean }): Promise<void>;
}

export type AbortReason = 'cancel' | 'deadline' | 'close';

/** A run that ends with nothing to send: the attempt was handed off (see HandedOffError). */
const HANDED_OFF = Symbol('handed off');

interface Attempt {
  task: StepTask;
  phase: 'queued' | 'running' | 'delivering';
  /** Aborts the runtime; `NEVER` for instant runtimes, which have nothing to abort. */
  controller: AbortController;
  reason?: AbortReason;
}

/** Shared by attempts of instant runtimes: never aborted (abort() below skips it). */
const NEVER = new AbortController();

const STATUSES: ReadonlySet<StepResultStatus> = new Set(['SUCCEEDED', 'USER_FAILED', 'PLATFORM_FAILED', 'FATALLY_FAILED']);

export async function startExecutor(
  transport: Transport,
  runtimes: ReadonlyMap<string, StepRuntime>,
  opts: Partial<ExecutorOptions> = {},
  hooks: ExecutorHooks = {},
  mode: { serve?: boolean } = {},
): Promise<ExecutorHandle> {
  const executor = new Executor(transport, runtimes, resolveExecutorOptions(opts), hooks);
  await executor.start(mode.serve !== false);
  return executor;
}

class Executor implements ExecutorHandle {
  running = 0;
  fenced = 0;
  /** The newest owner epoch seen per partition. */
  private readonly epochs = new Map<number, number>();
  private readonly attempts = new Map<string, Attempt>();
  private readonly finished = new Map<string, StepResultMessage | 'cancelled'>();
  private waiting: Attempt[] = [];
  private waitingHead = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopDelivery = new AbortController();
  private subscriptions: Subscription[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private closing = false;
  private closed: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly onError: (err: Error, task: StepTask) => void;
  private readonly hooks: ExecutorHooks;
  private readonly log: Logger;

  constructor(
    private readonly transport: Transport,
    private readonly runtimes: ReadonlyMap<string, StepRuntime>,
    private readonly opts: ExecutorOptions,
    hooks: ExecutorHooks,
  ) {
    this.hooks = hooks;
    this.now = hooks.now ?? Date.now;
    this.log = hooks.log ?? fallbackLogger().child({ module: 'executor' });
    this.onError = hooks.onError ?? ((err, task) => this.log.error({ err, attemptId: task.attemptId }, 'result not delivered'));
  }

  get queued(): number {
    return this.waiting.length - this.waitingHead;
  }

  accept(task: DispatchedTask): void {
    this.onTask(task);
  }

  async start(serve: boolean): Promise<void> {
    this.subscriptions.push(this.transport.subscribe(TOPIC_CANCEL_ATTEMPT, (body) => this.onCancel(body as CancelAttempt)));
    this.subscriptions.push(this.transport.subscribe(TOPIC_PARTITION_EPOCH, (body) => this.admits(body as PartitionEpoch)));
    const types = [...this.runtimes.keys()].map((t) => t.toLowerCase());
    try {
      if (serve) {
        const canTakeLocally = (): boolean => this.running + this.queued < this.opts.maxConcurrentRuns;
        this.subscriptions.push(await this.transport.serveExecutor(types, (task) => this.onTask(task), { canTakeLocally }));
      }
    } catch (err) {
      await Promise.all(this.subscriptions.map((s) => s.close()));
      throw err;
    }
    if (this.opts.heartbeatIntervalMs > 0) {
      this.heartbeat = setInterval(() => this.announce(), this.opts.heartbeatIntervalMs);
      this.heartbeat.unref();
    }
  }

  /** Tells owners which attempts this executor holds (see TOPIC_ATTEMPT_HEARTBEAT). */
  private announce(): void {
    if (this.attempts.size === 0) return;
    const msg: AttemptHeartbeat = { attempts: [...this.attempts.values()].map((a) => [a.task.instanceKey, a.task.attemptId]) };
    this.transport.publish(TOPIC_ATTEMPT_HEARTBEAT, msg);
  }

  close(opts: { abandon?: boolean } = {}): Promise<void> {
    this.closed ??= this.shutDown(opts.abandon === true);
    return this.closed;
  }

  private async shutDown(abandon: boolean): Promise<void> {
    this.closing = true;
    if (abandon) this.stopDelivery.abort();
    clearInterval(this.heartbeat);
    await Promise.all(this.subscriptions.map((s) => s.close()));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => (this.stopDelivery.abort(), resolve()), this.opts.closeTimeoutMs);
    });
    this.waiting = [];
    this.waitingHead = 0;
    for (const a of this.attempts.values()) {
      if (a.phase === 'delivering') continue;
      this.abort(a, 'close');
      if (a.phase === 'queued' && !abandon) this.track(this.finish(a, aborted(a, 'close')));
    }
    await Promise.race([this.settled(), deadline]);
    clearTimeout(timer);
    this.stopDelivery.abort();
  }

  private async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Whether a message of (partition, epoch) comes from the newest owner known here (recording a
   * newer epoch as it goes). Fencing is per partition; epochs of a partition only grow.
   */
  private admits(m: { partition: number; epoch: number }): boolean {
    const newest = this.epochs.get(m.partition) ?? 0;
    if (m.epoch < newest) return false;
    if (m.epoch > newest) this.epochs.set(m.partition, m.epoch);
    return true;
  }

  private refuse(what: 'task' | 'cancel', attemptId: string, m: { partition: number; epoch: number }): void {
    this.fenced++;
    this.hooks.onFenced?.(what, attemptId, m.partition, m.epoch, this.epochs.get(m.partition) ?? 0);
  }

  private onTask(task: DispatchedTask): void {
    const id = task.attemptId;
    if (!this.admits(task)) return this.refuse('task', id, task);
    if (this.closing || this.attempts.has(id)) return;
    const done = this.finished.get(id);
    if (done === 'cancelled') return;
    const instant = this.runtimes.get(task.stepType.toLowerCase())?.instant === true;
    const a: Attempt = { task, phase: 'queued', controller: instant ? NEVER : new AbortController() };
    this.attempts.set(id, a);
    this.hooks.onAccepted?.(task);
    if (done !== undefined) this.track(this.deliver(a, done));
    else if (this.running < this.opts.maxConcurrentRuns) this.track(this.run(a));
    else this.waiting.push(a);
  }

  private onCancel(body: CancelAttempt): void {
    const id = body.attemptId;
    if (!this.admits(body)) return this.refuse('cancel', id, body);
    const a = this.attempts.get(id);
    if (a !== undefined) this.abort(a, 'cancel');
    if (a === undefined || a.phase === 'queued') {
      this.attempts.delete(id);
      this.remember(id, 'cancelled');
    }
  }

  private abort(a: Attempt, reason: AbortReason): void {
    if (a.reason === undefined) a.reason = reason;
    if (a.controller !== NEVER) a.controller.abort(a.reason);
  }

  private async run(a: Attempt): Promise<void> {
    a.phase = 'running';
    this.running++;
    const { task } = a;
    let timer: NodeJS.Timeout | undefined;
    let outcome: StepResult | typeof HANDED_OFF | undefined;
    try {
      if (task.timeoutMs !== undefined) {
        const leftMs = task.startedAtMs + task.timeoutMs - this.now();
        if (leftMs <= 0) this.abort(a, 'deadline');
        else (timer = setTimeout(() => this.abort(a, 'deadline'), leftMs)).unref();
      }
      if (a.reason === undefined) outcome = await this.runRuntime(task, a.controller.signal);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      this.running--;
      this.pump();
    }
    // An aborted run's own result is ignored: the abort reason decides what is sent.
    if (a.reason !== undefined) return this.finish(a, aborted(a, a.reason));
    if (outcome === HANDED_OFF) {
      if (this.attempts.get(task.attemptId) === a) this.attempts.delete(task.attemptId);
      return;
    }
    await this.finish(a, outcome);
  }

  private async runRuntime(task: StepTask, signal: AbortSignal): Promise<StepResult | typeof HANDED_OFF> {
    // live output for observers (maestro logs -f); the end marker goes out before the result
    const live = new AttemptLogPublisher(this.transport, task.attemptId, this.log);
    try {
      const result = await resolveRuntime(this.runtimes, task.stepType).run(task, signal, live);
      if (typeof result !== 'object' || result === null || !STATUSES.has(result.status)) {
        return { status: 'PLATFORM_FAILED', error: `the ${task.stepType} runtime returned an invalid result` };
      }
      return result;
    } catch (err) {
      if (err instanceof HandedOffError) return HANDED_OFF;
      return { status: 'PLATFORM_FAILED', error: err instanceof Error ? err.message : String(err) };
    } finally {
      live.close();
    }
  }

  private pump(): void {
    while (this.running < this.opts.maxConcurrentRuns && this.waitingHead < this.waiting.length && !this.closing) {
      const a = this.waiting[this.waitingHead++];
      if (a !== undefined && this.attempts.get(a.task.attemptId) === a) this.track(this.run(a));
    }
    if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
  }

  /** Sends the verdict unless the engine cancelled the attempt; remembers it for redeliveries. */
  private async finish(a: Attempt, result: StepResult | undefined): Promise<void> {
    const { task } = a;
    if (result === undefined) {
      this.attempts.delete(task.attemptId);
      this.remember(task.attemptId, 'cancelled');
      return;
    }
    const msg: StepResultMessage = {
      type: 'StepResult',
      stepId: task.stepId,
      runId: task.runId,
      attempt: task.attempt,
      attemptId: task.attemptId,
      result,
    };
    this.remember(task.attemptId, msg);
    await this.deliver(a, msg);
  }

  private async deliver(a: Attempt, msg: StepResultMessage): Promise<void> {
    a.phase = 'delivering';
    const policy = {
      initialPauseMs: this.opts.resultRetryInitialMs,
      maxPauseMs: this.opts.resultRetryMaxMs,
      warnEveryMs: this.opts.resultWarnEveryMs,
      log: this.log,
    };
    // A run aborted by deadline or close still reports; only a cancel or the end of close() stops it.
    const stop = this.stopDelivery.signal;
    const stopped = (): boolean => stop.aborted || a.reason === 'cancel';
    try {
      await deliverResult(this.transport, a.task.instanceKey, msg, policy, stopped, stop, this.now);
    } catch (err) {
      this.onError(err as Error, a.task);
    } finally {
      if (this.attempts.get(a.task.attemptId) === a) this.attempts.delete(a.task.attemptId);
    }
  }

  private remember(attemptId: string, entry: StepResultMessage | 'cancelled'): void {
    if (this.opts.finishedAttemptCacheSize === 0) return;
    this.finished.delete(attemptId);
    this.finished.set(attemptId, entry);
    if (this.finished.size > this.opts.finishedAttemptCacheSize) {
      const oldest = this.finished.keys().next();
      if (oldest.done !== true) this.finished.delete(oldest.value);
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    const drop = (): void => void this.inFlight.delete(p);
    p.then(drop, drop);
  }
}

/** The verdict for an attempt aborted for `reason`; undefined when nothing must be sent. */
function aborted(a: Attempt, reason: AbortReason): StepResult | undefined {
  switch (reason) {
    case 'cancel':
      return undefined;
    case 'deadline':
      return { status: 'PLATFORM_FAILED', error: `attempt passed its step timeout of ${a.task.timeoutMs} ms` };
    case 'close':
      return { status: 'PLATFORM_FAILED', error: 'the executor shut down before the attempt finished' };
  }
}
