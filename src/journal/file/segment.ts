/**
 * One partition's log file: `partition-NNNN.log` (format in ./frame.ts).
 *
 * Invariants:
 * - `size` is the end of the last durable frame; bytes past it never exist for longer than a
 *   failed write: a failed write or fdatasync truncates the file back to `size` before the error
 *   is reported, so later frames never land behind garbage. If even that truncation fails the
 *   segment is broken and rejects every later call (reopen the journal to repair it).
 * - Writes, loads and compactions of one segment run one at a time (`exclusive`), so a load reads
 *   a stable prefix and a compaction swaps files between writes.
 * - Open repairs a torn tail (drops everything from the first invalid frame on) and never fails
 *   because of one; a bad header or an undecodable CRC-valid frame is corruption and throws.
 * - Compaction writes the replayed image (claim marker, one snapshot frame, the newer records) to
 *   `<file>.compact`, fsyncs it, renames it over the log and fsyncs the dir: a crash leaves either
 *   the old or the new file, both complete; a stale `.compact` file is deleted on open.
 */
import { constants } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Epoch, InstanceSnapshot, JournalRecord } from '../port.js';
import { MaestroError } from '../../core/errors.js';
import { PartitionState } from '../partition-state.js';
import { JournalCorruptError, JournalIoError } from './errors.js';
import {
  FORGET_SEQ,
  FrameKind,
  SEGMENT_HEADER,
  appendPayload,
  decodeTriples,
  encodeFrame,
  frameKind,
  scanFrames,
  snapshotPayload,
} from './frame.js';
import { readFully, syncDir } from '../../storage/fs-util.js';
import type { FileJournalOptions } from './options.js';

export interface SegmentCounters {
  fsyncs: number;
  compactions: number;
  truncatedBytes: number;
}

const RECORDS_PER_COMPACTED_FRAME = 1024;

export class Segment {
  /** Highest epoch accepted so far, including claims not yet durable; maintained by the journal. */
  fence: Epoch;
  private size: number;
  private snapshotSinceCompaction: boolean;
  private compactedSize = 0;
  private compacting = false;
  private broken: Error | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  /** The bytes read at open, reused by the first load if nothing was written since. */
  private openedBytes: Buffer | undefined;

  private constructor(
    readonly path: string,
    private fh: FileHandle,
    scan: { size: number; epoch: Epoch; hasSnapshot: boolean; bytes: Buffer },
    private readonly opts: FileJournalOptions,
    private readonly counters: SegmentCounters,
  ) {
    this.size = scan.size;
    this.fence = scan.epoch;
    this.snapshotSinceCompaction = scan.hasSnapshot;
    this.openedBytes = scan.bytes;
  }

  static async open(dir: string, partition: number, opts: FileJournalOptions, counters: SegmentCounters): Promise<Segment> {
    const path = join(dir, `partition-${String(partition).padStart(4, '0')}.log`);
    let fh: FileHandle | undefined;
    try {
      await rm(`${path}.compact`, { force: true });
      fh = await open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
      let bytes = await readFully(fh);
      if (bytes.length < SEGMENT_HEADER.length) {
        if (!SEGMENT_HEADER.subarray(0, bytes.length).equals(bytes)) throw badHeader(path);
        await opts.writeAt(fh, SEGMENT_HEADER, 0);
        await fh.sync();
        await syncDir(dir);
        bytes = Buffer.from(SEGMENT_HEADER);
      } else if (!bytes.subarray(0, SEGMENT_HEADER.length).equals(SEGMENT_HEADER)) {
        throw badHeader(path);
      }
      let epoch = 0;
      let hasSnapshot = false;
      const end = scanFrames(bytes, path, (kind, e) => {
        if (kind === FrameKind.claim) epoch = Math.max(epoch, e);
        else if (kind === FrameKind.snapshot) hasSnapshot = true;
      });
      if (end < bytes.length) {
        await fh.truncate(end);
        await fh.sync();
        counters.truncatedBytes += bytes.length - end;
        opts.log.warn({ path }, `${path}: dropped a torn tail of ${bytes.length - end} bytes at offset ${end}`);
        bytes = bytes.subarray(0, end);
      }
      return new Segment(path, fh, { size: end, epoch, hasSnapshot, bytes }, opts, counters);
    } catch (e) {
      await fh?.close().catch((closeErr: unknown) => opts.log.warn({ err: closeErr, path }, 'closing a segment that failed to open failed too'));
      if (e instanceof MaestroError) throw e;
      throw new JournalIoError(`cannot open journal segment ${path}`, { cause: e });
    }
  }

  /** Appends pre-encoded frames as one write (+ one fdatasync unless fsync is 'never'). */
  write(frames: Buffer[]): Promise<void> {
    return this.exclusive(async () => {
      this.openedBytes = undefined;
      const buf = frames.length === 1 ? frames[0]! : Buffer.concat(frames);
      const pos = this.size;
      try {
        await this.opts.writeAt(this.fh, buf, pos);
        if (this.opts.fsync !== 'never') {
          await this.fh.datasync();
          this.counters.fsyncs++;
        }
      } catch (e) {
        try {
          await this.fh.truncate(pos);
        } catch (e2) {
          this.broken = new JournalIoError(`${this.path}: cannot undo a failed write; reopen the journal`, { cause: e2 });
        }
        throw new JournalIoError(`${this.path}: write of ${buf.length} bytes at offset ${pos} failed`, { cause: e });
      }
      this.size = pos + buf.length;
      for (const f of frames) if (frameKind(f) === FrameKind.snapshot) this.snapshotSinceCompaction = true;
    });
  }

