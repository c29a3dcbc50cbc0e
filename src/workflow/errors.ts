import { MaestroError } from '../core/errors.js';

/** The owner of an instance or partition answered with something that is not a reply of the expected form. */
export class MalformedReplyError extends MaestroError {
  override name = 'MalformedReplyError';
  constructor(to: string, options: { cause: unknown }) {
    const problem = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super('internal', `malformed reply from the owner of ${to}: ${problem}`, { ...options, retryable: false });
  }
}
