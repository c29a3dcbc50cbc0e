import { MaestroError } from '../core/errors.js';

/**
 * A message off the wire (NATS, or the in-memory transport standing in for it) that is not a
 * well-formed message of its kind: undecodable bytes, a wrong shape, a value out of bounds.
 * `path` names the offending field (`result.status`, `params.region`; '' for the whole body).
 * Resending the same bytes cannot help.
 */
export class InvalidMessageError extends MaestroError {
  override name = 'InvalidMessageError';
  constructor(
    readonly what: string,
    readonly path: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super('invalid_argument', `invalid ${what}: ${path ? `${path}: ` : ''}${problem}`, { ...options, retryable: false });
  }
}
