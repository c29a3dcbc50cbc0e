/**
 * Hosts the instance actors of one partition while this node owns it at `epoch`.
 *
 * Takeover (open): claim the partition in the journal with our epoch (the takeover marker that
 * fences every older owner), load the image (snapshot + tail per instance), rebuild each
 * instance by folding its records and their recorded decisions (recovery.ts: replay decides
 * nothing, so a node with other runtimes or limits rebuilds the same state), announce the new
 * epoch to every executor, then resume: re-arm timers and re-dispatch running attempts
 * (executors are idempotent per attempt id).
 *
 * Handoff (close): stop accepting messages (senders retry until the new owner serves), let
 * the batches in flight finish their appends, drop the actors and their timers.
 *
 * Fencing — every effect that depends on ownership carries (partition, epoch):
 * - Epochs only grow: a cluster epoch is the create-revision of the etcd claim, the embedded one
 *   the stored epoch + 1. The journal claim at the new epoch comes before any load or effect.
 * - State changes: every event is appended with the epoch; the journal refuses an older epoch
 *   (StaleEpochError) and the actor, refused, drops itself and runs none of the event's effects.
 * - Dispatches and cancels travel as (partition, epoch); every executor and worker keeps the
 *   newest epoch it has seen per partition — from tasks, cancels and the TOPIC_PARTITION_EPOCH
 *   announcement published here after the claim and before any re-dispatch — and refuses older.
 * - Re-dispatches of attempts nobody announced are journaled first (`redispatch` events), so a
 *   former owner — paused past its lease, cut off — cannot issue one: its append is refused.
 * - Timers carry the epoch that armed them; a timer of another epoch is dropped.
 * - Results go to whoever owns the instance now; one for an attempt that is not running there
 *   is ignored. So an effect issued by a former owner before it learned of the move is harmless.
 * - Nothing here depends on timing: a paused process wakes up fenced, whatever its clocks say.
 * - KV writes (definitions, id blocks) are compare-and-set and do not depend on ownership.
 *
 * Checkpoints: after `checkpointEveryRecords` appended records the host snapshots the instances
 * that changed since its last checkpoint (an incremental checkpoint, see journal/port.ts), so
 * recovery replays at most about that many records and a checkpoint costs what changed, not
 * everything held. A finished instance whose whole history is short (SHORT_HISTORY_RECORDS) is
 * left as its records: replaying them on recovery costs about what decoding a snapshot does,
 * and most instances of a busy node are such short runs, so they never pay for a snapshot
 * encode. The same checkpoint forgets the oldest finished instances beyond
 * `retainFinishedPerPartition` (kept in finish order, so retention never scans the partition);
 * their request ids are then dropped at their queue owners (request-retention.ts).
 * Instances held read-only after a failed replay are never snapshotted (their records stay).
 *
 * Dormancy (dormant.ts): a finished instance whose actor is quiescent is kept as one encoded
 * buffer and a summary instead of a live actor (checked on each sweep for the instances that
 * finished since), and woken — a new actor of this host's epoch, so fenced like any other — by
 * the first message to it. Listing and counting read the summaries; retention forgets dormant
 * instances in the same finish order; a checkpoint snapshots a dormant instance only if it is
 * dirty and its history is long (decoding it then). Recovery replays as before, then the
 * finished instances go dormant as soon as they are resumed.
 *
 * Service actors (service-actor.ts: keys `~<kind>/...`, e.g. a workflow's queue owner) live
 * here beside the instances, under the same fencing, journal, checkpoints and recovery; keys are
 * dispatched by prefix to the kind in `deps.services`. They are never forgotten by retention.
 */
