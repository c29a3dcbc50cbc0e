import { MaestroError } from '../../core/errors.js';

/** Writing the KV log failed. The store refuses every later call: reopen it to recover. */
export class KvIoError extends MaestroError {
  override name = 'KvIoError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('unavailable', message, { ...options, retryable: true });
  }
}

/** The KV log holds a checksummed line that does not parse: not a torn tail, real corruption. */
export class KvCorruptError extends MaestroError {
  override name = 'KvCorruptError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('internal', message, { ...options, retryable: false });
  }
}
