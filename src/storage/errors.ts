/** Errors of the disk plumbing shared by the file journal and the file KV store. */
import { MaestroError } from '../core/errors.js';

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