import { MaestroError, NotFoundError, PreconditionError, StaleEpochError } from '../core/errors.js';
import { encodeSnapshotState, toSummary, type InstanceState, type MachineContext } from '../core/instance/index.js';
import type { InstanceSummary } from '../core/instance/view.js';
import { isWorkflowTerminal } from '../core/status.js';
import type { InstanceSnapshot, Journal } from '../journal/port.js';
import type { Subscription, Transport } from '../transport/port.js';
import type { DefinitionRegistry } from './definitions.js';
import { InstanceActor, type ActorHostHooks, type ActorMessage, type ChildPort } from './instance-actor.js';
import { DormantInstances } from './dormant.js';
import type { InlineSource } from '../core/instance/state.js';
import type { InstanceMessage, ListMessage, ListPausedMessage } from './messages.js';
import type { PausedAttempt } from './engine-api.js';
import type { QueueMessage } from './queue-messages.js';
import type { PermitMessage } from './permit-messages.js';
import { recoverPartition } from './recovery.js';
import { TransportClosedError } from '../transport/errors.js';
import { forgetRequests, forgottenRequestOf, type ForgottenRequest } from './request-retention.js';
import { isServiceKey } from '../core/service/reducer.js';
import { ServiceActor, type AnyServiceKind, type ServiceHostHooks } from './service-actor.js';
import type { Logger } from '../log/logger.js';
import { TOPIC_PARTITION_EPOCH, type PartitionEpoch } from '../protocol/executor.js';
import type { EngineMetrics } from '../log/metrics.js';



const REPLY_CACHE_SIZE = 4096;
/** Messages whose resend (same msgId) must get the first one's reply (see deliverOnce). */
const NOT_IDEMPOTENT: ReadonlySet<string> = new Set(['Action', 'StepAction', 'PutOutputs', 'Enqueue', 'Restart', 'Terminate', 'Unblock']);
/** A finished instance with at most this many records in all is never snapshotted (see above). */
export const SHORT_HISTORY_RECORDS = 32;

export interface HostDeps {
  journal: Journal;
  transport: Transport;
  definitions: DefinitionRegistry;
  machine: Omit<MachineContext, 'def'>;
  now(): number;
  checkpointEveryRecords: number;
  /** A running attempt with no executor heartbeat for this long is dispatched again. */
  attemptLivenessMs: number;
  /** Terminal instances kept in memory (and in checkpoints) per partition, newest first. */
  retainFinishedPerPartition: number;
  onStale(partition: number, err: StaleEpochError): void;
  /** Where a host reports what no caller awaits (module 'partitions' bound by the caller). */
  log: Logger;
  onDispatch?: ActorHostHooks['onDispatch'];
  awaitsWorker?: ActorHostHooks['awaitsWorker'];
  inlineRuntimes?: ActorHostHooks['inlineRuntimes'];
  /** Child instances of foreach/while/subworkflow steps (children.ts); without it such steps fail. */
  children?: ChildPort;
  /** Service actor kinds hosted beside instances (by key prefix). */
  services?: readonly AnyServiceKind[];
  /** New instances acquire tag permits from the permit manager (ActorHostHooks.tagPermits). */
  tagPermits?: boolean;
  /** The node's metrics (src/log/metrics.ts); absent: none. */
  metrics?: EngineMetrics;
}

/** The child port of a host given none (unit tests of hosts and actors). */
export const NO_CHILDREN: ChildPort = {
  launch: () => Promise.reject(new PreconditionError('this host cannot start child instances')),
  notify: () => Promise.reject(new PreconditionError('this host cannot reach parent instances')),
  stop: () => Promise.reject(new PreconditionError('this host cannot stop child instances')),
  retryDelayMs: () => 1_000,
};

