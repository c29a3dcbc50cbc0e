/**
 * An in-memory cluster store shared by several in-process nodes: the test fixture and the
 * embedded mode's membership. It models what the etcd adapter relies on:
 * - one global revision, bumped by every mutation; a claim's epoch is the revision that created
 *   it, so epochs are strictly increasing across owners of a partition;
 * - leases: a node's member record and claims are bound to its lease and vanish together, in one
 *   revision, when the lease is revoked, expires (`expireLease`) or its node dies (`kill`);
 * - watches: each connected node receives every view change asynchronously, in order.
 * `kill(nodeId)` is a crash (kill -9): the node's handle stops answering and hears nothing more.
 * `expireLease(nodeId)` is a lease lost while the process lives: the node is told and may rejoin.
 */
import { ValidationError } from '../../core/errors.js';
import { LeaseLostError } from '../errors.js';
import { makeView } from '../member.js';
import type { Epoch, MemberInfo, MembershipView, PartitionClaim } from '../port.js';
import { MemoryClusterNode, type ClusterStore } from './memory-node.js';

interface MemberRecord {
  info: MemberInfo;
  leaseId: number;
}

interface ClaimRecord {
  nodeId: string;
  leaseId: number;
  epoch: Epoch;
}

export class MemoryCluster implements ClusterStore {
  private revision = 0;
  private nextLeaseId = 1;
  private readonly members = new Map<string, MemberRecord>();
  private readonly claims = new Map<number, ClaimRecord>();
  /** Handoff markers as on etcd (etcd-claims.ts): set by a release, taken by the next claim. */
  private readonly released = new Map<number, string>();
  /** Per partition: the marker the latest claim took, with its epoch. */
  private readonly taken = new Map<number, { epoch: Epoch; nodeId: string }>();
  /** lease id -> the node handle holding it */
  private readonly leases = new Map<number, MemoryClusterNode>();
  private readonly nodes = new Set<MemoryClusterNode>();

  /** A new node handle (one per in-process node); it implements Membership and PartitionClaims. */
  connect(): MemoryClusterNode {
    const node = new MemoryClusterNode(this);
    this.nodes.add(node);
    return node;
  }

  /** Crash `nodeId`: its lease expires now and its handle goes dead. */
  kill(nodeId: string): void {
    const node = this.nodeOf(nodeId);
    node.markDead();
    this.revokeLease(node.leaseIdOrUndefined());
  }

  /** `nodeId`'s lease expires while its process keeps running; the node is told through onLeaseLost. */
  expireLease(nodeId: string): void {
    const node = this.nodeOf(nodeId);
    const leaseId = node.leaseIdOrUndefined();
    if (leaseId === undefined) throw new ValidationError('nodeId', `node ${nodeId} holds no lease`);
    this.revokeLease(leaseId);
    node.leaseLost(new LeaseLostError(nodeId, 'lease expired (fixture)'));
  }

  view(): MembershipView {
    return makeView(this.revision, [...this.members.values()].map((m) => m.info));
  }

  claimOf(partition: number): PartitionClaim | undefined {
    const c = this.claims.get(partition);
    return c === undefined ? undefined : { nodeId: c.nodeId, epoch: c.epoch };
  }

  // ---- store operations used by node handles ----

  grantLease(node: MemoryClusterNode): number {
    const id = this.nextLeaseId++;
    this.leases.set(id, node);
    return id;
  }

  leaseAlive(leaseId: number): boolean {
    return this.leases.has(leaseId);
  }

  putMember(leaseId: number, info: MemberInfo): void {
    const prev = this.members.get(info.nodeId);
    if (prev !== undefined && prev.leaseId !== leaseId && this.leases.has(prev.leaseId)) {
      // Same node id under another live lease: a second process with the same id.
      throw new ValidationError('member.nodeId', `node id ${info.nodeId} is already in use by a live member`);
    }
    this.members.set(info.nodeId, { info, leaseId });
    this.commit();
  }

  deleteMember(nodeId: string, leaseId: number): void {
    const m = this.members.get(nodeId);
    if (m === undefined || m.leaseId !== leaseId) return;
    this.members.delete(nodeId);
    this.commit();
  }

  revokeLease(leaseId: number | undefined): void {
    if (leaseId === undefined || !this.leases.delete(leaseId)) return;
    let changed = false;
    for (const [id, m] of this.members) if (m.leaseId === leaseId) changed = this.members.delete(id) || changed;
    for (const [p, c] of this.claims) if (c.leaseId === leaseId) changed = this.claims.delete(p) || changed;
    if (changed) this.commit();
  }

  /** Create-if-absent; returns the epoch, the existing epoch for the same lease, or undefined. */
  claim(partition: number, nodeId: string, leaseId: number): Epoch | undefined {
    const held = this.claims.get(partition);
    if (held !== undefined) return held.leaseId === leaseId ? held.epoch : undefined;
    const epoch = ++this.revision;
    this.claims.set(partition, { nodeId, leaseId, epoch });
    const from = this.released.get(partition);
    this.released.delete(partition);
    if (from === undefined) this.taken.delete(partition);
    else this.taken.set(partition, { epoch, nodeId: from });
    return epoch;
  }

  releaseClaim(partition: number, epoch: Epoch): boolean {
    const held = this.claims.get(partition);
    if (held === undefined || held.epoch !== epoch) return false;
    this.claims.delete(partition);
    this.released.set(partition, held.nodeId);
    this.revision++;
    return true;
  }

  releasedBefore(partition: number, epoch: Epoch): string | undefined {
    const t = this.taken.get(partition);
    return t !== undefined && t.epoch === epoch ? t.nodeId : undefined;
  }

  private commit(): void {
    this.revision++;
    const view = this.view();
    for (const node of this.nodes) node.deliver(view);
  }

  private nodeOf(nodeId: string): MemoryClusterNode {
    for (const node of this.nodes) if (node.nodeId() === nodeId && !node.isDead()) return node;
    throw new ValidationError('nodeId', `no live node ${nodeId} in this memory cluster`);
  }
}
