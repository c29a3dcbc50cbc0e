/**
 * PartitionManager: turns membership views into partition ownership for this node.
 *
 * Invariants:
 * - Per partition, transitions are serialized: at most one step (claim, acquire, release) runs
 *   for a partition at a time, so `owner.acquire(p)` and `owner.release(p)` never overlap.
 * - A partition is acquired only under a claim that this node holds in the store under its
 *   current lease, and with that claim's epoch; `owner.acquire` runs after the claim exists.
 * - Rebalance hands off in order: `owner.release(p, 'rebalance')` completes (in-flight appends
 *   done) BEFORE the claim is deleted (compare-and-delete on our epoch), so the next owner can
 *   only claim p once we stopped writing. The next owner retries its claim with backoff until then,
 *   or until our lease expires if we crashed.
 * - Lease loss: every claim of the lost session is void; each acquired partition is released with
 *   'lost' as soon as its running step ends (no new work is started for it), then the node joins
 *   again with a new lease and claims anew (new epochs). A claim made under the old lease is never
 *   acquired. Writes a stale owner still attempts are rejected by the journal's epoch fence.
 * - An epoch is used for one acquisition only: after a release the claim is deleted and a later
 *   acquisition claims again, because the journal rejects a claim with an epoch it has seen.
 * - Failures (store unreachable, owner.acquire throwing) are logged (warn, with the partition),
 *   counted, and retried with capped exponential backoff (src/retry); nothing waits forever on a
 *   lost reply because the store adapters bound every call with a deadline.
 */
import { assignPartitions, DEFAULT_PARTITIONS, validatePartitionCount } from './placement.js';
import type { Epoch, MemberInfo, Membership, MembershipView, PartitionClaims, Unsubscribe } from './port.js';
import { Backoff, type BackoffPolicy } from '../retry/index.js';
import { moduleLogger, type Logger } from '../log/logger.js';
import { OwnershipEvents, type OwnershipChange, type ReleaseReason } from './ownership-events.js';

export type { OwnershipChange, ReleaseReason } from './ownership-events.js';

/** Implemented by the engine: start/stop serving a partition. */
export interface PartitionOwner {
  /** Claim the journal at `epoch` (takeover marker), replay, start actors. */
  acquire(p: number, epoch: Epoch): Promise<void>;
  /** Stop taking messages for p, finish in-flight appends, drop its actors. */
  release(p: number, reason: ReleaseReason): Promise<void>;
}

export interface PartitionManagerOptions {
  membership: Membership;
  claims: PartitionClaims;
  owner: PartitionOwner;
  /** This node's member record; `self.nodeId` is the id placement assigns partitions to. */
  self: MemberInfo;
  partitions?: number;
  /** Backoff of a claim that failed or conflicted (defaults: src/node/config.ts). */
  claimRetry?: Partial<BackoffPolicy>;
  /** Backoff of joining again after the lease was lost. */
  rejoinRetry?: Partial<BackoffPolicy>;
  /** Where every failure the manager handles by retrying is reported (warn). */
  log?: Logger;
}

export interface PartitionManagerCounters {
  /** Partitions acquired (moved in). */
  acquired: number;
  /** Partitions released because the map gave them to another node (moved out), or on stop. */
  released: number;
  /** Partitions dropped because the lease was lost. */
  lost: number;
  /** Claim attempts refused because another claim still held the partition. */
  claimConflicts: number;
  errors: number;
}

interface HeldClaim {
  epoch: Epoch;
  session: number;
  /** Already passed to owner.acquire once; a new acquisition needs a new claim. */
  used: boolean;
}

interface Slot {
  claim?: HeldClaim;
  acquired: boolean;
  run?: Promise<void>;
  dirty: boolean;
  timer?: NodeJS.Timeout;
  backoff: Backoff;
}

/** Library fallbacks; a node passes its config's `partitionManager` group. */
export const PARTITION_MANAGER_RETRY_DEFAULTS = { claimRetryBaseMs: 25, claimRetryMaxMs: 1_000, rejoinRetryBaseMs: 100, rejoinRetryMaxMs: 2_000 };
const DEFAULT_CLAIM_RETRY: BackoffPolicy = { initialMs: PARTITION_MANAGER_RETRY_DEFAULTS.claimRetryBaseMs, maxMs: PARTITION_MANAGER_RETRY_DEFAULTS.claimRetryMaxMs };
const DEFAULT_REJOIN_RETRY: BackoffPolicy = { initialMs: PARTITION_MANAGER_RETRY_DEFAULTS.rejoinRetryBaseMs, maxMs: PARTITION_MANAGER_RETRY_DEFAULTS.rejoinRetryMaxMs };