export class PartitionHost {
  private readonly actors = new Map<string, InstanceActor>();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly services = new Map<string, ServiceActor<any, any, any, any>>();
  private readonly serviceHooks: ServiceHostHooks;
  /** Recent replies to actions by msgId (see deliverOnce), oldest first. */
  private readonly replies = new Map<string, Promise<unknown>>();
  private sub: Subscription | undefined;
  private sinceCheckpoint = 0;
  private checkpointing: Promise<void> | undefined;
  /** Instances changed since the last checkpoint. */
  private dirty = new Set<string>();
  /** Finished instances held, oldest finish first (a Set keeps insertion order); awake or dormant. */
  private readonly finished = new Set<string>();
  /** Finished instances held as encoded buffers (dormant.ts), not as actors. */
  private readonly dormant = new DormantInstances();
  /** Finished instances still awake: each sweep puts the quiescent ones to sleep. */
  private drowsy = new Set<string>();
  /** A sleepQuiescent soon after instances finished (see applied). */
  private sleepSoon: NodeJS.Immediate | undefined;
  /** Dormant instances being woken (the definition lookup is async), so one actor is made per key. */
  private readonly waking = new Map<string, Promise<InstanceActor>>();
  /** Instances dropped from memory whose forgetting a failed checkpoint did not write. */
  private unforgotten: string[] = [];
  /** Request ids of forgotten instances, to drop at their queue owners once the forget is durable. */
  private forgottenRequests: ForgottenRequest[] = [];
  private closed = false;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly sweepEveryMs: number;
  private readonly hooks: ActorHostHooks;
  /** Instances that could not be rebuilt at all (their workflow version is gone), with why. */
  private unrecovered = new Map<string, string>();
  /** Instances whose replay failed at takeover (held read-only or unrecovered). */
  replayFailures = 0;

  private constructor(readonly partition: number, readonly epoch: number, private readonly deps: HostDeps) {
    this.sweepEveryMs = Math.max(50, deps.attemptLivenessMs / 6);
    this.hooks = {
      partition,
      epoch,
      journal: deps.journal,
      transport: deps.transport,
      now: deps.now,
      onStale: (err) => deps.onStale(partition, err),
      onApplied: (key, state, n) => this.applied(key, state, n),
      // A closed transport means this node is shutting down: what failed (a parent's notice, a
      // timer's post) is redone from the journal by the partition's next owner, so it is no error.
      onError: (err, context, msg) =>
        err instanceof TransportClosedError
          ? deps.log.debug({ err, partition, epoch, ...context }, `${msg} (the transport closed while this node shuts down; the partition's next owner redoes it)`)
          : deps.log.error({ err, partition, epoch, ...context }, msg),
      log: deps.log,
      onDispatch: deps.onDispatch,
      awaitsWorker: deps.awaitsWorker,
      inlineRuntimes: deps.inlineRuntimes,
      children: deps.children ?? NO_CHILDREN,
      tagPermits: deps.tagPermits,
      metrics: deps.metrics,
    };
    this.serviceHooks = {
      partition,
      epoch,
      journal: deps.journal,
      transport: deps.transport,
      now: deps.now,
      log: deps.log,
      onStale: (err) => deps.onStale(partition, err),
      onApplied: (key, n) => this.applied(key, undefined, n),
    };
  }

