/**
 * The info lines a cluster node writes about the cluster: partitions this node takes and
 * releases (with epoch and why), and members joining and leaving (from the membership view,
 * diffed against the previous one; the first view is one "cluster members" line).
 */
import type { OwnershipChange } from '../cluster/ownership-events.js';
import type { MembershipView } from '../cluster/port.js';
import type { Logger } from '../log/logger.js';

export function logOwnershipChange(log: Logger, c: OwnershipChange): void {
  if (c.kind === 'acquired') log.info({ partition: c.partition, epoch: c.epoch }, 'partition taken');
  else log.info({ partition: c.partition, epoch: c.epoch, reason: c.reason }, 'partition released');
}

/** A membership listener that logs who joined and who left since the last view. */
export function membershipLogger(log: Logger, selfNodeId: string): (view: MembershipView) => void {
  let known: Map<string, string> | undefined;
  return (view) => {
    const now = new Map(view.members.map((m) => [m.nodeId, m.grpcAddress]));
    if (known === undefined) {
      log.info({ members: [...now.keys()], version: view.version }, 'cluster members');
    } else {
      for (const [nodeId, grpcAddress] of now) {
        if (!known.has(nodeId)) log.info({ nodeId, grpcAddress, self: nodeId === selfNodeId, members: now.size }, 'node joined');
      }
      for (const [nodeId, grpcAddress] of known) {
        if (!now.has(nodeId)) log.info({ nodeId, grpcAddress, self: nodeId === selfNodeId, members: now.size }, 'node left');
      }
    }
    known = now;
  };
}
