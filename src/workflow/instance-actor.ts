/**
 * The instance actor: holds one workflow instance in memory and drives core's state machine.
 *
 * Invariants:
 * - Durable before visible: a batch of messages is turned into events by the pure machine,
 *   the events are appended (fenced by the partition epoch) and only then are commands run
 *   (dispatch, timers, cancel, watchers) and callers answered.
 * - Refused events are never written: if the machine throws (an action not allowed now, bad
 *   run params), that caller gets the error and the rest of the batch goes on.
 * - A stale epoch (another node owns the partition now) drops the actor: the host is told and
 *   nothing else happens here.
 * - Every effect is fenced (see the fencing story in partition-host.ts): dispatches and cancels
 *   carry (partition, epoch) and receivers refuse older epochs; re-dispatches of attempts nobody
 *   announced are journaled first (a `redispatch` event), so a stale owner cannot issue them;
 *   a timer carries the epoch that armed it and is dropped at any other.
 * - Duplicates are harmless: a result for an attempt that is not running, or a timer that is no
 *   longer pending, is acknowledged without journaling.
 * - An instance whose replay failed (state.replayError) is held read-only: reads work, every
 *   event is refused with the reason.
 */
import { noteProgress, progressChanges } from './progress-changes.js';
import type { Logger } from '../log/logger.js';
import { logLifecycle, noteResult, type AppliedResult } from './lifecycle-log.js';
import { Mailbox, type Envelope } from '../actor/mailbox.js';
import { MaestroError, PreconditionError, StaleEpochError, assertNever } from '../core/errors.js';
import {
  applyEvent,
  encodeRecordEvent,
  resumeCommands,
  toInstanceView,
  toSummary,
  type Applied,
  type InstanceCommand,
  type InstanceEvent,
  type InstanceState,
  type MachineContext,
} from '../core/instance/index.js';
import type { Journal, JournalRecord } from '../journal/port.js';
import type { Transport } from '../transport/port.js';
import { WorkerWaits } from './worker-waits.js';
import { NoExecutorError } from '../transport/errors.js';
import type { StepResult, StepRuntime, StepTask } from '../core/step-runtime.js';
import { WATCH_LEASE_MS, instanceTopic, type ChildEndedMessage, type ChildFailedMessage, type ChildStartedMessage, type InstanceMessage, type PermitGrantMessage, type StartMessage, type StepActionMessage } from './messages.js';
import { childReport } from '../core/instance/composite.js';
import { awaitsChildId, childEnded, iterationRestartEvent, launchEvent, movedError, waitsFor } from './actor-messages.js';
import type { ChildLaunch } from '../core/instance/commands.js';
import { isWorkflowTerminal } from '../core/status.js';
import { isRetryable } from '../retry/index.js';
import { bypassesQueue, queueKeyOf } from '../core/queue/model.js';
import type { QueueMessage } from './queue-messages.js';
import { TOPIC_CANCEL_ATTEMPT, type CancelAttempt } from '../protocol/executor.js';
import { permitStatusOf } from '../core/instance/steps.js';
import { DEPTH_PERMIT_STEP } from '../core/instance/depth-cap.js';
import { PERMITS_KEY, type PermitRequest } from '../core/permits/model.js';
import { parsePermitsReply, type PermitsMessage } from './permit-messages.js';
import { SignalEffects, type SignalAnnouncedMessage } from './signal-effects.js';
import { announceApplies, matchRefusal } from '../core/instance/signals.js';
import type { SignalMatchedMessage } from '../core/signals/model.js';
import type { EngineMetrics } from '../log/metrics.js';
import { ActorMetrics } from './actor-metrics.js';

function stepActionEvent(msg: StepActionMessage, atMs: number): InstanceEvent {
  const ev: InstanceEvent = { t: 'step-action', atMs, stepId: msg.stepId, action: msg.action };
  if (msg.attempt !== undefined) ev.attempt = msg.attempt;
  if (msg.reason !== undefined) ev.reason = msg.reason;
  if (msg.path) ev.path = msg.path;
  return ev;
}

/** What reaches the mailbox: instance messages, and the actor's own timers and re-dispatches. */
export type ActorMessage = InstanceMessage | { type: 'Timer'; timerId: string; epoch: number } | { type: 'Redispatch'; attemptIds: string[] } | SignalAnnouncedMessage;

