/**
 * Errors shared by every module. Each carries a `kind` that control/ maps to a gRPC status
 * code, and `retryable` telling a caller whether trying again can help.
 */
export type ErrorKind =
  | 'invalid_argument'
  | 'not_found'
  | 'already_exists'
  | 'failed_precondition'
  | 'unavailable'
  | 'unauthenticated'
  | 'internal';

export class MaestroError extends Error {
  override name = 'MaestroError';
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.retryable = options?.retryable ?? (kind === 'unavailable');
  }
}

/** Bad input; `path` is the JSON path of the offending field (e.g. `workflow.steps[2].step.id`). */
export class ValidationError extends MaestroError {
  override name = 'ValidationError';
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('invalid_argument', path ? `${path}: ${message}` : message, options);
    this.path = path;
  }
}

export class NotFoundError extends MaestroError {
  override name = 'NotFoundError';
  constructor(message: string) {
    super('not_found', message);
  }
}

export class AlreadyExistsError extends MaestroError {
  override name = 'AlreadyExistsError';
  constructor(message: string) {
    super('already_exists', message);
  }
}

/** An action that the current status does not allow (e.g. restart of a running instance). */
export class PreconditionError extends MaestroError {
  override name = 'PreconditionError';
  constructor(message: string) {
    super('failed_precondition', message);
  }
}

/** A fenced write from an owner whose epoch is no longer current. Never retryable by the same owner. */
export class StaleEpochError extends MaestroError {
  override name = 'StaleEpochError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('failed_precondition', message, { ...options, retryable: false });
  }
}

export function assertNever(x: never, what = 'value'): never {
  throw new MaestroError('internal', `unexpected ${what}: ${JSON.stringify(x)}`);
}
