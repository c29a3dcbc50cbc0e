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

/** A key, certificate, token or password file named in the configuration cannot be read. */
export class CredentialFileError extends MaestroError {
  override name = 'CredentialFileError';
  readonly path: string;
  constructor(what: string, path: string, options: { cause?: unknown; problem?: string }) {
    const code = (options.cause as NodeJS.ErrnoException | undefined)?.code;
    super('invalid_argument', `cannot read the ${what} ${path}: ${options.problem ?? code ?? String(options.cause)}`, { cause: options.cause, retryable: false });
    this.path = path;
  }
}