  /**
   * `epoch: 'next'` is for a sole owner (the embedded node, whose data dir is locked): it loads
   * first and claims the epoch after the stored one; the image stays valid because the claim
   * only appends the takeover marker. A cluster owner passes its etcd epoch and loads after
   * claiming, so it sees everything the previous owner wrote before the fence moved.
   */
  static async open(partition: number, epochOrNext: number | 'next', deps: HostDeps): Promise<PartitionHost> {
    let image = epochOrNext === 'next' ? await deps.journal.load(partition) : undefined;
    const epoch = epochOrNext === 'next' ? image!.epoch + 1 : epochOrNext;
    const host = new PartitionHost(partition, epoch, deps);
    await deps.journal.claim(partition, epoch);
    image ??= await deps.journal.load(partition);
    const recovered = await recoverPartition(image, (wf, v, source) => host.contextFor(wf, v, source));
    for (const r of recovered.instances) {
      host.actors.set(r.key, new InstanceActor(r.key, r.state, r.ctx, host.hooks));
      // fold the replayed tail at the next checkpoint (if it needs one); never a held instance
      if (r.replayed > 0 && r.state.replayError === undefined) host.dirty.add(r.key);
    }
    host.unrecovered = recovered.unrecovered;
    host.replayFailures = recovered.failures.length;
    for (const f of recovered.failures) {
      deps.log.error({ partition, epoch, instance: f.key, err: f.cause }, `instance held read-only: ${f.reason}`);
    }
    for (const [key, img] of image.instances) {
      if (!isServiceKey(key) || (!img.snapshot && img.records.length === 0)) continue;
      const kind = host.kindOf(key);
      if (!kind) {
        deps.log.error({ partition, epoch, key }, 'no service kind owns this journaled key; its records are kept, unread');
        continue;
      }
      try {
        host.services.set(key, ServiceActor.recover(key, kind, img, host.serviceHooks));
        if (img.records.length > 0) host.dirty.add(key);
      } catch (err) {
        host.replayFailures++;
        deps.log.error({ partition, epoch, key, err }, 'service actor could not be recovered; its records are kept');
      }
    }
    const ended = [...host.actors].filter(([, a]) => isFinished(a.current!));
    ended.sort(([, a], [, b]) => a.current!.endedAtMs! - b.current!.endedAtMs!);
    for (const [key] of ended) (host.finished.add(key), host.drowsy.add(key));
    const announce: PartitionEpoch = { partition, epoch };
    deps.transport.publish(TOPIC_PARTITION_EPOCH, announce);
    for (const a of host.actors.values()) a.resume();
    for (const sv of host.services.values()) sv.resume();
    host.sleepQuiescent(); // finished instances go dormant at once (a parent notice resumed above goes on)
    host.sweeper = setInterval(() => host.sweep(), host.sweepEveryMs);
    host.sweeper.unref();
    host.sub = await deps.transport.serve(partition, (to, body, msgId) => host.deliverOnce(to, body as InstanceMessage | ListMessage | ListPausedMessage | QueueMessage | PermitMessage, msgId));
    return host;
  }

  /** Instances held here, awake or dormant. */
  get size(): number {
    return this.actors.size + this.dormant.size;
  }

  /** Instance actors resident (awake) here (metrics). */
  get residentCount(): number {
    return this.actors.size;
  }

  /** Instances held dormant here (metrics). */
  get dormantCount(): number {
    return this.dormant.size;
  }

  /** Service actors held here (metrics). */
  get serviceCount(): number {
    return this.services.size;
  }

  /** The state of an instance held here (diagnostics and tests; never mutate it). */
  stateOf(key: string): InstanceState | undefined {
    return this.actors.get(key)?.current ?? this.dormant.state(key);
  }

  /** Whether an instance is held dormant here (tests and diagnostics). */
  isDormant(key: string): boolean {
    return this.dormant.has(key);
  }

  /** How many instances held here match (no allocation per instance; for monitoring and benchmarks). */
  count(filter: { workflowId?: string; terminal?: boolean } = {}): number {
    let n = 0;
    for (const a of this.actors.values()) {
      const s = a.current;
      if (!s || (filter.workflowId && s.workflowId !== filter.workflowId)) continue;
      if (filter.terminal !== undefined && isWorkflowTerminal(s.status) !== filter.terminal) continue;
      n++;
    }
    if (filter.terminal === false) return n; // dormant instances all ended
    if (!filter.workflowId) return n + this.dormant.size;
    for (const d of this.dormant.values()) if (d.summary.workflowId === filter.workflowId) n++;
    return n;
  }

  summaries(filter: { workflowId?: string; status?: string } = {}): InstanceSummary[] {
    const out: InstanceSummary[] = [];
    for (const a of this.actors.values()) {
      const s = a.current;
      if (!s || (filter.workflowId && s.workflowId !== filter.workflowId) || (filter.status && s.status !== filter.status)) continue;
      out.push(toSummary(s));
    }
    for (const { summary: s } of this.dormant.values()) {
      if ((filter.workflowId && s.workflowId !== filter.workflowId) || (filter.status && s.status !== filter.status)) continue;
      out.push({ ...s });
    }
    return out;
  }

