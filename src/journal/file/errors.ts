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

export { StoreClosedError, DataDirLockedError } from '../../storage/errors.js';