export class PartitionManager {
  private readonly membership: Membership;
  private readonly claims: PartitionClaims;
  private readonly owner: PartitionOwner;
  private readonly self: MemberInfo;
  private readonly partitions: number;
  private readonly claimRetry: BackoffPolicy;
  private readonly rejoinBackoff: Backoff;
  private readonly log: Logger;
  private readonly slots: Slot[];
  private readonly events = new OwnershipEvents();
  private readonly subs: Unsubscribe[] = [];
  private readonly stats: PartitionManagerCounters = { acquired: 0, released: 0, lost: 0, claimConflicts: 0, errors: 0 };
  private map: readonly string[] = [];
  private view: MembershipView = { version: 0, members: [] };
  /** Incremented on every lease loss; claims of older sessions are void. */
  private session = 0;
  private joined = false;
  private selfInView = false;
  private started = false;
  private stopping = false;
  private rejoinTimer: NodeJS.Timeout | undefined;

  constructor(opts: PartitionManagerOptions) {
    this.membership = opts.membership;
    this.claims = opts.claims;
    this.owner = opts.owner;
    this.self = opts.self;
    this.partitions = validatePartitionCount(opts.partitions ?? DEFAULT_PARTITIONS);
    this.claimRetry = { ...DEFAULT_CLAIM_RETRY, ...opts.claimRetry };
    this.rejoinBackoff = new Backoff({ ...DEFAULT_REJOIN_RETRY, ...opts.rejoinRetry });
    this.log = moduleLogger(opts.log, 'partition-manager');
    this.slots = Array.from({ length: this.partitions }, () => ({
      acquired: false,
      dirty: false,
      backoff: new Backoff(this.claimRetry),
    }));
  }

  /** Subscribes to membership, joins with `self`, and starts claiming this node's partitions. */
  async start(): Promise<void> {
    if (this.started) throw new Error('PartitionManager.start called twice');
    this.started = true;
    this.subs.push(this.membership.onChange((view) => this.applyView(view)));
    this.subs.push(this.membership.onLeaseLost((err) => this.leaseLost(err)));
    try {
      await this.membership.join(this.self);
    } catch (err) {
      for (const unsubscribe of this.subs.splice(0)) unsubscribe();
      this.started = false; // the caller may start again
      throw err;
    }
    this.joined = true;
    this.applyView(this.membership.current());
  }

  /** Graceful leave: release every partition (owner first, then the claim), leave, revoke the lease. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.rejoinTimer !== undefined) clearTimeout(this.rejoinTimer);
    for (let p = 0; p < this.partitions; p++) this.schedule(p);
    await this.idle();
    for (const unsubscribe of this.subs.splice(0)) unsubscribe();
    if (this.started) await this.membership.leave();
  }

  ownedPartitions(): Map<number, Epoch> {
    const owned = new Map<number, Epoch>();
    this.slots.forEach((s, p) => {
      if (s.acquired && s.claim !== undefined) owned.set(p, s.claim.epoch);
    });
    return owned;
  }

  /** The node the current view's map assigns p to (it may not have acquired it yet). */
  ownerOf(p: number): string | undefined {
    return this.map[p];
  }

  currentView(): MembershipView {
    return this.view;
  }

  onOwnershipChange(cb: (change: OwnershipChange) => void): Unsubscribe {
    return this.events.subscribe(cb);
  }

  counters(): PartitionManagerCounters {
    return { ...this.stats };
  }

  /** True when every partition the map gives this node is acquired and no other is held. */
  settled(): boolean {
    return this.slots.every((s, p) => s.run === undefined && s.acquired === this.desired(p) && (s.claim === undefined) === !s.acquired);
  }

  // ---- reacting to the store ----

  private applyView(view: MembershipView): void {
    if (this.stopping || view.version < this.view.version) return;
    this.view = view;
    this.selfInView = view.members.some((m) => m.nodeId === this.self.nodeId);
    this.map = view.members.length === 0 ? [] : assignPartitions(view.members.map((m) => m.nodeId), this.partitions);
    for (let p = 0; p < this.partitions; p++) {
      const s = this.slots[p]!;
      const want = this.desired(p);
      if (want !== s.acquired || (s.claim !== undefined) !== want || s.timer !== undefined) this.schedule(p);
    }
  }

  private leaseLost(err: Error): void {
    if (this.stopping || !this.joined) return;
    this.joined = false;
    this.session++;
    this.error(err, 'lease lost; releasing all partitions and joining again');
    for (let p = 0; p < this.partitions; p++) if (this.slots[p]!.claim !== undefined) this.schedule(p);
    this.rejoin();
  }

  private rejoin(): void {
    if (this.stopping) return;
    this.membership.join(this.self).then(
      () => {
        if (this.stopping) return;
        this.joined = true;
        this.rejoinBackoff.reset();
        this.applyView(this.membership.current());
        for (let p = 0; p < this.partitions; p++) this.schedule(p);
      },
      (err: unknown) => {
        this.error(err, 'join after lease loss');
        this.rejoinTimer = setTimeout(() => this.rejoin(), this.rejoinBackoff.next());
      },
    );
  }

