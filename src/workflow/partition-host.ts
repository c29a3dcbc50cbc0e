/**
 * Hosts the instance actors of one partition while this node owns it at `epoch`.
 *
 * Takeover (open): claim the partition in the journal with our epoch (the takeover marker that
 * fences every older owner), load the image (snapshot + tail per instance), rebuild each
 * instance by replaying its records through the pure machine, then resume: re-arm timers and
 * re-dispatch running attempts (executors are idempotent per attempt id).
 *
 * Handoff (close): stop accepting messages (senders retry until the new owner serves), let
 * the batches in flight finish their appends, drop the actors and their timers.
 *
 * Checkpoints: after `checkpointEveryRecords` appended records the host snapshots the instances
 * that changed since its last checkpoint (an incremental checkpoint, see journal/port.ts), so
 * recovery replays at most about that many records and a checkpoint costs what changed, not
 * everything held. A finished instance whose whole history is short (SHORT_HISTORY_RECORDS) is
 * left as its records: replaying them on recovery costs about what decoding a snapshot does,
 * and most instances of a busy node are such short runs, so they never pay for a snapshot
 * encode. The same checkpoint forgets the oldest finished instances beyond
 * `retainFinishedPerPartition` (kept in finish order, so retention never scans the partition).
 */
import { MaestroError, NotFoundError, StaleEpochError } from '../core/errors.js';
import { applyEvent, toSummary, type InstanceEvent, type InstanceState, type MachineContext } from '../core/instance/index.js';
import type { InstanceSummary } from '../core/instance/view.js';
import { isWorkflowTerminal } from '../core/status.js';
import type { InstanceSnapshot, Journal } from '../journal/port.js';
import type { Subscription, Transport } from '../transport/port.js';
import type { DefinitionRegistry } from './definitions.js';
import { InstanceActor, type ActorHostHooks } from './instance-actor.js';
import type { InstanceMessage, ListMessage } from './messages.js';

const REPLY_CACHE_SIZE = 4096;
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
  onDispatch?: ActorHostHooks['onDispatch'];
  inlineRuntimes?: ActorHostHooks['inlineRuntimes'];
}

export class PartitionHost {
  private readonly actors = new Map<string, InstanceActor>();
  /** Recent replies to actions by msgId (see deliverOnce), oldest first. */
  private readonly replies = new Map<string, Promise<unknown>>();
  private sub: Subscription | undefined;
  private sinceCheckpoint = 0;
  private checkpointing: Promise<void> | undefined;
  /** Instances changed since the last checkpoint. */
  private dirty = new Set<string>();
  /** Finished instances held, oldest finish first (a Set keeps insertion order). */
  private readonly finished = new Set<string>();
  /** Instances dropped from memory whose forgetting a failed checkpoint did not write. */
  private unforgotten: string[] = [];
  private closed = false;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly sweepEveryMs: number;
  private lastSweepAtMs: number | undefined;
  private quietUntilMs: number | undefined;
  private readonly hooks: ActorHostHooks;

