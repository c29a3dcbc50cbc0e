import type { FileHandle } from 'node:fs/promises';
import { ValidationError } from '../../core/errors.js';
import { writeFully, type FsyncMode } from '../../storage/fs-util.js';
import { fallbackLogger, type Logger } from '../../log/logger.js';

export type { FsyncMode };

/** Writes all of `buf` at `position`; replaceable so tests can inject I/O faults. */
export type WriteAt = (fh: FileHandle, buf: Buffer, position: number) => Promise<void>;

export interface FileJournalOptions {
  fsync: FsyncMode;
  /** A partition's log is compacted once it reaches this size and holds a snapshot to compact to. */
  segmentBytes: number;
  /** Most frames (append/claim/snapshot calls) merged into one write. */
  maxBatchFrames: number;
  /** Largest encoded append or snapshot call accepted. */
  maxFrameBytes: number;
  /** Told (warn) about repairs (torn tail dropped) and failed compactions; the data stays consistent. */
  log: Logger;
  writeAt: WriteAt;
}

/** Every default of the file journal, in one place. */
export function fileJournalDefaults(): FileJournalOptions {
  return {
    fsync: 'batch',
    segmentBytes: 32 * 1024 * 1024,
    maxBatchFrames: 1024,
    maxFrameBytes: 256 * 1024 * 1024,
    log: fallbackLogger(),
    writeAt: writeFully,
  };
}

export function resolveFileJournalOptions(opts: Partial<FileJournalOptions> = {}): FileJournalOptions {
  const o: FileJournalOptions = { ...fileJournalDefaults() };
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v;
  o.log = o.log.child({ module: 'journal' });
  if (o.fsync !== 'always' && o.fsync !== 'batch' && o.fsync !== 'never') {
    throw new ValidationError('fsync', `must be 'always', 'batch' or 'never', got ${String(o.fsync)}`);
  }
  if (!Number.isSafeInteger(o.segmentBytes) || o.segmentBytes < 1024) {
    throw new ValidationError('segmentBytes', `must be an integer >= 1024, got ${o.segmentBytes}`);
  }
  if (!Number.isSafeInteger(o.maxBatchFrames) || o.maxBatchFrames < 1) {
    throw new ValidationError('maxBatchFrames', `must be an integer >= 1, got ${o.maxBatchFrames}`);
  }
  if (!Number.isSafeInteger(o.maxFrameBytes) || o.maxFrameBytes < 1024 || o.maxFrameBytes > 2 ** 31) {
    throw new ValidationError('maxFrameBytes', `must be an integer in [1024, 2^31], got ${o.maxFrameBytes}`);
  }
  return o;
}
