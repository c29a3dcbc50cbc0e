/**
 * The in-memory image of one partition, and the argument checks every adapter shares.
 * MemoryJournal keeps one live; FileJournal replays its log into one on load; every adapter
 * (memory, file, jetstream) shares the checks, so it sits beside the port, not in an adapter.
 *
 * Semantics (see port.ts): records accumulate per instance in append order; a snapshot is an
 * incremental checkpoint: each named instance then holds its snapshot plus the records already
 * held whose seq is newer than the snapshot's, forgotten instances are gone, the rest unchanged.
 */
import { StaleEpochError, ValidationError } from '../core/errors.js';
import type {
  Epoch,
  InstanceImage,
  InstanceSnapshot,
  JournalRecord,
  PartitionImage,
} from './port.js';

export class PartitionState {
  epoch: Epoch = 0;
  instances = new Map<string, InstanceImage>();

  append(records: readonly JournalRecord[]): void {
    for (const r of records) {
      const img = this.instances.get(r.instanceKey);
      if (img === undefined) this.instances.set(r.instanceKey, { records: [r] });
      else img.records.push(r);
    }
  }

  snapshot(snapshots: readonly InstanceSnapshot[], forget: readonly string[] = []): void {
    for (const s of snapshots) {
      const prev = this.instances.get(s.instanceKey);
      const records = prev === undefined ? [] : prev.records.filter((r) => r.seq > s.seq);
      this.instances.set(s.instanceKey, { snapshot: s, records });
    }
    for (const key of forget) this.instances.delete(key);
  }

  /** A copy whose arrays and maps later appends do not touch. */
  toImage(partition: number): PartitionImage {
    const instances = new Map<string, InstanceImage>();
    for (const [key, img] of this.instances) {
      instances.set(
        key,
        img.snapshot === undefined ? { records: img.records.slice() } : { snapshot: img.snapshot, records: img.records.slice() },
      );
    }
    return { partition, epoch: this.epoch, instances };
  }
}

export function checkPartition(partition: number): void {
  if (!Number.isInteger(partition) || partition < 0) {
    throw new ValidationError('partition', `must be an integer >= 0, got ${partition}`);
  }
}

export function checkEpoch(epoch: Epoch): void {
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new ValidationError('epoch', `must be a safe integer >= 0, got ${epoch}`);
  }
}

export function checkRecords(records: readonly JournalRecord[]): void {
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (typeof r.instanceKey !== 'string' || r.instanceKey === '') {
      throw new ValidationError(`records[${i}].instanceKey`, 'must be a non-empty string');
    }
    if (!Number.isSafeInteger(r.seq) || r.seq < 1) {
      throw new ValidationError(`records[${i}].seq`, `must be an integer >= 1, got ${r.seq}`);
    }
  }
}

export function checkSnapshots(snapshots: readonly InstanceSnapshot[], forget: readonly string[] = []): void {
  const seen = new Set<string>();
  for (let i = 0; i < snapshots.length; i++) {
    const s = snapshots[i]!;
    if (typeof s.instanceKey !== 'string' || s.instanceKey === '') {
      throw new ValidationError(`snapshots[${i}].instanceKey`, 'must be a non-empty string');
    }
    if (seen.has(s.instanceKey)) {
      throw new ValidationError(`snapshots[${i}].instanceKey`, `duplicate instance ${s.instanceKey}`);
    }
    seen.add(s.instanceKey);
    if (!Number.isSafeInteger(s.seq) || s.seq < 0) {
      throw new ValidationError(`snapshots[${i}].seq`, `must be an integer >= 0, got ${s.seq}`);
    }
  }
  for (let i = 0; i < forget.length; i++) {
    const key = forget[i]!;
    if (typeof key !== 'string' || key === '') throw new ValidationError(`forget[${i}]`, 'must be a non-empty string');
    if (seen.has(key)) throw new ValidationError(`forget[${i}]`, `instance ${key} is also snapshotted`);
  }
}

export function staleEpoch(partition: number, op: string, epoch: Epoch, current: Epoch): StaleEpochError {
  return new StaleEpochError(
    `partition ${partition}: ${op} with epoch ${epoch} is stale (current epoch ${current})`,
  );
}
