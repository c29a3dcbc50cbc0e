/**
 * In-process Journal for tests and the embedded mode without a data dir.
 *
 * Durability: none beyond the process; an `append` is "durable" as soon as it is applied.
 * Records are kept by reference (no copy on the hot path): callers must not mutate a record or
 * its event after appending it. Snapshot states are deep-copied (structuredClone), because an
 * owner typically keeps mutating its live state after checkpointing it.
 * Fencing, order and snapshot semantics are those of ../port.ts; every check happens before any
 * change, so a rejected call changes nothing.
 */
import type { Epoch, InstanceSnapshot, Journal, JournalRecord, PartitionImage } from '../port.js';
import {
  PartitionState,
  checkEpoch,
  checkPartition,
  checkRecords,
  checkSnapshots,
  staleEpoch,
} from '../partition-state.js';

export class MemoryJournal implements Journal {
  private readonly partitions = new Map<number, PartitionState>();

  async claim(partition: number, epoch: Epoch): Promise<void> {
    checkPartition(partition);
    checkEpoch(epoch);
    const p = this.state(partition);
    if (epoch <= p.epoch) throw staleEpoch(partition, 'claim', epoch, p.epoch);
    p.epoch = epoch;
  }

  async append(partition: number, epoch: Epoch, records: readonly JournalRecord[]): Promise<void> {
    checkPartition(partition);
    checkEpoch(epoch);
    const p = this.state(partition);
    if (epoch < p.epoch) throw staleEpoch(partition, 'append', epoch, p.epoch);
    checkRecords(records);
    p.append(records);
  }

  async snapshot(partition: number, epoch: Epoch, snapshots: readonly InstanceSnapshot[], forget: readonly string[] = []): Promise<void> {
    checkPartition(partition);
    checkEpoch(epoch);
    const p = this.state(partition);
    if (epoch < p.epoch) throw staleEpoch(partition, 'snapshot', epoch, p.epoch);
    checkSnapshots(snapshots, forget);
    p.snapshot(
      snapshots.map((s) => ({ instanceKey: s.instanceKey, seq: s.seq, state: structuredClone(s.state) })),
      forget,
    );
  }

  async load(partition: number): Promise<PartitionImage> {
    checkPartition(partition);
    return this.state(partition).toImage(partition);
  }

  async close(): Promise<void> {}

  private state(partition: number): PartitionState {
    let p = this.partitions.get(partition);
    if (p === undefined) {
      p = new PartitionState();
      this.partitions.set(partition, p);
    }
    return p;
  }
}
