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