export interface ActorHostHooks {
  partition: number;
  epoch: number;
  journal: Journal;
  transport: Transport;
  now(): number;
  /** The journal refused our epoch: the partition has a new owner. */
  onStale(err: StaleEpochError): void;
  /** Called after every applied batch (for indexes and checkpoints). */
  onApplied(key: string, state: InstanceState, records: number): void;
  /**
   * Instant runtimes (NoOp) this node runs inline, without a trip through the transport and an
   * executor: the result goes straight back to the actor's mailbox. Keyed by lower-case type.
   */
  inlineRuntimes?: ReadonlyMap<string, StepRuntime>;
  /** Observes every dispatch this owner makes (audits and tests). */
  onDispatch?(task: StepTask, partition: number, epoch: number): void;
  /**
   * Whether workers serve this step type (worker-types.ts): an attempt of it that finds no
   * executor waits for one (worker-waits.ts) instead of failing.
   */
  awaitsWorker?(stepType: string): boolean;
  /** An unexpected failure with no caller to tell (logged by the node). */
  onError(err: unknown, context: Record<string, unknown>, msg: string): void;
  /** Where the instance lifecycle lines go (lifecycle-log.ts); none when absent. */
  log?: Logger;
  /** Starts (or re-runs) a child of a foreach/while/subworkflow step: see src/workflow/children.ts. */
  children: ChildPort;
  /**
   * Steps of instances this node creates acquire tag permits from the permit manager
   * (permit-service.ts); the `started` event records it. Absent: the instance-local counter.
   */
  tagPermits?: boolean;
  /** Step launch latency, start overhead, step ends and permit waits (actor-metrics.ts); absent: none. */
  metrics?: EngineMetrics;
}

/** What an actor asks of the node about child instances (children.ts implements it). */
export interface ChildPort {
  /** Idempotent; resolves with the child's identity once it exists. */
  launch(l: ChildLaunch): Promise<{ instanceId: number; runId: number; version: number }>;
  /** Tells a parent that a child's run ended. */
  notify(parentKey: string, msg: ChildEndedMessage): Promise<void>;
  /** Stops child instances (those already ended are left alone). */
  stop(workflowId: string, instanceIds: number[], reason: string): Promise<void>;
  /** A retry delay for a failed launch or notice, in ms (attempt 1, 2, ...). */
  retryDelayMs(attempt: number): number;
}

const MAX_TIMER_MS = 2 ** 31 - 1;
/** A child recovered within this long after its run ended tells its parent again. */
const RENOTIFY_WITHIN_MS = 10 * 60_000;
/** Tries to tell a parent a child ended (about a minute with the default delays). */
const NOTIFY_ATTEMPTS = 30;
/** Tries to reach the permit manager (about a minute with the default delays). */
const PERMIT_ATTEMPTS = 30;
/** Steps waiting for permits this long ask the manager again (see reaskPermits). */
const PERMIT_REASK_MS = 10_000;
/** Synchronous (NoOp) steps applied in one batch at most; the rest go through the mailbox. */
const MAX_INLINE_STEPS_PER_BATCH = 1_000;
/** A running attempt waiting for a worker (none connected) is dispatched again this often at most, besides on a worker's arrival. */
const WAITING_RETRY_MS = 10_000;
/** Instant runtimes finish before anything could abort them. */
const NEVER_ABORTED = new AbortController().signal;

export class InstanceActor {
  private readonly mailbox: Mailbox<ActorMessage>;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Dispatched attempts -> last sign of life (dispatch or executor heartbeat), in ms. */
  private readonly seen = new Map<string, number>();
  /** Attempts dispatched to a worker type with no worker connected (not journaled). */
  private readonly waits = new WorkerWaits();
  private inlineBudget = 0;
  /** Changes are published only while someone watches (see WatchMessage). */
  private watchedUntil = 0;
  private halted = false;
  /** Some step may wait for permits; when the manager was last asked (see reaskPermits). */
  private permitWaits = false;
  private permitAskedAtMs = 0;
  /** A repeated Start reached this ended child: tell its parent again after the batch. */
  private renotify = false;
  /**
   * A subworkflow child's ChildEnded that arrived before the parent journaled which child it is
   * (ChildStarted: the child ran to its end before its launch reply came back), by step id. It is
   * posted again once that ChildStarted is durable; lost with the actor, it is sent again when
   * the parent's recovery repeats the launch (the ended child answers and reports again).
   */
  private readonly earlyEnds = new Map<string, ChildEndedMessage>();
  /** Step ids whose ChildStarted this batch applied and whose early ChildEnded goes next. */
  private releaseEnds: string[] = [];
  /** Requests to signal stores (signal-effects.ts). */
  private readonly signals: SignalEffects;
  /** What this actor reports to the node's metrics (undefined without metrics). */
  private readonly metrics: ActorMetrics | undefined;
  /** Set once retired (dormant): posts go there. */
  private forward: ((msg: ActorMessage) => Promise<unknown>) | undefined;
  /** Once retired: whether the host that retired it has closed (the partition moved). */
  private hostClosed: (() => boolean) | undefined;

  constructor(
    readonly key: string,
    private state: InstanceState | undefined,
    readonly ctx: MachineContext,
    private readonly host: ActorHostHooks,
  ) {
    this.mailbox = new Mailbox((batch) => this.handle(batch));
    this.signals = new SignalEffects({
      key,
      transport: host.transport,
      state: () => this.state,
      stopped: () => this.stopped,
      post: (msg) => this.post(msg),
      retryDelayMs: (attempt) => host.children.retryDelayMs(attempt),
      failed: (err, context, msg) => this.failed(err, context, msg),
    });
    // set after recovery replayed the instance (with this ctx), so only live changes are seen
    this.metrics = host.metrics ? new ActorMetrics(host.metrics, ctx) : undefined;
  }

  /** Stopped, or retired by a host that closed since: work still in flight ends quietly (the next owner resumes it). */
  private get stopped(): boolean {
    return this.halted || (this.hostClosed?.() ?? false);
  }

