/**
 * The Journal on local disk, for `maestro dev --data-dir` and `maestro run`.
 *
 * Layout: `<dir>/journal.lock` (pid of the owning process) and one log per partition
 * (./segment.ts), opened on first use and kept open.
 *
 * Invariants:
 * - Fencing is decided synchronously when a call is submitted, against the partition's fence
 *   (highest epoch claimed, including claims still being written); claims, appends and snapshots
 *   of a partition reach the log in submit order through one GroupCommitter. So a stale call is
 *   rejected before anything is encoded or written, and every frame behind a claim marker carries
 *   an epoch >= that claim's.
 * - A call resolves once the batch holding its frame is written (and fdatasync'ed unless fsync is
 *   'never'); a failed batch rejects all its callers and is undone on disk (see Segment).
 * - A failed claim gives the fence back (unless a later claim moved it further), so the claim can
 *   be retried with the same epoch.
 * - load() returns the durable image: the highest durable claim and, per instance, the newest
 *   snapshot plus the records after it.
 */
import { mkdir } from 'node:fs/promises';
import type { Epoch, InstanceSnapshot, Journal, JournalRecord, PartitionImage } from '../port.js';
import { ValidationError } from '../../core/errors.js';
import { GroupCommitter } from '../../storage/group-commit.js';
import { checkEpoch, checkPartition, checkRecords, checkSnapshots, staleEpoch } from '../partition-state.js';
import { lockDir, type DirLock } from '../../storage/dir-lock.js';
import { StoreClosedError } from './errors.js';
import { FrameKind, appendPayload, encodeFrame, snapshotPayload } from './frame.js';
import { resolveFileJournalOptions, type FileJournalOptions } from './options.js';
import { Segment, type SegmentCounters } from './segment.js';

export interface FileJournalStats extends SegmentCounters {
  /** Batched writes issued (one write syscall sequence each). */
  writes: number;
  /** Frames (append/claim/snapshot calls) carried by those writes. */
  frames: number;
}

export class FileJournal implements Journal {
  private readonly segments = new Map<number, Segment>();
  private readonly opening = new Map<number, Promise<Segment>>();
  private readonly committer: GroupCommitter<Buffer>;
  private readonly counters: SegmentCounters = { fsyncs: 0, compactions: 0, truncatedBytes: 0 };
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly opts: FileJournalOptions,
    private readonly lock: DirLock,
  ) {
    this.committer = new GroupCommitter<Buffer>((p, frames) => this.writeBatch(p, frames), {
      maxBatch: opts.fsync === 'always' ? 1 : opts.maxBatchFrames,
    });
  }

  /** Opens (creating if needed) the journal in `dir`; fails with DataDirLockedError if another live process has it. */
  static async open(dir: string, opts: Partial<FileJournalOptions> = {}): Promise<FileJournal> {
    const resolved = resolveFileJournalOptions(opts);
    await mkdir(dir, { recursive: true });
    const lock = await lockDir(dir, 'journal.lock');
    return new FileJournal(dir, resolved, lock);
  }

  async claim(partition: number, epoch: Epoch): Promise<void> {
    this.checkOpen();
    const seg = this.segments.get(partition) ?? (await this.segment(partition));
    checkEpoch(epoch);
    const prev = seg.fence;
    if (epoch <= prev) throw staleEpoch(partition, 'claim', epoch, prev);
    seg.fence = epoch;
    try {
      await this.committer.submit(partition, encodeFrame(FrameKind.claim, epoch, undefined));
    } catch (e) {
      if (seg.fence === epoch) seg.fence = prev;
      throw e;
    }
  }

  async append(partition: number, epoch: Epoch, records: readonly JournalRecord[]): Promise<void> {
    this.checkOpen();
    const seg = this.segments.get(partition) ?? (await this.segment(partition));
    checkEpoch(epoch);
    if (epoch < seg.fence) throw staleEpoch(partition, 'append', epoch, seg.fence);
    checkRecords(records);
    if (records.length === 0) return;
    const frame = this.checkSize(encodeFrame(FrameKind.append, epoch, appendPayload(records)), 'records');
    return this.committer.submit(partition, frame);
  }

  async snapshot(partition: number, epoch: Epoch, snapshots: readonly InstanceSnapshot[], forget: readonly string[] = []): Promise<void> {
    this.checkOpen();
    const seg = this.segments.get(partition) ?? (await this.segment(partition));
    checkEpoch(epoch);
    if (epoch < seg.fence) throw staleEpoch(partition, 'snapshot', epoch, seg.fence);
    checkSnapshots(snapshots, forget);
    const frame = this.checkSize(encodeFrame(FrameKind.snapshot, epoch, snapshotPayload(snapshots, forget)), 'snapshots');
    return this.committer.submit(partition, frame);
  }

  async load(partition: number): Promise<PartitionImage> {
    this.checkOpen();
    const seg = this.segments.get(partition) ?? (await this.segment(partition));
    const state = await seg.read();
    return { partition, epoch: state.epoch, instances: state.instances };
  }

  /** Compacts a partition's log now (normally automatic past `segmentBytes`). */
  async compact(partition: number): Promise<void> {
    this.checkOpen();
    const seg = this.segments.get(partition) ?? (await this.segment(partition));
    await seg.compact();
  }

  /** Waits for in-flight writes and compactions, closes the files and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(this.opening.values());
    await this.committer.idle();
    const results = await Promise.allSettled([...this.segments.values()].map((s) => s.close()));
    await this.lock.release();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  stats(): FileJournalStats {
    const c = this.committer.stats();
    return { writes: c.writes, frames: c.items, ...this.counters };
  }

  private async writeBatch(partition: number, frames: Buffer[]): Promise<void> {
    const seg = this.segments.get(partition)!; // submit only happens after the segment opened
    await seg.write(frames);
    if (seg.needsCompaction()) seg.scheduleCompaction();
  }

  private async segment(partition: number): Promise<Segment> {
    checkPartition(partition);
    let opening = this.opening.get(partition);
    if (opening === undefined) {
      opening = Segment.open(this.dir, partition, this.opts, this.counters).then((seg) => {
        this.segments.set(partition, seg);
        return seg;
      });
      this.opening.set(partition, opening);
      opening.catch(() => this.opening.delete(partition)); // a failed open may be retried
    }
    const seg = await opening;
    this.checkOpen();
    return seg;
  }

  private checkSize(frame: Buffer, field: string): Buffer {
    if (frame.length > this.opts.maxFrameBytes) {
      throw new ValidationError(field, `encodes to ${frame.length} bytes, over maxFrameBytes (${this.opts.maxFrameBytes})`);
    }
    return frame;
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreClosedError(`file journal ${this.dir}`);
  }
}
