import { ValidationError } from '../../core/errors.js';
import { ClusterUnavailableError, LeaseLostError, NotJoinedError } from '../errors.js';
import { makeView, validateMemberInfo } from '../member.js';
import type {
  Epoch,
  MemberInfo,
  Membership,
  MembershipView,
  PartitionClaim,
  PartitionClaims,
  Unsubscribe,
} from '../port.js';

/** The store operations a node handle uses; MemoryCluster implements them. */
export interface ClusterStore {
  view(): MembershipView;
  claimOf(partition: number): PartitionClaim | undefined;
  grantLease(node: MemoryClusterNode): number;
  leaseAlive(leaseId: number): boolean;
  putMember(leaseId: number, info: MemberInfo): void;
  deleteMember(nodeId: string, leaseId: number): void;
  revokeLease(leaseId: number | undefined): void;
  claim(partition: number, nodeId: string, leaseId: number): Epoch | undefined;
  releaseClaim(partition: number, epoch: Epoch): boolean;
  releasedBefore(partition: number, epoch: Epoch): string | undefined;
}

/**
 * One in-process node's handle on a MemoryCluster (its ClusterStore). Views and lease losses reach subscribers
 * asynchronously (like an etcd watch) and in order; a dead (killed) node answers every call with
 * ClusterUnavailableError and receives nothing.
 */
export class MemoryClusterNode implements Membership, PartitionClaims {
  private self: MemberInfo | undefined;
  private leaseId: number | undefined;
  private dead = false;
  private view: MembershipView;
  private readonly pending: Array<() => void> = [];
  private flushing = false;
  private readonly viewSubs = new Set<(view: MembershipView) => void>();
  private readonly lostSubs = new Set<(err: LeaseLostError) => void>();

  constructor(private readonly cluster: ClusterStore) {
    this.view = cluster.view();
  }

  async join(self: MemberInfo): Promise<void> {
    await this.tick('join');
    const info = validateMemberInfo(self);
    if (this.self !== undefined && this.leaseId !== undefined && this.self.nodeId !== info.nodeId) {
      throw new ValidationError('member.nodeId', `already joined as ${this.self.nodeId}; leave before joining as ${info.nodeId}`);
    }
    if (this.leaseId === undefined || !this.cluster.leaseAlive(this.leaseId)) {
      this.leaseId = this.cluster.grantLease(this);
    }
    this.self = info;
    this.cluster.putMember(this.leaseId, info);
  }

  async leave(): Promise<void> {
    await this.tick('leave');
    const leaseId = this.leaseId;
    if (leaseId === undefined || this.self === undefined) return;
    this.leaseId = undefined;
    this.cluster.deleteMember(this.self.nodeId, leaseId);
    this.cluster.revokeLease(leaseId);
  }

  current(): MembershipView {
    return this.view;
  }

  onChange(cb: (view: MembershipView) => void): Unsubscribe {
    this.viewSubs.add(cb);
    return () => this.viewSubs.delete(cb);
  }

  onLeaseLost(cb: (err: LeaseLostError) => void): Unsubscribe {
    this.lostSubs.add(cb);
    return () => this.lostSubs.delete(cb);
  }

  async claim(partition: number): Promise<Epoch | undefined> {
    await this.tick('claim');
    const { nodeId, leaseId } = this.requireLease('claim');
    return this.cluster.claim(partition, nodeId, leaseId);
  }

  async release(partition: number, epoch: Epoch): Promise<boolean> {
    await this.tick('release');
    return this.cluster.releaseClaim(partition, epoch);
  }

  releasedBefore(partition: number, epoch: Epoch): string | undefined {
    return this.cluster.releasedBefore(partition, epoch);
  }

  async owner(partition: number): Promise<PartitionClaim | undefined> {
    await this.tick('owner');
    return this.cluster.claimOf(partition);
  }

  // ---- called by MemoryCluster ----

  nodeId(): string | undefined {
    return this.self?.nodeId;
  }

  leaseIdOrUndefined(): number | undefined {
    return this.leaseId;
  }

  isDead(): boolean {
    return this.dead;
  }

  markDead(): void {
    this.dead = true;
    this.pending.length = 0;
  }

  deliver(view: MembershipView): void {
    this.enqueue(() => {
      this.view = makeView(view.version, view.members);
      for (const cb of [...this.viewSubs]) cb(this.view);
    });
  }

  leaseLost(err: LeaseLostError): void {
    this.leaseId = undefined;
    this.enqueue(() => {
      for (const cb of [...this.lostSubs]) cb(err);
    });
  }

  private enqueue(fn: () => void): void {
    if (this.dead) return;
    this.pending.push(fn);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      this.flushing = false;
      while (!this.dead && this.pending.length > 0) this.pending.shift()!();
    });
  }

  private requireLease(operation: string): { nodeId: string; leaseId: number } {
    if (this.self === undefined) throw new NotJoinedError(operation);
    if (this.leaseId === undefined || !this.cluster.leaseAlive(this.leaseId)) {
      throw new LeaseLostError(this.self.nodeId, `${operation} needs a live lease; join again`);
    }
    return { nodeId: this.self.nodeId, leaseId: this.leaseId };
  }

  /** An asynchronous boundary, as a network call would have; a dead node fails every call. */
  private async tick(operation: string): Promise<void> {
    await Promise.resolve();
    if (this.dead) throw new ClusterUnavailableError(`${operation} (node killed)`);
  }
}