  get current(): InstanceState | undefined {
    return this.state;
  }

  post(msg: ActorMessage): Promise<unknown> {
    if (this.forward) return this.forward(msg);
    return this.mailbox.post(msg);
  }

  /**
   * Whether this actor may go dormant (dormant.ts): its run ended and nothing is pending here —
   * no queued batch, timer, watcher's lease, early child notice or permit wait. Work already
   * sent out (a parent notice, a permit release) may still be in flight: see `retire`.
   */
  quiescent(nowMs: number): boolean {
    const s = this.state;
    if (!s || s.replayError !== undefined || this.stopped || !this.mailbox.idle) return false;
    if (s.endedAtMs === undefined || !isWorkflowTerminal(s.status)) return false;
    if (this.timers.size > 0 || this.watchedUntil > nowMs || this.earlyEnds.size > 0 || this.waits.size > 0) return false;
    // `permitWaits` stays set until the next re-ask; only a step still asking for permits counts
    return !this.permitWaits || !resumeCommands(s, this.ctx).some((c) => c.c === 'acquire');
  }

  /**
   * The host replaced this actor with a dormant copy of its state. Work still in flight (a
   * notice being retried) goes on; whatever it posts back to the instance goes to `forward`
   * (the host, which wakes the instance), never into this actor's mailbox. Once the host closes,
   * that work stops as a stopped actor's would.
   */
  retire(forward: (msg: ActorMessage) => Promise<unknown>, hostClosed: () => boolean): void {
    this.forward = forward;
    this.hostClosed = hostClosed;
  }

  /**
   * After recovery: re-arm timers, re-dispatch running attempts, re-launch running children, and
   * — for a child that ended recently — tell its parent again (the notice may have been lost with
   * the node that sent it; a parent ignores notices it no longer waits for).
   */
  resume(): void {
    const s = this.state;
    if (!s || s.replayError !== undefined) return;
    this.run(resumeCommands(s, this.ctx));
    if (s.parent && isWorkflowTerminal(s.status) && this.host.now() - (s.endedAtMs ?? 0) < RENOTIFY_WITHIN_MS) this.notifyParent();
  }

  /** An executor says it holds this attempt. */
  touch(attemptId: string, nowMs: number): void {
    if (this.seen.has(attemptId)) this.seen.set(attemptId, nowMs);
  }

  /** A worker of `type` (lower-case) registered: attempts waiting for one are dispatched again now. */
  workerArrived(type: string): void {
    if (!this.state || this.stopped || this.waits.size === 0) return;
    const running = new Set(resumeCommands(this.state, this.ctx).flatMap((c) => (c.c === 'dispatch' ? [c.task.attemptId] : [])));
    const ids = this.waits.of(type, running);
    if (ids.length === 0) return;
    for (const id of ids) this.seen.set(id, this.host.now());
    this.post({ type: 'Redispatch', attemptIds: ids }).catch((err: unknown) => this.failed(err, { attemptIds: ids }, 're-dispatch not journaled'));
  }

  /**
   * Re-dispatches running attempts nobody has claimed to hold for `livenessMs` (their executor
   * died, or the dispatch was lost). Same attempt id: executors are idempotent per attempt. The
   * re-dispatch is journaled first (a `redispatch` event), so only the current owner issues it.
   */
  sweep(nowMs: number, livenessMs: number): number {
    if (this.state && !this.stopped && this.permitWaits && nowMs - this.permitAskedAtMs >= PERMIT_REASK_MS) this.reaskPermits(nowMs);
    if (!this.state || this.stopped || this.seen.size === 0) return 0;
    let stale = false;
    for (const last of this.seen.values()) if (nowMs - last >= livenessMs) stale = true;
    if (!stale) return 0;
    const running = resumeCommands(this.state, this.ctx).filter((c) => c.c === 'dispatch');
    const live = new Set(running.map((c) => c.task.attemptId));
    for (const id of this.seen.keys()) if (!live.has(id)) (this.seen.delete(id), this.waits.delete(id));
    // an attempt waiting for a worker is dispatched again when one registers (workerArrived); the
    // sweep only retries it now and then, in case that announcement was lost
    const windowOf = (id: string) => (this.waits.size > 0 && this.waits.has(id) ? Math.max(livenessMs, WAITING_RETRY_MS) : livenessMs);
    const lost = running.filter((c) => nowMs - (this.seen.get(c.task.attemptId) ?? nowMs) >= windowOf(c.task.attemptId)).map((c) => c.task.attemptId);
    if (lost.length === 0) return 0;
    for (const id of lost) this.seen.set(id, nowMs); // one re-dispatch per liveness window
    this.post({ type: 'Redispatch', attemptIds: lost }).catch((err: unknown) => this.failed(err, { attemptIds: lost }, 're-dispatch not journaled'));
    return lost.length;
  }

