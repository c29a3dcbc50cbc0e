/**
 * The event-sourced journal port.
 *
 * Invariants every adapter holds:
 * - Fencing: each partition has a current epoch, moved forward only by `claim`. An `append` or
 *   `snapshot` with an epoch lower than the current one rejects with StaleEpochError and writes
 *   nothing. `claim(p, e)` with e <= current epoch also rejects with StaleEpochError.
 * - Durable before resolved: `append` resolves only when the records survive the adapter's
 *   configured failure model (process crash for file with fsync, server loss for replicated
 *   JetStream). Callers perform the records' effects only after that.
 * - Order: records of one instance are returned by `load` in append order; `seq` is the
 *   instance's own counter (1, 2, ...), assigned by the caller.
 * - Group commit: concurrent `append` calls for the same partition may be merged into one write;
 *   one call's records are never split across a failure (all or none are durable).
 * - Bounded recovery: `snapshot(p, epoch, snaps, forget)` is an incremental checkpoint: each
 *   named instance's image becomes that snapshot plus only its records with seq > the snapshot's
 *   seq; instances in `forget` are dropped with their records (that is how retention forgets old
 *   instances); every other instance keeps its image. A caller that snapshots the instances that
 *   changed since its last checkpoint bounds replay by the records appended since then, and pays
 *   per checkpoint for what changed, not for everything it holds. Appends may race with a
 *   checkpoint (a record with a higher seq can land before the checkpoint frame), so when an
 *   adapter discards what precedes a checkpoint it must keep those newer records.
 */
export type Epoch = number;

export interface JournalRecord {
  /** The instance actor's id (`${workflowId}/${instanceId}`). */
  instanceKey: string;
  /** The instance's own sequence number of this record, starting at 1. */
  seq: number;
  /** The event; adapters encode it with msgpackr and return it as decoded. */
  event: unknown;
}

export interface InstanceSnapshot {
  instanceKey: string;
  /** The seq of the last record folded into `state`. */
  seq: number;
  state: unknown;
}

export interface InstanceImage {
  snapshot?: InstanceSnapshot;
  /** Records with seq > snapshot.seq (all records when there is no snapshot), in order. */
  records: JournalRecord[];
}

export interface PartitionImage {
  partition: number;
  /** The partition's current epoch (after any claim). */
  epoch: Epoch;
  instances: Map<string, InstanceImage>;
}

export interface Journal {
  /** Moves partition `partition`'s fence to `epoch` (a takeover marker), so older owners' writes fail. */
  claim(partition: number, epoch: Epoch): Promise<void>;
  append(partition: number, epoch: Epoch, records: readonly JournalRecord[]): Promise<void>;
  /** An incremental checkpoint (see above); an instance may not be both snapshotted and forgotten. */
  snapshot(partition: number, epoch: Epoch, snapshots: readonly InstanceSnapshot[], forget?: readonly string[]): Promise<void>;
  load(partition: number): Promise<PartitionImage>;
  close(): Promise<void>;
}