  /**
   * Actions and outputs are not idempotent by themselves (a second stop is refused), so a
   * sender's resend of one — same msgId, after a lost reply — gets the first one's reply.
   * Step results need no cache: the machine ignores results for attempts that ended.
   */
  deliverOnce(to: string, msg: InstanceMessage | ListMessage | ListPausedMessage | QueueMessage | PermitMessage, msgId: string): Promise<unknown> {
    if (!msgId || !NOT_IDEMPOTENT.has(msg.type)) return this.deliver(to, msg);
    const hit = this.replies.get(msgId);
    if (hit) return hit;
    const reply = this.deliver(to, msg);
    this.replies.set(msgId, reply);
    if (this.replies.size > REPLY_CACHE_SIZE) this.replies.delete(this.replies.keys().next().value!);
    reply.catch(() => this.replies.delete(msgId)); // a failed reply is not cached; its caller gets the error through `reply`
    return reply;
  }

  async deliver(to: string, msg: InstanceMessage | ListMessage | ListPausedMessage | QueueMessage | PermitMessage): Promise<unknown> {
    if (msg.type === 'List') return this.summaries(msg);
    if (msg.type === 'ListPaused') return this.pausedAttempts(msg.workflowId, msg.stepId);
    if (this.closed) throw new MaestroError('unavailable', `partition ${this.partition} is moving`, { retryable: true });
    if (isServiceKey(to)) return this.service(to).post(msg);
    const m = msg as InstanceMessage;
    let actor = this.actors.get(to) ?? (this.dormant.has(to) || this.waking.has(to) ? await this.wake(to) : undefined);
    if (!actor) {
      const create = m.type === 'Start' ? m : m.type === 'Launch' && m.runId === 1 && m.start ? { workflowId: m.workflowId, version: m.start.version, source: undefined } : undefined;
      if (!create) {
        if (msg.type === 'StepResult') return true; // a result for an instance we no longer hold
        const why = this.unrecovered.get(to);
        if (why !== undefined) throw new PreconditionError(`instance ${to} could not be recovered: ${why}`);
        throw new NotFoundError(`instance ${to} not found`);
      }
      const ctx = await this.contextFor(create.workflowId, create.version, create.source);
      const fresh = this.actors.get(to) ?? new InstanceActor(to, undefined, ctx, this.hooks);
      this.actors.set(to, fresh);
      return fresh.post(m).catch((err: unknown) => {
        if (!fresh.current && this.actors.get(to) === fresh) this.actors.delete(to); // refused start
        throw err;
      });
    }
    // A Start for an existing instance (a request-id retry, a parent's repeated launch) is the
    // actor's to answer: see InstanceActor.startEvent.
    return actor.post(m);
  }

  /** A new actor for a dormant instance (one per key however many messages arrive meanwhile). */
  private wake(key: string): Promise<InstanceActor> {
    let p = this.waking.get(key);
    if (p) return p;
    p = (async () => {
      const state = this.dormant.state(key)!;
      const ctx = await this.contextFor(state.workflowId, state.version, state.source);
      if (this.closed) throw new MaestroError('unavailable', `partition ${this.partition} is moving`, { retryable: true });
      // retention may have forgotten it while the definition was looked up
      if (!this.dormant.delete(key)) throw new NotFoundError(`instance ${key} not found`);
      const actor = new InstanceActor(key, state, ctx, this.hooks);
      this.actors.set(key, actor);
      this.drowsy.add(key); // asleep again once quiescent
      return actor;
    })().finally(() => this.waking.delete(key));
    this.waking.set(key, p);
    return p;
  }