  /**
   * Steps still waiting for permits ask the manager again (idempotent there: a request it holds
   * keeps its place; one it granted is answered granted). An acquire can be lost without an error
   * reaching this actor — a manager moving at the wrong moment — and nothing else would re-send
   * it: the manager's reconciliation only asks about requests it knows.
   */
  private reaskPermits(nowMs: number): void {
    const reqs = resumeCommands(this.state!, this.ctx).flatMap((c) => (c.c === 'acquire' ? [c.req] : []));
    this.permitWaits = reqs.length > 0;
    this.permitAskedAtMs = nowMs;
    if (reqs.length > 0) this.sendPermits(reqs, [], 1);
  }

  stop(reason: Error): void {
    this.halted = true;
    this.mailbox.close(reason);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** `state`: the batch's working state (events earlier in the batch applied), not yet durable. */
  private toEvent(msg: ActorMessage, atMs: number, state: InstanceState | undefined): InstanceEvent | 'skip' | 'get' {
    if (msg.type === 'PermitCheck') return 'get';
    if (msg.type === 'PermitGrant') {
      if (msg.stepId === DEPTH_PERMIT_STEP) {
        const p = state?.replayError === undefined ? state?.depthPermit : undefined;
        return p?.holder === msg.holder && !p.held ? { t: 'permit-granted', atMs, stepId: msg.stepId, attempt: msg.attempt } : 'get';
      }
      const st = state?.replayError === undefined ? state?.steps[msg.stepId] : undefined;
      return st?.permit?.holder === msg.holder && !st.permit.held ? { t: 'permit-granted', atMs, stepId: msg.stepId, attempt: msg.attempt } : 'get';
    }
    if (state?.replayError !== undefined && msg.type !== 'Get' && msg.type !== 'Watch') {
      if (msg.type === 'StepResult' || msg.type === 'Timer' || msg.type === 'Redispatch' || msg.type === 'SignalMatched' || msg.type === 'SignalAnnounced') return 'skip';
      throw new PreconditionError(`instance ${this.key} is held read-only: ${state.replayError}`);
    }
    switch (msg.type) {
      case 'Start':
        return this.startEvent(msg, atMs, state);
      case 'ChildEnded':
        if (waitsFor(state, msg.stepId, msg.attempt, msg.instanceId, msg.runId)) return childEnded(msg, atMs);
        if (awaitsChildId(state, msg.stepId, msg.attempt)) this.earlyEnds.set(msg.stepId, msg);
        return 'skip';
      case 'ChildStarted': {
        if (!waitsFor(state, msg.stepId, msg.attempt)) return 'skip';
        const early = this.earlyEnds.get(msg.stepId);
        if (early && early.attempt === msg.attempt && early.instanceId === msg.instanceId) this.releaseEnds.push(msg.stepId);
        return { t: 'child-started', atMs, stepId: msg.stepId, attempt: msg.attempt, instanceId: msg.instanceId, runId: msg.runId, version: msg.version };
      }
      case 'ChildFailed':
        return waitsFor(state, msg.stepId, msg.attempt) ? { t: 'child-failed', atMs, stepId: msg.stepId, attempt: msg.attempt, error: msg.error } : 'skip';
      case 'StepResult': {
        const st = state?.steps[msg.stepId];
        const a = st?.attempts[st.attempts.length - 1];
        if (!st || st.status !== 'RUNNING' || a?.attemptId !== msg.attemptId) return 'skip';
        return { t: 'result', atMs, stepId: msg.stepId, attempt: msg.attempt, result: msg.result };
      }
      case 'Timer':
        return msg.epoch === this.host.epoch && state?.timers[msg.timerId] ? { t: 'timer', atMs, timerId: msg.timerId } : 'skip';
      case 'Redispatch':
        return { t: 'redispatch', atMs, attemptIds: msg.attemptIds };
      case 'Launch':
        return launchEvent(this.state, msg, atMs, this.host.tagPermits === true);
      case 'Action':
        if (msg.action === 'restart') {
          const policy = msg.policy ?? (msg.stepId === undefined ? 'RESTART_FROM_INCOMPLETE' : 'RESTART_FROM_SPECIFIC');
          const ev: InstanceEvent = msg.stepId === undefined ? { t: 'restart', atMs, policy } : { t: 'restart', atMs, policy, stepId: msg.stepId };
          if (msg.path) ev.path = msg.path;
          return ev;
        }
        if (msg.ifRunning && (!this.state || isWorkflowTerminal(this.state.status))) return 'get';
        return msg.reason === undefined ? { t: msg.action, atMs } : { t: msg.action, atMs, reason: msg.reason };
      case 'StepAction':
        return stepActionEvent(msg, atMs);
      case 'RestartIteration':
        return iterationRestartEvent(msg, atMs);
      case 'Unblock':
        return !state || state.unblocked ? 'get' : { t: 'unblocked', atMs }; // no state: 'get' answers not found
      case 'Get':
        return 'get';
      case 'Watch':
        this.watchedUntil = atMs + WATCH_LEASE_MS;
        return 'get';
      case 'PutOutputs':
        return { t: 'outputs', atMs, stepId: msg.stepId, outputs: msg.outputs };
      case 'SignalMatched':
      case 'SignalAnnounced':
        return this.signalEvent(msg, atMs, state);
      default:
        return assertNever(msg, 'instance message');
    }
  }

  /** A signal store's answer as an event, or 'skip' when it changes nothing now (stale, or a store's mismatch: logged). */
  private signalEvent(msg: SignalMatchedMessage | SignalAnnouncedMessage, atMs: number, s: InstanceState | undefined): InstanceEvent | 'skip' {
    if (!s) return 'skip';
    if (msg.type === 'SignalAnnounced') {
      const { runId, stepId, attempt, index, signalId, announceTimeMs } = msg;
      return announceApplies(s, msg) ? { t: 'signal-announced', atMs, runId, stepId, attempt, index, signalId, announceTimeMs } : 'skip';
    }
    const refusal = matchRefusal(s, msg.runId, msg.stepId, msg.index, msg.signal);
    if (refusal) {
      if (refusal.mismatch) this.failed(new PreconditionError(refusal.reason), { stepId: msg.stepId, index: msg.index }, 'signal match ignored');
      return 'skip';
    }
    const { name, seqId, params } = msg.signal;
    return { t: 'signal-matched', atMs, runId: msg.runId, stepId: msg.stepId, index: msg.index, signal: { name, seqId, params } };
  }

  /**
   * A Start: creates the instance, or — when it exists — re-runs it (a loop iteration or
   * subworkflow child re-run by its parent's restart) or answers with what it is; a child whose
   * run ended tells its parent again (its launch was repeated after a crash).
   */
  private startEvent(msg: StartMessage, atMs: number, s: InstanceState | undefined): InstanceEvent | 'get' {
    if (!s) {
      const ev: Extract<InstanceEvent, { t: 'started' }> = {
        t: 'started',
        atMs,
        workflowId: msg.workflowId,
        instanceId: msg.instanceId,
        version: msg.version,
        runParams: msg.params,
        requestId: msg.requestId,
        initiator: msg.initiator ?? 'MANUAL',
      };
      if (msg.runId !== undefined && msg.runId !== 1) ev.runId = msg.runId;
      if (msg.parent) ev.parent = msg.parent;
      if (msg.source) ev.source = msg.source;
      if (msg.depth) ev.depth = msg.depth;
      if (msg.correlationId) ev.correlationId = msg.correlationId;
      if (msg.instanceStepConcurrency !== undefined) ev.instanceStepConcurrency = msg.instanceStepConcurrency;
      if (this.host.tagPermits) ev.permits = true;
      return ev;
    }
    if (msg.restart && msg.runId !== undefined && msg.runId > s.runId) {
      if (!isWorkflowTerminal(s.status)) {
        throw new MaestroError('unavailable', `instance ${this.key} is still ${s.status} in run ${s.runId}; run ${msg.runId} starts once it ends`, { retryable: true });
      }
      const ev: Extract<InstanceEvent, { t: 'restart' }> = { t: 'restart', atMs, policy: msg.restart, runId: msg.runId };
      if (msg.restartStepId !== undefined) ev.stepId = msg.restartStepId;
      if (msg.restartPath) ev.path = msg.restartPath;
      if (msg.parent) ev.parent = msg.parent;
      return ev;
    }
    if (s.parent && isWorkflowTerminal(s.status)) this.renotify = true;
    return 'get';
  }

  private async handle(batch: Envelope<ActorMessage>[]): Promise<void> {
    if (this.stopped) throw new MaestroError('unavailable', `instance ${this.key} moved`, { retryable: true });
    let state = this.state;
    const before = state;
    const results: AppliedResult[] = [];
    this.releaseEnds = [];
    const records: JournalRecord[] = [];
    const commands: InstanceCommand[] = [];
    const replies: Array<[Envelope<ActorMessage>, ReplyKind | 'ack' | Error]> = [];
    const atMs = this.host.now();
    this.inlineBudget = MAX_INLINE_STEPS_PER_BATCH;
    this.ctx.emitChanges = this.watchedUntil > atMs || batch.some((e) => e.msg.type === 'Watch');
    let progressed: Set<string> | undefined; // composite steps a child's end moved (progress-changes.ts)
    this.metrics?.batchStarted();
    for (const env of batch) {
      let ev: InstanceEvent | 'skip' | 'get';
      try {
        ev = this.toEvent(env.msg, atMs, state);
      } catch (err) {
        replies.push([env, err as Error]);
        continue;
      }
      if (ev === 'skip') {
        replies.push([env, 'ack']);
        continue;
      }
      if (ev === 'get') {
        replies.push([env, state || env.msg.type === 'PermitGrant' || env.msg.type === 'PermitCheck' ? replyKind(env.msg) : new MaestroError('not_found', `instance ${this.key} not found`)]);
        continue;
      }
      const mark = this.metrics?.mark();
      try {
        const seq = (state?.seq ?? 0) + 1;
        this.metrics?.applying(ev);
        const applied = applyEvent(state, ev, seq, this.ctx);
        noteResult(results, ev);
        if (this.ctx.emitChanges) progressed = noteProgress(progressed, ev);
        state = applied.state;
        records.push({ instanceKey: this.key, seq, event: encodeRecordEvent(ev, applied.decisions) });
        state = this.absorbInline(applied.commands, state, atMs, records, commands);
        const t = env.msg.type;
        replies.push([env, ACK_ONLY.has(t) ? 'ack' : replyKind(env.msg)]);
      } catch (err) {
        if (mark !== undefined) this.metrics!.rollback(mark);
        replies.push([env, err as Error]);
      }
    }
    if (records.length > 0) {
      try {
        await this.host.journal.append(this.host.partition, this.host.epoch, records);
      } catch (err) {
        this.metrics?.discard();
        if (err instanceof StaleEpochError) {
          this.stop(err);
          this.host.onStale(err);
          // Nothing of this batch is durable and a newer owner serves the instance: the senders
          // retry there (a notice, a permit grant or an action must not be lost to a move).
          throw movedError(this.key, err);
        }
        throw err;
      }
      this.state = state;
      logLifecycle(this.host.log, before, state, results);
      progressChanges(progressed, state, atMs, commands);
      this.run(commands);
      this.metrics?.durable(commands);
      this.host.onApplied(this.key, state!, records.length);
    } else this.metrics?.discard();
    if (this.renotify) {
      this.renotify = false;
      this.notifyParent();
    }
    for (const stepId of this.releaseEnds.splice(0)) {
      const early = this.earlyEnds.get(stepId);
      this.earlyEnds.delete(stepId);
      if (early) this.post(early).catch((err: unknown) => this.failed(err, { stepId }, 'early child end not journaled'));
    }
    for (const [env, r] of replies) {
      if (r instanceof Error) env.reject(r);
      else if (r === 'ack') env.resolve(true);
      else if (r === 'summary') env.resolve(toSummary(this.state!));
      else if (r === 'permits') env.resolve(permitReply(this.state, env.msg));
      else env.resolve(this.waits.annotate(toInstanceView(this.state!, this.ctx.def)));
    }
  }

  /**
   * Moves `produced` into `commands`, except dispatches of steps whose runtime answers
   * synchronously (NoOp's runNow; Sleep's tryNow when its end is already past): their results are applied right here, in the same batch, and what
   * those produce is absorbed the same way — a chain of NoOps costs one journal append. Bounded
   * per batch so a long chain cannot starve other actors.
   */
  private absorbInline(produced: InstanceCommand[], state: InstanceState, atMs: number, records: JournalRecord[], commands: InstanceCommand[]): InstanceState {
    let queue = produced;
    while (queue.length > 0) {
      const next: InstanceCommand[] = [];
      for (const c of queue) {
        const rt = c.c === 'dispatch' ? this.host.inlineRuntimes?.get(c.task.stepType.toLowerCase()) : undefined;
        if (c.c !== 'dispatch' || (!rt?.runNow && !rt?.tryNow) || this.inlineBudget <= 0) {
          commands.push(c);
          continue;
        }
        const task = c.task;
        let applied: Applied;
        let ev: InstanceEvent;
        try {
          const result = rt.runNow ? rt.runNow(task) : rt.tryNow!(task);
          if (result === undefined) {
            commands.push(c); // not now: dispatched as usual
            continue;
          }
          this.inlineBudget--;
          ev = { t: 'result', atMs, stepId: task.stepId, attempt: task.attempt, result };
          this.metrics?.inlineDispatched(task.stepId); // before its result ends the step
          applied = applyEvent(state, ev, state.seq + 1, this.ctx);
        } catch (err) {
          // A runtime bug (runNow/tryNow threw) or a result the machine refuses: run it the ordinary way.
          this.failed(err, { attemptId: task.attemptId }, 'inline step failed; dispatching it instead');
          commands.push(c);
          continue;
        }
        this.host.onDispatch?.(task, this.host.partition, this.host.epoch);
        records.push({ instanceKey: this.key, seq: applied.state.seq, event: encodeRecordEvent(ev, applied.decisions) });
        state = applied.state;
        for (const n of applied.commands) next.push(n);
      }
      queue = next;
    }
    return state;
  }

  private run(commands: InstanceCommand[]): void {
    const { transport } = this.host;
    let acquire: PermitRequest[] | undefined;
    let release: string[] | undefined;
    for (const cmd of commands) {
      switch (cmd.c) {
        case 'acquire':
          (acquire ??= []).push(cmd.req);
          break;
        case 'release':
          (release ??= []).push(cmd.holder);
          break;
        case 'dispatch': {
          const task = cmd.task;
          this.seen.set(task.attemptId, this.host.now());
          this.host.onDispatch?.(task, this.host.partition, this.host.epoch);
          const inline = this.host.inlineRuntimes?.get(task.stepType.toLowerCase());
          if (inline?.instant === true) {
            this.runInline(inline, task);
            break;
          }
          task.partition = this.host.partition; // the task is this command's own object
          task.epoch = this.host.epoch;
          transport.dispatch(task).then(
            () => void (this.waits.size > 0 && this.waits.delete(task.attemptId)),
            (err: unknown) => {
              if (err instanceof NoExecutorError && this.host.awaitsWorker?.(task.stepType) === true) return this.waits.add(task.attemptId, task.stepType);
              const msg = err instanceof NoExecutorError ? err.message : `dispatch failed: ${(err as Error).message}`;
              this.resultOf(task, { status: 'PLATFORM_FAILED', error: msg });
            },
          );
          break;
        }
        case 'cancel': {
          const cancel: CancelAttempt = { attemptId: cmd.attemptId, partition: this.host.partition, epoch: this.host.epoch };
          transport.publish(TOPIC_CANCEL_ATTEMPT, cancel);
          break;
        }
        case 'set-timer':
          this.arm(cmd.timerId, cmd.atMs);
          break;
        case 'clear-timer': {
          const h = this.timers.get(cmd.timerId);
          if (h) clearTimeout(h);
          this.timers.delete(cmd.timerId);
          break;
        }
        case 'changed':
          transport.publish(instanceTopic(this.key), cmd.change); // built only while watched (ctx.emitChanges)
          break;
        case 'finished':
          if (this.state?.parent) this.notifyParent();
          this.notifyQueue();
          break;
        case 'launch':
          this.launch(cmd.launch, 1);
          break;
        case 'signal-wait':
          this.signals.wait(cmd.waits);
          break;
        case 'signal-unwait':
          this.signals.unwait(cmd.waits);
          break;
        case 'signal-announce':
          this.signals.announce(cmd.announces);
          break;
        case 'stop-children':
          this.host.children.stop(cmd.workflowId, cmd.instanceIds, cmd.reason).catch((err: unknown) =>
            this.failed(err, { children: cmd.workflowId, instanceIds: cmd.instanceIds.slice(0, 20) }, 'stopping child instances failed'),
          );
          break;
        default:
          assertNever(cmd, 'instance command');
      }
    }
    if (acquire) {
      this.permitWaits = true;
      this.permitAskedAtMs = this.host.now();
    }
    if (acquire || release) this.sendPermits(acquire ?? [], release ?? [], 1);
  }

  /**
   * One message to the permit manager per batch: releases first, then acquires (idempotent
   * there). Permits granted at once come back in the reply and are journaled through the
   * mailbox (a PermitGrant to itself); the others arrive later as the manager's PermitGrant.
   * Retried while retryable; a release that is lost anyway is found by the manager's
   * reconciliation, an acquire is re-issued when the instance is recovered.
   */
  private sendPermits(acquire: PermitRequest[], release: string[], attempt: number): void {
    if (this.stopped) return;
    const msg: PermitsMessage = { type: 'Permits' };
    if (acquire.length > 0) msg.acquire = acquire;
    if (release.length > 0) msg.release = release;
    this.host.transport.request(PERMITS_KEY, msg).then(
      (reply) => {
        const granted = new Set(parsePermitsReply(reply).granted);
        for (const r of acquire) {
          if (!granted.has(r.holder)) continue;
          const grant: PermitGrantMessage = { type: 'PermitGrant', holder: r.holder, stepId: r.stepId, attempt: r.attempt };
          this.post(grant).catch((err: unknown) => this.failed(err, { holder: r.holder }, 'permit grant not journaled'));
        }
      },
      (err: unknown) => {
        if (this.stopped) return;
        // Acquires are retried for as long as their steps still wait (the manager's owner may be
        // paused or moving for a while: giving up would leave a step waiting for ever); releases
        // give up after PERMIT_ATTEMPTS — the manager's reconciliation finds those.
        const waiting = isRetryable(err) ? acquire.filter((r) => permitStatusOf(this.state!, r.holder) === 'waiting') : [];
        const retryRelease = isRetryable(err) && attempt < PERMIT_ATTEMPTS ? release : [];
        if (waiting.length > 0 || retryRelease.length > 0) {
          const t = setTimeout(() => this.sendPermits(waiting, retryRelease, attempt + 1), this.host.children.retryDelayMs(attempt));
          t.unref?.();
          if (waiting.length === acquire.length && retryRelease.length === release.length) return;
        }
        this.failed(err, { acquire: acquire.map((r) => r.holder).slice(0, 20), release: release.slice(0, 20) }, 'permit manager not reached; waiting steps ask again when the instance recovers, lost releases are reconciled by the manager');
      },
    );
  }

  /**
   * Launches a child; a retryable failure (its owner moving, a child still ending its previous
   * run) is retried while this actor lives; any other failure fails the parent step (ChildFailed).
   * A subworkflow child's id is journaled by the parent (ChildStarted) once it exists.
   */
  private launch(l: ChildLaunch, attempt: number): void {
    if (this.stopped) return;
    const { stepId, attempt: stepAttempt } = l.parent;
    this.host.children.launch(l).then(
      (child) => {
        // A new child, or the same one re-run by a restart (an async step ends once it is launched).
        if (l.kind !== 'subworkflow' || (l.instanceId === child.instanceId && !l.restart)) return;
        const msg: ChildStartedMessage = { type: 'ChildStarted', stepId, attempt: stepAttempt, ...child };
        this.post(msg).catch((err: unknown) => this.failed(err, { stepId }, 'child start not journaled'));
      },
      (err: unknown) => {
        if (this.stopped) return;
        if (isRetryable(err)) {
          const t = setTimeout(() => this.launch(l, attempt + 1), this.host.children.retryDelayMs(attempt));
          t.unref?.();
          return;
        }
        const msg: ChildFailedMessage = { type: 'ChildFailed', stepId, attempt: stepAttempt, error: `starting ${l.kind} child ${l.workflowId}: ${(err as Error).message}` };
        this.post(msg).catch((e: unknown) => this.failed(e, { stepId }, 'child failure not journaled'));
      },
    );
  }

  /** Tells the parent this run ended (retried while retryable: the parent's owner may be moving). */
  private notifyParent(attempt = 1): void {
    const s = this.state;
    const p = s?.parent;
    if (!s || !p || !isWorkflowTerminal(s.status) || this.stopped) return;
    const report = childReport(s, this.ctx.def);
    const msg: ChildEndedMessage = { type: 'ChildEnded', stepId: p.stepId, attempt: p.attempt, instanceId: s.instanceId, runId: s.runId, status: s.status, ...report };
    if (s.error !== undefined) msg.error = s.error.slice(0, 2000);
    this.host.children.notify(`${p.workflowId}/${p.instanceId}`, msg).catch((err: unknown) => {
      if (this.stopped) return;
      if (isRetryable(err) && attempt < NOTIFY_ATTEMPTS) {
        const t = setTimeout(() => this.notifyParent(attempt + 1), this.host.children.retryDelayMs(attempt));
        t.unref?.();
        return;
      }
      this.failed(err, { parent: `${p.workflowId}/${p.instanceId}`, stepId: p.stepId }, 'parent not told that this child ended; it asks again when it recovers');
    });
  }

  /**
   * Tells the workflow's queue owner this run ended, so it dequeues (best effort: after a
   * takeover the queue owner asks its running instances, so a lost notice wedges nothing).
   * Inline loop iterations bypass the queue and tell nobody.
   */
  private notifyQueue(): void {
    const s = this.state;
    if (!s || bypassesQueue(s.workflowId, s.initiator)) return;
    const msg: QueueMessage = { type: 'Ended', instanceId: s.instanceId, runId: s.runId, status: s.status };
    this.host.transport.request(queueKeyOf(s.workflowId), msg).catch((err: unknown) => this.failed(err, { runId: s.runId }, 'queue owner not told of the run end (it reconciles after a takeover)'));
  }

  private runInline(runtime: StepRuntime, task: StepTask): void {
    runtime.run(task, NEVER_ABORTED).then(
      (result) => this.resultOf(task, result),
      (err: unknown) => this.resultOf(task, { status: 'PLATFORM_FAILED', error: `runtime failed: ${(err as Error).message}` }),
    );
  }

  /** A result produced on this node (inline runtime, failed dispatch) goes through the mailbox. */
  private resultOf(task: StepTask, result: StepResult): void {
    const msg = { type: 'StepResult', stepId: task.stepId, runId: task.runId, attempt: task.attempt, attemptId: task.attemptId, result } as const;
    this.post(msg).catch((err: unknown) => this.failed(err, { attemptId: task.attemptId }, 'step result not applied'));
  }

  /**
   * Reports a failure nobody awaits. Once the actor is stopped (the partition moved or the
   * instance expired) a refused post is expected: the next owner re-dispatches and re-arms.
   */
  private failed(err: unknown, context: Record<string, unknown>, msg: string): void {
    if (this.stopped) return;
    this.host.onError(err, { instance: this.key, ...context }, msg);
  }

  private arm(timerId: string, atMs: number): void {
    const prev = this.timers.get(timerId);
    if (prev) clearTimeout(prev);
    const delay = Math.max(0, atMs - this.host.now());
    const h = setTimeout(() => {
      this.timers.delete(timerId);
      if (delay > MAX_TIMER_MS) return this.arm(timerId, atMs);
      this.post({ type: 'Timer', timerId, epoch: this.host.epoch }).catch((err: unknown) => this.failed(err, { timerId }, 'timer not applied'));
    }, Math.min(delay, MAX_TIMER_MS));
    this.timers.set(timerId, h);
  }
}

/**
 * Messages whose sender wants no view back. The child notices are here because building the
 * parent's view (a foreach overview with its running ids and ranges) for each of 25,000
 * iteration ends was 12 % of a large foreach's CPU.
 */
const ACK_ONLY: ReadonlySet<ActorMessage['type']> = new Set(['StepResult', 'Timer', 'Redispatch', 'ChildEnded', 'ChildStarted', 'ChildFailed', 'SignalMatched', 'SignalAnnounced']);

type ReplyKind = 'view' | 'summary' | 'permits';

/** A parent launching a child needs only its summary (run id, version), not a whole view; the permit manager its holders' status. */
function replyKind(msg: ActorMessage): ReplyKind {
  if (msg.type === 'PermitGrant' || msg.type === 'PermitCheck') return 'permits';
  return msg.type === 'Start' && msg.parent !== undefined ? 'summary' : 'view';
}

/** Read once the batch is durable: what the permit manager may act on. */
function permitReply(s: InstanceState | undefined, msg: ActorMessage): unknown {
  const status = (h: string) => (s && s.replayError === undefined ? permitStatusOf(s, h) : 'none');
  if (msg.type === 'PermitGrant') return status(msg.holder);
  if (msg.type === 'PermitCheck') return { live: msg.holders.filter((h) => status(h) !== 'none'), waiting: msg.holders.filter((h) => status(h) === 'waiting') };
  return true;
}
