/**
 * Instance -> partition mapping: a stable hash of the instance actor's key modulo the partition
 * count. Every node computes the same answer with no coordination.
 */
export function partitionOf(key: string, partitions: number): number {
  // FNV-1a 32-bit over UTF-16 code units: fast, stable across processes and platforms.
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

export function instanceKeyOf(workflowId: string, instanceId: number): string {
  return `${workflowId}/${instanceId}`;
}

/**
 * The partition a transport delivers a message for `to` to: the hash of an actor key, or the
 * partition named by a partition address (`#p/<n>`, see `partitionAddress`), which reaches the
 * partition's host itself (list-instances fans out this way).
 */
export function routeOf(to: string, partitions: number): number {
  if (to.startsWith(PARTITION_ADDRESS_PREFIX)) {
    const p = Number(to.slice(PARTITION_ADDRESS_PREFIX.length));
    if (Number.isInteger(p) && p >= 0 && p < partitions) return p;
  }
  return partitionOf(to, partitions);
}

export const PARTITION_ADDRESS_PREFIX = '#p/';

export function partitionAddress(partition: number): string {
  return `${PARTITION_ADDRESS_PREFIX}${partition}`;
}
