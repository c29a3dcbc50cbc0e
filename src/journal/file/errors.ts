import { MaestroError } from '../../core/errors.js';

/** A read, write or fsync of a data-dir file failed; the operation may succeed when retried. */
export class JournalIoError extends MaestroError {
  override name = 'JournalIoError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('unavailable', message, { ...options, retryable: true });
  }
}

/** A data-dir file is not in the expected format (beyond a torn tail, which is repaired). */
export class JournalCorruptError extends MaestroError {
  override name = 'JournalCorruptError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('internal', message, { ...options, retryable: false });
  }
}

/** A call on a journal or store after its `close()`. */
export class StoreClosedError extends MaestroError {
  override name = 'StoreClosedError';
  constructor(what: string) {
    super('failed_precondition', `${what} is closed`, { retryable: false });
  }
}

/** Another live process (or another open instance in this one) holds the data dir's lock. */
export class DataDirLockedError extends MaestroError {
  override name = 'DataDirLockedError';
  readonly lockPath: string;
  readonly holderPid: number | undefined;
  constructor(lockPath: string, holderPid: number | undefined, detail?: string) {
    super(
      'failed_precondition',
      `data dir is in use: ${lockPath} is held by ${holderPid === undefined ? 'another process' : `pid ${holderPid}`}` +
        (holderPid === process.pid ? ' (this process; close the other instance first)' : '') +
        (detail ? `; ${detail}` : ''),
      { retryable: false },
    );
    this.lockPath = lockPath;
    this.holderPid = holderPid;
  }
}