  /**
   * Whether this node should hold p now. While our own record is missing from a view although we
   * are joined (just joined and the view lags, or the record vanished with the lease and the loss
   * is not reported yet) nothing changes: no new claims, no 'rebalance' releases — the lease-loss
   * report, or the view catching up, decides.
   */
  private desired(p: number): boolean {
    if (this.stopping || !this.joined) return false;
    if (!this.selfInView) return this.slots[p]!.acquired;
    return this.map[p] === this.self.nodeId;
  }

  // ---- per-partition serialized steps ----

  private schedule(p: number): void {
    const s = this.slots[p]!;
    if (s.timer !== undefined) {
      clearTimeout(s.timer);
      s.timer = undefined;
    }
    s.dirty = true;
    if (s.run !== undefined) return;
    s.run = (async () => {
      while (s.dirty) {
        s.dirty = false;
        await this.step(p, s);
      }
    })().finally(() => {
      s.run = undefined;
    });
  }

  private retryLater(p: number, s: Slot): void {
    if (this.stopping) return;
    s.timer = setTimeout(() => {
      s.timer = undefined;
      this.schedule(p);
    }, s.backoff.next());
  }

  private async step(p: number, s: Slot): Promise<void> {
    if (s.claim !== undefined && s.claim.session !== this.session) {
      const epoch = s.claim.epoch;
      s.claim = undefined;
      if (s.acquired) await this.releaseOwner(p, epoch, 'lost');
    }
    const want = this.desired(p);
    if (want && s.claim?.used === true && !s.acquired) {
      // The claim's epoch was spent on an earlier acquisition: give it back and claim anew.
      if (!(await this.deleteClaim(p, s))) return;
    }
    if (want && s.claim === undefined) {
      const session = this.session;
      let epoch: Epoch | undefined;
      try {
        epoch = await this.claims.claim(p);
      } catch (err) {
        this.error(err, `claim partition ${p}`);
        return this.retryLater(p, s);
      }
      if (session !== this.session) return this.schedule(p); // the lease died under the claim
      if (epoch === undefined) {
        this.stats.claimConflicts++;
        return this.retryLater(p, s);
      }
      s.claim = { epoch, session, used: false };
      s.backoff.reset();
    }
    if (want && s.claim !== undefined && !s.acquired) {
      s.claim.used = true;
      try {
        await this.owner.acquire(p, s.claim.epoch);
      } catch (err) {
        this.error(err, `acquire partition ${p} at epoch ${s.claim.epoch}`);
        if (await this.deleteClaim(p, s)) this.retryLater(p, s);
        return;
      }
      s.acquired = true;
      this.stats.acquired++;
      const releasedBy = this.claims.releasedBefore?.(p, s.claim.epoch);
      this.events.emit({ kind: 'acquired', partition: p, epoch: s.claim.epoch, ...(releasedBy === undefined ? {} : { releasedBy }) });
      s.dirty = true; // re-check: the view or the lease may have changed meanwhile
      return;
    }
    if (!want && s.claim !== undefined) {
      if (s.acquired) await this.releaseOwner(p, s.claim.epoch, 'rebalance');
      await this.deleteClaim(p, s);
    }
  }

  private async releaseOwner(p: number, epoch: Epoch, reason: ReleaseReason): Promise<void> {
    try {
      await this.owner.release(p, reason);
    } catch (err) {
      // The owner could not stop cleanly; ownership still ends here and the journal fence
      // rejects anything it writes after the next owner claims.
      this.error(err, `release partition ${p} (${reason})`);
    }
    this.slots[p]!.acquired = false;
    if (reason === 'lost') this.stats.lost++;
    else this.stats.released++;
    this.events.emit({ kind: 'released', partition: p, epoch, reason });
  }

  /** Compare-and-delete of our claim; true when it is gone (or was already void). */
  private async deleteClaim(p: number, s: Slot): Promise<boolean> {
    const claim = s.claim;
    if (claim === undefined) return true;
    try {
      await this.claims.release(p, claim.epoch);
    } catch (err) {
      if (claim.session === this.session && !this.stopping) {
        this.error(err, `release claim of partition ${p}`);
        this.retryLater(p, s);
        return false;
      }
      // Lease lost or leaving: the lease's revocation or expiry drops the claim anyway.
      this.log.info({ err, partition: p, epoch: claim.epoch }, 'claim not deleted; it goes with its lease');
    }
    s.claim = undefined;
    return true;
  }

  private async idle(): Promise<void> {
    for (;;) {
      const runs = this.slots.flatMap((s) => (s.run === undefined ? [] : [s.run]));
      if (runs.length === 0) return;
      await Promise.all(runs);
    }
  }

  private error(err: unknown, context: string): void {
    this.stats.errors++;
    if (this.stopping) this.log.info({ err, context }, 'failed while leaving; the lease revocation or expiry cleans up');
    else this.log.warn({ err, context }, 'failed; retrying with backoff');
  }
}
