/**
 * Cluster ports: who is in the cluster (Membership) and who owns which partition
 * (PartitionClaims). Adapters: etcd/ (real) and memory/ (in-process fixture for tests and the
 * embedded mode). Both ports of one node share that node's lease: when the lease goes, the member
 * record and every claim go with it, and Membership reports it through `onLeaseLost`.
 */
import type { LeaseLostError } from './errors.js';

/**
 * A partition owner's fencing token: the create-revision of its claim key. Strictly increasing
 * across successive owners of a partition, so the journal can reject a stale owner's writes.
 * The same number the journal's `claim(p, epoch)` takes.
 */
export type Epoch = number;

export interface MemberInfo {
  /** Unique, stable per process run; used as a key segment (no `/`). */
  readonly nodeId: string;
  /** Where other nodes reach this node's gRPC services, `host:port`. */
  readonly grpcAddress: string;
  readonly startedAtMs: number;
}

export interface MembershipView {
  /**
   * Monotonic (per observer) revision of the store at which this view was observed. Equal member
   * sets give equal partition maps whatever the version.
   */
  readonly version: number;
  /** Live members sorted by nodeId. */
  readonly members: readonly MemberInfo[];
}

export type Unsubscribe = () => void;

export interface Membership {
  /**
   * Registers `self` under this node's lease (granting one if there is none or the last was
   * lost) and starts following the view. Calling it again updates the record.
   */
  join(self: MemberInfo): Promise<void>;
  /** Removes the member record and revokes the lease (dropping every claim bound to it). */
  leave(): Promise<void>;
  /** The latest view this node has observed (`version` 0 and no members before the first). */
  current(): MembershipView;
  /** Called with every new view, in order. */
  onChange(cb: (view: MembershipView) => void): Unsubscribe;
  /** Called once per lost lease; the node is no longer a member until it joins again. */
  onLeaseLost(cb: (err: LeaseLostError) => void): Unsubscribe;
}

export interface PartitionClaim {
  readonly nodeId: string;
  readonly epoch: Epoch;
}

export interface PartitionClaims {
  /**
   * Creates partition `p`'s claim key bound to this node's lease if no one holds it, and returns
   * its epoch; returns undefined if another claim (another node's, or this node's under an older
   * lease) holds it. A retried claim that already succeeded under the current lease returns the
   * same epoch.
   */
  claim(partition: number): Promise<Epoch | undefined>;
  /**
   * Deletes the claim only if it is still the one created at `epoch`; true if it deleted it.
   * Adapters with `releasedBefore` also record, in the same step, that its node let go of p.
   */
  release(partition: number, epoch: Epoch): Promise<boolean>;
  owner(partition: number): Promise<PartitionClaim | undefined>;
  /**
   * After `claim(p)` returned `epoch`: the node whose claim of p was released (deleted by
   * `release`, a graceful handoff) right before that claim, read and cleared by the claim's own
   * transaction; undefined when the previous claim vanished with its lease (a crash or an expired
   * lease), or there was none. Optional: an adapter that cannot tell omits it.
   */
  releasedBefore?(partition: number, epoch: Epoch): string | undefined;
}