  /** Replays the durable log into a partition image (its epoch is the highest durable claim). */
  read(): Promise<PartitionState> {
    return this.exclusive(async () => replay(this.openedBytes ?? (await readFully(this.fh, this.size)), this.path));
  }

  /** True when the log is past its size threshold and a snapshot lets compaction shrink it. */
  needsCompaction(): boolean {
    return (
      !this.compacting &&
      this.snapshotSinceCompaction &&
      this.size >= Math.max(this.opts.segmentBytes, 2 * this.compactedSize)
    );
  }

  /** Queues a compaction behind the writes already queued; failures only warn (the old log stays). */
  scheduleCompaction(): void {
    this.compacting = true;
    this.compact().then(
      () => (this.compacting = false),
      (e: unknown) => {
        this.compacting = false;
        this.compactedSize = this.size; // back off until the log doubles again
        this.opts.log.warn({ err: e, path: this.path }, `${this.path}: compaction failed, keeping the current log`);
      },
    );
  }

  compact(): Promise<void> {
    return this.exclusive(async () => {
      const state = replay(this.openedBytes ?? (await readFully(this.fh, this.size)), this.path);
      const tmp = `${this.path}.compact`;
      const image = encodeImage(state);
      let out: FileHandle | undefined;
      try {
        out = await open(tmp, 'w');
        await this.opts.writeAt(out, image, 0);
        if (this.opts.fsync !== 'never') await out.sync();
        await out.close();
        out = undefined;
        await rename(tmp, this.path);
      } catch (e) {
        await out?.close().catch((closeErr: unknown) => this.opts.log.warn({ err: closeErr, path: tmp }, 'closing the failed compaction image failed too'));
        await rm(tmp, { force: true });
        throw new JournalIoError(`${this.path}: compaction failed`, { cause: e });
      }
      const old = this.fh;
      try {
        if (this.opts.fsync !== 'never') await syncDir(join(this.path, '..'));
        this.fh = await open(this.path, 'r+');
      } catch (e) {
        this.broken = new JournalIoError(`${this.path}: cannot reopen after compaction; reopen the journal`, { cause: e });
        throw this.broken;
      }
      // The old handle's file was replaced by rename; a failed close leaks one descriptor at most.
      await old.close().catch((closeErr: unknown) => this.opts.log.warn({ err: closeErr, path: this.path }, 'closing the pre-compaction handle failed'));
      this.openedBytes = undefined;
      this.size = image.length;
      this.compactedSize = image.length;
      this.snapshotSinceCompaction = false;
      this.counters.compactions++;
    });
  }

  /** Waits for queued work, then closes the file. */
  close(): Promise<void> {
    const closed = this.tail.then(() => this.fh.close());
    // The queue only orders work: a failure goes to the caller of that work, not to the next.
    this.tail = closed.catch(() => undefined);
    return closed;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(() => {
      if (this.broken) throw this.broken;
      return fn();
    });
    this.tail = run.catch(() => undefined); // as in close(): `run`'s caller sees its failure
    return run;
  }
}

function replay(bytes: Buffer, path: string): PartitionState {
  const state = new PartitionState();
  scanFrames(bytes, path, (kind, epoch, payload, offset) => {
    if (kind === FrameKind.claim) {
      state.epoch = Math.max(state.epoch, epoch);
      return;
    }
    const t = decodeTriples(payload, path, offset);
    if (kind === FrameKind.append) {
      const records: JournalRecord[] = [];
      for (let i = 0; i < t.length; i += 3) records.push({ instanceKey: t[i] as string, seq: t[i + 1] as number, event: t[i + 2] });
      state.append(records);
    } else {
      const snaps: InstanceSnapshot[] = [];
      const forget: string[] = [];
      for (let i = 0; i < t.length; i += 3) {
        if (t[i + 1] === FORGET_SEQ) forget.push(t[i] as string);
        else snaps.push({ instanceKey: t[i] as string, seq: t[i + 1] as number, state: t[i + 2] });
      }
      state.snapshot(snaps, forget);
    }
  });
  return state;
}

/** The smallest log that replays to `state`: header, claim marker, snapshot, newer records. */
function encodeImage(state: PartitionState): Buffer {
  const parts: Buffer[] = [SEGMENT_HEADER, encodeFrame(FrameKind.claim, state.epoch, undefined)];
  const snaps: InstanceSnapshot[] = [];
  for (const img of state.instances.values()) if (img.snapshot) snaps.push(img.snapshot);
  if (snaps.length > 0) parts.push(encodeFrame(FrameKind.snapshot, state.epoch, snapshotPayload(snaps)));
  let batch: JournalRecord[] = [];
  for (const img of state.instances.values()) {
    for (const r of img.records) {
      batch.push(r);
      if (batch.length === RECORDS_PER_COMPACTED_FRAME) {
        parts.push(encodeFrame(FrameKind.append, state.epoch, appendPayload(batch)));
        batch = [];
      }
    }
  }
  if (batch.length > 0) parts.push(encodeFrame(FrameKind.append, state.epoch, appendPayload(batch)));
  return Buffer.concat(parts);
}

function badHeader(path: string): JournalCorruptError {
  return new JournalCorruptError(`${path} is not a journal segment (bad header); move it out of the data dir`);
}
