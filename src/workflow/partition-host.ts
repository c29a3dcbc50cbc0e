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
 * Checkpoints: after `checkpointEveryRecords` appended records the host writes a full snapshot of
 * the partition, so recovery replays at most that many records.
 */
import { MaestroError, NotFoundError, StaleEpochError } from '../core/errors.js';
import { applyEvent, toSummary, type InstanceEvent, type InstanceState, type MachineContext } from '../core/instance/index.js';
import type { InstanceSummary } from '../core/instance/view.js';
import { isWorkflowTerminal } from '../core/status.js';
import type { Journal } from '../journal/port.js';
import type { Subscription, Transport } from '../transport/port.js';
import type { DefinitionRegistry } from './definitions.js';
import { InstanceActor, type ActorHostHooks } from './instance-actor.js';
import type { InstanceMessage, ListMessage } from './messages.js';

const REPLY_CACHE_SIZE = 4096;

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
  private closed = false;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly hooks: ActorHostHooks;

  private constructor(readonly partition: number, readonly epoch: number, private readonly deps: HostDeps) {
    this.hooks = {
      partition,
      epoch,
      journal: deps.journal,
      transport: deps.transport,
      now: deps.now,
      onStale: (err) => deps.onStale(partition, err),
      onApplied: (_s, n) => this.applied(n),
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
      if (state) host.actors.set(key, new InstanceActor(key, state, ctx, host.hooks));
    }
    for (const a of host.actors.values()) a.resume();
    host.sweeper = setInterval(() => host.sweep(), Math.max(50, deps.attemptLivenessMs / 2));
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

  private sweep(): void {
    const now = this.deps.now();
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

  private applied(records: number): void {
    this.sinceCheckpoint += records;
    if (this.sinceCheckpoint >= this.deps.checkpointEveryRecords && !this.checkpointing) {
      this.sinceCheckpoint = 0;
      this.checkpointing = this.checkpoint().finally(() => (this.checkpointing = undefined));
    }
  }

  /** Writes a full checkpoint: every live instance plus the newest finished ones. */
  async checkpoint(): Promise<void> {
    const live: InstanceState[] = [];
    const finished: InstanceState[] = [];
    for (const a of this.actors.values()) {
      const s = a.current;
      if (!s) continue;
      (s.endedAtMs !== undefined && s.status !== 'IN_PROGRESS' ? finished : live).push(s);
    }
    finished.sort((a, b) => (b.endedAtMs ?? 0) - (a.endedAtMs ?? 0));
    for (const s of finished.slice(this.deps.retainFinishedPerPartition)) {
      this.actors.get(`${s.workflowId}/${s.instanceId}`)?.stop(new NotFoundError('instance expired'));
      this.actors.delete(`${s.workflowId}/${s.instanceId}`);
    }
    const keep = [...live, ...finished.slice(0, this.deps.retainFinishedPerPartition)];
    try {
      await this.deps.journal.snapshot(
        this.partition,
        this.epoch,
        keep.map((s) => ({ instanceKey: `${s.workflowId}/${s.instanceId}`, seq: s.seq, state: s })),
      );
    } catch (err) {
      if (err instanceof StaleEpochError) this.deps.onStale(this.partition, err);
    }
  }
}
