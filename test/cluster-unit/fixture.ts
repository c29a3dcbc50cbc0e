/**
 * Test fixture shared by the cluster unit and etcd integration tests: a PartitionOwner that
 * records into a ledger and checks the ownership invariants as calls happen.
 */
import type { Epoch } from '../../src/cluster/port.js';
import type { PartitionOwner, ReleaseReason } from '../../src/cluster/partition-manager.js';

export interface LedgerEntry {
  nodeId: string;
  epoch: Epoch;
  /** The holder's lease is gone: a newer epoch may take over before it notices (the journal fences it). */
  fenced?: boolean;
}

/** Who holds each partition across all nodes of a test, and every violation seen. */
export class Ledger {
  readonly holders = new Map<number, LedgerEntry>();
  readonly violations: string[] = [];
  readonly lastEpoch = new Map<number, Epoch>();
  readonly log: string[] = [];

  /** Forget a crashed node's holdings (its process is gone; nothing of it runs any more). */
  forget(nodeId: string): void {
    for (const [p, h] of this.holders) if (h.nodeId === nodeId) this.holders.delete(p);
  }

  /** `nodeId`'s lease expired: a higher epoch may now acquire its partitions before it releases them. */
  fence(nodeId: string): void {
    for (const h of this.holders.values()) if (h.nodeId === nodeId) h.fenced = true;
  }

  ownersOf(partitions: number): Array<string | undefined> {
    return Array.from({ length: partitions }, (_, p) => this.holders.get(p)?.nodeId);
  }
}

export interface RecordingOwnerOptions {
  acquireDelayMs?: number;
  releaseDelayMs?: number;
  /** Throw from acquire for these many calls (then succeed). */
  failAcquires?: number;
}

export class RecordingOwner implements PartitionOwner {
  readonly released: Array<{ partition: number; reason: ReleaseReason }> = [];
  readonly acquired: Array<{ partition: number; epoch: Epoch }> = [];
  private readonly busy = new Set<number>();
  private failuresLeft: number;

  constructor(
    readonly nodeId: string,
    private readonly ledger: Ledger,
    private readonly opts: RecordingOwnerOptions = {},
  ) {
    this.failuresLeft = opts.failAcquires ?? 0;
  }

  async acquire(p: number, epoch: Epoch): Promise<void> {
    this.enter(p, 'acquire');
    try {
      await delay(this.opts.acquireDelayMs);
      if (this.failuresLeft > 0) {
        this.failuresLeft--;
        throw new Error(`injected acquire failure for partition ${p}`);
      }
      const holder = this.ledger.holders.get(p);
      if (holder !== undefined && holder.fenced !== true) {
        this.ledger.violations.push(`${this.nodeId} acquired ${p}@${epoch} while ${holder.nodeId}@${holder.epoch} held it`);
      }
      const last = this.ledger.lastEpoch.get(p);
      if (last !== undefined && epoch <= last) {
        this.ledger.violations.push(`${this.nodeId} acquired ${p} at epoch ${epoch}, not above ${last}`);
      }
      this.ledger.lastEpoch.set(p, epoch);
      this.ledger.holders.set(p, { nodeId: this.nodeId, epoch });
      this.ledger.log.push(`${this.nodeId} +${p}@${epoch}`);
      this.acquired.push({ partition: p, epoch });
    } finally {
      this.busy.delete(p);
    }
  }

  async release(p: number, reason: ReleaseReason): Promise<void> {
    this.enter(p, 'release');
    try {
      await delay(this.opts.releaseDelayMs);
      const holder = this.ledger.holders.get(p);
      if (holder?.nodeId === this.nodeId) this.ledger.holders.delete(p);
      else if (reason === 'rebalance') {
        this.ledger.violations.push(`${this.nodeId} released ${p} it did not hold (holder ${holder?.nodeId})`);
      }
      this.ledger.log.push(`${this.nodeId} -${p} (${reason})`);
      this.released.push({ partition: p, reason });
    } finally {
      this.busy.delete(p);
    }
  }

  private enter(p: number, what: string): void {
    if (this.busy.has(p)) this.ledger.violations.push(`${this.nodeId}: ${what} of ${p} overlapped another call for it`);
    this.busy.add(p);
  }
}

function delay(ms: number | undefined): Promise<void> {
  return ms ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

/** Resolves when `cond` holds, checking every `everyMs`; rejects with `what` after `timeoutMs`. */
export async function waitUntil(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
  everyMs = 5,
): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