  private constructor(readonly partition: number, readonly epoch: number, private readonly deps: HostDeps) {
    this.sweepEveryMs = Math.max(50, deps.attemptLivenessMs / 2);
    this.hooks = {
      partition,
      epoch,
      journal: deps.journal,
      transport: deps.transport,
      now: deps.now,
      onStale: (err) => deps.onStale(partition, err),
      onApplied: (key, state, n) => this.applied(key, state, n),
      onDispatch: deps.onDispatch,
      inlineRuntimes: deps.inlineRuntimes,
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
    for (const [key, img] of image.instances) {
      let state = img.snapshot?.state as InstanceState | undefined;
      if (!state && img.records.length === 0) continue;
      const first = state ?? (img.records[0]!.event as Extract<InstanceEvent, { t: 'started' }>);
      const ctx = await host.contextFor(first.workflowId, first.version);
      for (const r of img.records) {
        try {
          state = applyEvent(state, r.event as InstanceEvent, r.seq, ctx).state;
        } catch {
          // an event the machine refuses now was refused when written too; skip it
        }
      }
      if (!state) continue;
      host.actors.set(key, new InstanceActor(key, state, ctx, host.hooks));
      if (img.records.length > 0) host.dirty.add(key); // fold the replayed tail at the next checkpoint (if it needs one)
    }
    const ended = [...host.actors].filter(([, a]) => isFinished(a.current!));
    ended.sort(([, a], [, b]) => a.current!.endedAtMs! - b.current!.endedAtMs!);
    for (const [key] of ended) host.finished.add(key);
    for (const a of host.actors.values()) a.resume();
    host.sweeper = setInterval(() => host.sweep(), host.sweepEveryMs);
    host.sweeper.unref();
    host.sub = await deps.transport.serve(partition, (to, body, msgId) => host.deliverOnce(to, body as InstanceMessage | ListMessage, msgId));
    return host;
  }

  get size(): number {
    return this.actors.size;
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
    return n;
  }

  summaries(filter: { workflowId?: string; status?: string } = {}): InstanceSummary[] {
    const out: InstanceSummary[] = [];
    for (const a of this.actors.values()) {
      const s = a.current;
      if (!s || (filter.workflowId && s.workflowId !== filter.workflowId) || (filter.status && s.status !== filter.status)) continue;
      out.push(toSummary(s));
    }
    return out;
  }

  /**
   * Actions and outputs are not idempotent by themselves (a second stop is refused), so a
   * sender's resend of one — same msgId, after a lost reply — gets the first one's reply.
   * Step results need no cache: the machine ignores results for attempts that ended.
   */
  deliverOnce(to: string, msg: InstanceMessage | ListMessage, msgId: string): Promise<unknown> {
    if (!msgId || (msg.type !== 'Action' && msg.type !== 'PutOutputs')) return this.deliver(to, msg);
    const hit = this.replies.get(msgId);
    if (hit) return hit;
    const reply = this.deliver(to, msg);
    this.replies.set(msgId, reply);
    if (this.replies.size > REPLY_CACHE_SIZE) this.replies.delete(this.replies.keys().next().value!);
    reply.catch(() => this.replies.delete(msgId));
    return reply;
  }

  async deliver(to: string, msg: InstanceMessage | ListMessage): Promise<unknown> {
    if (msg.type === 'List') return this.summaries(msg);
    if (this.closed) throw new MaestroError('unavailable', `partition ${this.partition} is moving`, { retryable: true });
    let actor = this.actors.get(to);
    if (!actor) {
      if (msg.type !== 'Start') {
        if (msg.type === 'StepResult') return true; // a result for an instance we no longer hold
        throw new NotFoundError(`instance ${to} not found`);
      }
      const ctx = await this.contextFor(msg.workflowId, msg.version);
      const fresh = this.actors.get(to) ?? new InstanceActor(to, undefined, ctx, this.hooks);
      this.actors.set(to, fresh);
      return fresh.post(msg).catch((err: unknown) => {
        if (!fresh.current && this.actors.get(to) === fresh) this.actors.delete(to); // refused start
        throw err;
      });
    } else if (msg.type === 'Start') {
      return actor.post({ type: 'Get' }); // request-id retries land here: the instance exists
    }
    return actor.post(msg);
  }

  /** Executor heartbeat for an attempt of an instance held here. */
  touch(instanceKey: string, attemptId: string): void {
    this.actors.get(instanceKey)?.touch(attemptId, this.deps.now());
  }

  /**
   * Re-dispatches are not journaled, so the journal's fence does not stop them. If this process
   * stalled (SIGSTOP, a long pause: a tick more than a second late), its lease may have expired
   * and another node may own the partition now: skip sweeps for one liveness window, long enough
   * for the lost lease to be noticed and the partition closed. Skipping only delays re-dispatch.
   */
  private sweep(): void {
    const now = this.deps.now();
    const stalled = this.lastSweepAtMs !== undefined && now - this.lastSweepAtMs > this.sweepEveryMs + 1_000;
    this.lastSweepAtMs = now;
    if (stalled) this.quietUntilMs = now + this.deps.attemptLivenessMs;
    if (this.quietUntilMs !== undefined && now < this.quietUntilMs) return;
    for (const a of this.actors.values()) a.sweep(now, this.deps.attemptLivenessMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    await this.sub?.close();
    await this.checkpointing;
    const reason = new MaestroError('unavailable', `partition ${this.partition} moved`, { retryable: true });
    for (const a of this.actors.values()) a.stop(reason);
    this.actors.clear();
  }

  private async contextFor(workflowId: string, version: number): Promise<MachineContext> {
    const def = await this.deps.definitions.compiledVersion(workflowId, version);
    return { ...this.deps.machine, def };
  }

  private applied(key: string, state: InstanceState, records: number): void {
    this.dirty.add(key);
    if (isFinished(state)) this.finished.add(key); // a Set keeps the first finish's position
    else this.finished.delete(key); // restarted
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
      this.actors.get(key)?.stop(expired);
      this.actors.delete(key);
    }
    const dirty = this.dirty;
    this.dirty = new Set();
    const snaps: InstanceSnapshot[] = [];
    for (const key of dirty) {
      const s = this.actors.get(key)?.current;
      if (s && !(s.seq <= SHORT_HISTORY_RECORDS && isFinished(s))) snaps.push({ instanceKey: key, seq: s.seq, state: s });
    }
    if (snaps.length === 0 && forget.length === 0) return;
    try {
      await this.deps.journal.snapshot(this.partition, this.epoch, snaps, forget);
    } catch (err) {
      // retried by the next checkpoint
      for (const key of dirty) if (this.actors.has(key)) this.dirty.add(key);
      this.unforgotten.push(...forget);
      if (err instanceof StaleEpochError) this.deps.onStale(this.partition, err);
    }
  }
}

function isFinished(s: InstanceState): boolean {
  return s.endedAtMs !== undefined && isWorkflowTerminal(s.status);
}