  /**
   * Puts the finished, quiescent actors to sleep (see dormant.ts); runs on every sweep. Returns
   * how many went dormant.
   */
  sleepQuiescent(nowMs = this.deps.now()): number {
    if (this.drowsy.size === 0) return 0;
    let n = 0;
    const still = new Set<string>();
    for (const key of this.drowsy) {
      const actor = this.actors.get(key);
      if (!actor || !this.finished.has(key)) continue;
      if (!actor.quiescent(nowMs) || hasPausedStep(actor.current!)) {
        still.add(key);
        continue;
      }
      this.dormant.put(key, actor.current!);
      this.actors.delete(key);
      actor.retire((msg: ActorMessage) => this.deliver(key, msg as InstanceMessage), () => this.closed);
      n++;
    }
    this.drowsy = still;
    return n;
  }

  /** The service actor of `key`, created (empty) on first use. */
  private service(key: string): ServiceActor<{ seq: number }, unknown, unknown, unknown> {
    let sv = this.services.get(key);
    if (!sv) {
      const kind = this.kindOf(key);
      if (!kind) throw new NotFoundError(`no service serves ${key}`);
      sv = new ServiceActor(key, kind.reducer.initial(key), kind, this.serviceHooks);
      this.services.set(key, sv);
    }
    return sv;
  }

  private kindOf(key: string): AnyServiceKind | undefined {
    return this.deps.services?.find((k) => key.startsWith(k.prefix));
  }

  /** The state of a service actor held here (diagnostics and tests; never mutate it). */
  serviceState(key: string): unknown {
    return this.services.get(key)?.current;
  }

  /** The attempts of (workflow, step) PAUSED in the instances held here (at a breakpoint). */
  pausedAttempts(workflowId: string, stepId: string): PausedAttempt[] {
    const out: PausedAttempt[] = [];
    for (const a of this.actors.values()) {
      const s = a.current;
      // foreach/while iterations match breakpoints of their root workflow (see core/instance/hold.ts)
      const st = s && (s.source?.workflowId ?? s.workflowId) === workflowId ? s.steps[stepId] : undefined;
      const at = st?.status === 'PAUSED' ? st.attempts[st.attempts.length - 1] : undefined;
      if (s && at) out.push({ workflowId: s.workflowId, instanceId: s.instanceId, runId: s.runId, stepId, attempt: at.attempt, pausedAtMs: at.createdAtMs });
    }
    return out;
  }

  /** Executor heartbeat for an attempt of an instance held here. */
  touch(instanceKey: string, attemptId: string): void {
    this.actors.get(instanceKey)?.touch(attemptId, this.deps.now());
  }

  /** A worker of `type` registered somewhere: attempts waiting for one go again. */
  workerArrived(type: string): void {
    for (const a of this.actors.values()) a.workerArrived(type);
  }

