/**
 * Partition claims on etcd: `<prefix>partitions/<p>` = `{"nodeId": ...}`, bound to the claiming
 * node's lease.
 *
 * Invariants:
 * - Create-if-absent in one transaction: at most one claim key per partition exists; it vanishes
 *   with its lease (crash) or by compare-and-delete on its create-revision (release).
 * - The epoch is the key's create-revision. Revisions only grow, so every later claim of the
 *   partition, by any node, gets a strictly higher epoch.
 * - A claim by the same lease that already holds the key returns that key's epoch (a retried
 *   claim whose first reply was lost); a key of an older lease of ours is NOT ours any more.
 * - Handoff marker `<prefix>handoffs/<p>` = `{"nodeId", "epoch"}` (no lease): written by a
 *   successful release in the same transaction as the delete, read and deleted by the next
 *   successful claim in its transaction. So a claim sees a marker exactly when the claim before
 *   it was released by its node, not dropped with an expired or revoked lease (`releasedBefore`).
 */
import { EtcdLeaseInvalidError, type Namespace } from 'etcd3';
import { ValidationError } from '../../core/errors.js';
import { LeaseLostError } from '../errors.js';
import { etcdFailure } from './failure.js';
import type { Epoch, PartitionClaim, PartitionClaims } from '../port.js';
import type { EtcdMembership } from './etcd-membership.js';
import { handoffKey, partitionKey } from './options.js';

export class EtcdPartitionClaims implements PartitionClaims {
  /** Per partition: the node id this adapter claimed it as (for the handoff marker). */
  private readonly claimedAs = new Map<number, string>();
  /** Per partition: the handoff marker the latest successful claim read, with that claim's epoch. */
  private readonly handoffs = new Map<number, { epoch: Epoch; nodeId: string }>();

  constructor(
    private readonly ns: Namespace,
    private readonly membership: EtcdMembership,
  ) {}

  async claim(partition: number): Promise<Epoch | undefined> {
    const key = partitionKey(checkPartition(partition));
    const { leaseId, nodeId, session } = this.membership.activeLease('claim');
    let res;
    try {
      res = await this.ns
        .if(key, 'Create', '==', 0)
        .then(this.ns.put(key).value(JSON.stringify({ nodeId })).lease(leaseId), this.ns.get(handoffKey(partition)), this.ns.delete().key(handoffKey(partition)))
        .else(this.ns.get(key))
        .commit();
    } catch (cause) {
      if (cause instanceof EtcdLeaseInvalidError) {
        session.invalidate(cause);
        throw new LeaseLostError(nodeId, `claim of partition ${partition}: etcd does not know the lease`, { cause });
      }
      throw etcdFailure(`claim of partition ${partition}`, cause);
    }
    if (res.succeeded) {
      const epoch = Number(res.header.revision);
      this.claimedAs.set(partition, nodeId);
      const marker = res.responses[1]?.response_range?.kvs[0];
      if (marker === undefined) this.handoffs.delete(partition);
      else this.handoffs.set(partition, { epoch, nodeId: parseNodeId(marker.value.toString(), handoffKey(partition)) });
      return epoch;
    }
    const held = res.responses[0]?.response_range.kvs[0];
    if (held !== undefined && held.lease === leaseId) return Number(held.create_revision);
    return undefined;
  }

  async release(partition: number, epoch: Epoch): Promise<boolean> {
    const key = partitionKey(checkPartition(partition));
    try {
      const marker = JSON.stringify({ nodeId: this.claimedAs.get(partition) ?? 'unknown', epoch });
      const res = await this.ns.if(key, 'Create', '==', epoch).then(this.ns.delete().key(key), this.ns.put(handoffKey(partition)).value(marker)).commit();
      return res.succeeded;
    } catch (cause) {
      throw etcdFailure(`release of partition ${partition}`, cause);
    }
  }

  releasedBefore(partition: number, epoch: Epoch): string | undefined {
    const h = this.handoffs.get(partition);
    return h !== undefined && h.epoch === epoch ? h.nodeId : undefined;
  }

  async owner(partition: number): Promise<PartitionClaim | undefined> {
    const key = partitionKey(checkPartition(partition));
    let res;
    try {
      res = await this.ns.get(key).exec();
    } catch (cause) {
      throw etcdFailure(`reading the claim of partition ${partition}`, cause);
    }
    const kv = res.kvs[0];
    if (kv === undefined) return undefined;
    return { nodeId: parseNodeId(kv.value.toString(), key), epoch: Number(kv.create_revision) };
  }
}

function checkPartition(p: number): number {
  if (!Number.isInteger(p) || p < 0) throw new ValidationError('partition', `must be a non-negative integer (got ${p})`);
  return p;
}

function parseNodeId(text: string, key: string): string {
  let v: { nodeId?: unknown } | null;
  try {
    v = JSON.parse(text) as { nodeId?: unknown } | null;
  } catch (cause) {
    if (!(cause instanceof SyntaxError)) throw cause;
    throw new ValidationError(key, `claim value is not JSON: ${text.slice(0, 80)}`, { cause });
  }
  if (typeof v?.nodeId === 'string') return v.nodeId;
  throw new ValidationError(key, `claim value is not {"nodeId": string}: ${text.slice(0, 80)}`);
}
