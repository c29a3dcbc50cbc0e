/**
 * Partition placement by rendezvous (highest-random-weight) hashing.
 *
 * Invariants:
 * - Same view, same map: the owner of partition p depends only on the *set* of member ids and p —
 *   not on their order, on duplicates, on the node computing it, or on the process. Every node
 *   that sees the same view therefore computes the same map without talking to the others.
 * - Minimal movement: adding a member moves to it only the partitions where its weight is now the
 *   highest (≈ 1/(N+1) of them); removing a member moves only the partitions it owned. No other
 *   partition changes owner.
 * - Balance: weights are a well-mixed 32-bit hash of (member, partition), so each of N members
 *   owns about partitions/N. Ties (rare) are broken by the smaller member id, deterministically.
 */
import { ValidationError } from '../core/errors.js';

export const DEFAULT_PARTITIONS = 256;
export const MAX_PARTITIONS = 65536;

/** FNV-1a over UTF-16 code units, finished with murmur3's fmix32 for avalanche. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function partitionSeed(p: number): number {
  return fmix32(Math.imul(p + 1, 0x9e3779b1));
}

function weight(memberHash: number, pSeed: number): number {
  return fmix32((memberHash ^ pSeed) + 0x632be5ab);
}

export function validatePartitionCount(partitions: number, path = 'partitions'): number {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
    throw new ValidationError(path, `must be an integer from 1 to ${MAX_PARTITIONS} (got ${partitions})`);
  }
  return partitions;
}

/**
 * The partition map: element p is the id of the member that owns partition p. Throws
 * ValidationError for a bad partition count or an empty member list (no map exists then).
 */
export function assignPartitions(memberIds: readonly string[], partitions: number): string[] {
  validatePartitionCount(partitions);
  const ids = [...new Set(memberIds)].sort();
  if (ids.length === 0) {
    throw new ValidationError('memberIds', 'at least one member is needed to place partitions');
  }
  const hashes = ids.map(hashString);
  const map = new Array<string>(partitions);
  for (let p = 0; p < partitions; p++) {
    const seed = partitionSeed(p);
    let best = 0;
    let bestWeight = -1;
    for (let i = 0; i < ids.length; i++) {
      const w = weight(hashes[i]!, seed);
      // ids are sorted, so on a tie the first (smallest) id keeps the partition.
      if (w > bestWeight) {
        best = i;
        bestWeight = w;
      }
    }
    map[p] = ids[best]!;
  }
  return map;
}

/** Number of partitions whose owner differs between two maps of the same length. */
export function countMoved(before: readonly string[], after: readonly string[]): number {
  if (before.length !== after.length) {
    throw new ValidationError('after', `map length ${after.length} differs from ${before.length}`);
  }
  let moved = 0;
  for (let p = 0; p < before.length; p++) if (before[p] !== after[p]) moved++;
  return moved;
}
