import { MaestroError } from '../../core/errors.js';

/** JetStream did not answer a KV operation (no leader, timeout, connection lost); retrying may help. */
export class KvUnavailableError extends MaestroError {
  override name = 'KvUnavailableError';
  constructor(what: string, options: { cause: unknown }) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super('unavailable', `KV ${what}: ${reason}`, { ...options, retryable: true });
  }
}