  /** Re-dispatches attempts whose executor went quiet (journaled first: see InstanceActor.sweep). */
  private sweep(): void {
    const now = this.deps.now();
    this.sleepQuiescent(now);
    for (const a of this.actors.values()) a.sweep(now, this.deps.attemptLivenessMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    if (this.sleepSoon) clearImmediate(this.sleepSoon);
    await this.sub?.close();
    await this.checkpointing;
    const reason = new MaestroError('unavailable', `partition ${this.partition} moved`, { retryable: true });
    for (const a of this.actors.values()) a.stop(reason);
    this.actors.clear();
    this.dormant.clear();
    this.drowsy.clear();
    for (const sv of this.services.values()) sv.stop(reason);
    this.services.clear();
  }

  /** The machine context of a workflow version, or of an inline loop body (`source`). */
  private async contextFor(workflowId: string, version: number, source?: InlineSource): Promise<MachineContext> {
    const def = source ? await this.deps.definitions.compiledInline(workflowId, source) : await this.deps.definitions.compiledVersion(workflowId, version);
    return { ...this.deps.machine, def };
  }

  private applied(key: string, state: InstanceState | undefined, records: number): void {
    this.dirty.add(key);
    if (state === undefined) {
      // a service actor: never finished
    } else if (isFinished(state)) {
      this.finished.add(key); // a Set keeps the first finish's position
      this.drowsy.add(key);
      // try once the batch has answered (its mailbox idle): a state dropped young costs the GC least
      if (!this.sleepSoon) this.sleepSoon = setImmediate(() => ((this.sleepSoon = undefined), this.closed || this.sleepQuiescent()));
    } else this.finished.delete(key); // restarted
    this.sinceCheckpoint += records;
    if (this.sinceCheckpoint >= this.deps.checkpointEveryRecords && !this.checkpointing) {
      this.sinceCheckpoint = 0;
      this.checkpointing = this.checkpoint().finally(() => (this.checkpointing = undefined));
    }
  }

  /**
   * Writes an incremental checkpoint: snapshots of the instances changed since the last one, and
   * the oldest finished instances beyond retention forgotten (here and in the journal).
   */
  async checkpoint(): Promise<void> {
    const forget = this.unforgotten;
    this.unforgotten = [];
    let over = this.finished.size - this.deps.retainFinishedPerPartition;
    for (const key of this.finished) {
      if (over-- <= 0) break;
      forget.push(key);
    }
    const expired = new NotFoundError('instance expired');
    for (const key of forget) {
      this.finished.delete(key);
      this.dirty.delete(key);
      this.drowsy.delete(key);
      const req = forgottenRequestOf(this.actors.get(key)?.current) ?? this.dormant.get(key)?.request;
      if (req) this.forgottenRequests.push(req);
      this.dormant.delete(key);
      this.actors.get(key)?.stop(expired);
      this.actors.delete(key);
    }
    const dirty = this.dirty;
    this.dirty = new Set();
    const snaps: InstanceSnapshot[] = [];
    for (const key of dirty) {
      const sv = this.services.get(key);
      if (sv) {
        snaps.push({ instanceKey: key, seq: sv.current.seq, state: sv.snapshot() });
        continue;
      }
      const actor = this.actors.get(key);
      // a dormant instance ended: snapshotted only if its history is long (then decoded for it)
      const s = actor ? actor.current : (this.dormant.get(key)?.seq ?? 0) > SHORT_HISTORY_RECORDS ? this.dormant.state(key) : undefined;
      if (s && s.replayError === undefined && !(s.seq <= SHORT_HISTORY_RECORDS && isFinished(s))) {
        snaps.push({ instanceKey: key, seq: s.seq, state: encodeSnapshotState(s) });
      }
    }
    if (snaps.length === 0 && forget.length === 0) return;
    const requests = this.forgottenRequests; // of instances in `forget` (or of a send that failed before)
    this.forgottenRequests = [];
    try {
      await this.deps.journal.snapshot(this.partition, this.epoch, snaps, forget);
      if (requests.length > 0) void forgetRequests(this.deps.transport, requests, this.deps.log).then((failed) => this.forgottenRequests.push(...failed));
    } catch (err) {
      this.forgottenRequests.push(...requests);
      for (const key of dirty) if (this.actors.has(key) || this.services.has(key) || this.dormant.has(key)) this.dirty.add(key);
      this.unforgotten.push(...forget);
      if (err instanceof StaleEpochError) return this.deps.onStale(this.partition, err);
      this.deps.log.warn({ err, partition: this.partition, epoch: this.epoch, instances: snaps.length }, 'checkpoint failed; the next one retries it');
    }
  }
}

/** A step stopped at a breakpoint keeps its instance awake (pausedAttempts reads live actors only). */
function hasPausedStep(s: InstanceState): boolean {
  for (const id in s.steps) if (s.steps[id]!.status === 'PAUSED') return true;
  return false;
}

function isFinished(s: InstanceState): boolean {
  return s.endedAtMs !== undefined && isWorkflowTerminal(s.status);
}
