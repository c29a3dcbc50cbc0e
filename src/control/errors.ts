/**
 * The only place where errors meet gRPC status codes. Servers turn any thrown value into a
 * status (MaestroError.kind picks the code; anything else is INTERNAL); clients turn a status
 * back into a ControlError carrying the same kind, field path and retryability, so callers on
 * either side of the wire handle errors the same way.
 *
 * Trailers sent with every error: `maestro-error-kind` (an ErrorKind), `maestro-retryable`
 * ("true"/"false") and, for invalid arguments, `maestro-field` (the JSON path of the bad field).
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { MaestroError, ValidationError, type ErrorKind } from '../core/errors.js';
import { formatBytes } from './server-defaults.js';

export const KIND_TRAILER = 'maestro-error-kind';
export const RETRYABLE_TRAILER = 'maestro-retryable';
export const FIELD_TRAILER = 'maestro-field';

const CODE_OF_KIND: Record<ErrorKind, status> = {
  invalid_argument: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  already_exists: status.ALREADY_EXISTS,
  failed_precondition: status.FAILED_PRECONDITION,
  unavailable: status.UNAVAILABLE,
  unauthenticated: status.UNAUTHENTICATED,
  internal: status.INTERNAL,
};

const KINDS = Object.keys(CODE_OF_KIND) as ErrorKind[];

export interface GrpcErrorStatus {
  code: status;
  details: string;
  metadata: Metadata;
}

/** Server side: the status to send for `err`. */
export function toGrpcStatus(err: unknown): GrpcErrorStatus {
  const metadata = new Metadata();
  if (err instanceof MaestroError) {
    metadata.set(KIND_TRAILER, err.kind);
    metadata.set(RETRYABLE_TRAILER, String(err.retryable));
    const path = err instanceof ValidationError || err instanceof ControlError ? err.path : '';
    if (path) metadata.set(FIELD_TRAILER, path);
    return { code: CODE_OF_KIND[err.kind], details: err.message, metadata };
  }
  metadata.set(KIND_TRAILER, 'internal');
  metadata.set(RETRYABLE_TRAILER, 'false');
  const message = err instanceof Error ? err.message : String(err);
  return { code: status.INTERNAL, details: `internal error: ${message}`, metadata };
}

/** Client side: an error a call ended with, as a MaestroError. */
export class ControlError extends MaestroError {
  override name = 'ControlError';
  /** The gRPC status code the server sent. */
  readonly code: status;
  /** JSON path of the offending field for invalid arguments, else ''. */
  readonly path: string;
  constructor(kind: ErrorKind, code: status, message: string, options: { path?: string; retryable?: boolean; cause?: unknown }) {
    super(kind, message, options);
    this.code = code;
    this.path = options.path ?? '';
  }
}

function kindOfCode(code: status): ErrorKind {
  switch (code) {
    case status.INVALID_ARGUMENT:
      return 'invalid_argument';
    case status.NOT_FOUND:
      return 'not_found';
    case status.ALREADY_EXISTS:
      return 'already_exists';
    case status.FAILED_PRECONDITION:
      return 'failed_precondition';
    case status.UNAVAILABLE:
    case status.DEADLINE_EXCEEDED:
      return 'unavailable';
    case status.UNAUTHENTICATED:
      return 'unauthenticated';
    default:
      return 'internal';
  }
}

function trailer(md: Metadata | undefined, key: string): string | undefined {
  const v = md?.get(key)[0];
  return typeof v === 'string' ? v : undefined;
}

export function fromServiceError(err: ServiceError): ControlError {
  const sentKind = trailer(err.metadata, KIND_TRAILER);
  const kind = sentKind && (KINDS as string[]).includes(sentKind) ? (sentKind as ErrorKind) : kindOfCode(err.code);
  const sentRetryable = trailer(err.metadata, RETRYABLE_TRAILER);
  const retryable = sentRetryable === undefined ? kind === 'unavailable' : sentRetryable === 'true';
  const tooLarge = err.code === status.RESOURCE_EXHAUSTED ? /larger than max \((\d+) vs\.? (\d+)\)/.exec(err.details || err.message) : null;
  if (tooLarge) {
    // grpc-js's own refusal (either side): say what was too large and which limit it hit.
    const message = `the message is ${formatBytes(Number(tooLarge[1]))}; the limit is ${formatBytes(Number(tooLarge[2]))} per gRPC message (grpcMaxMessageBytes on the server, maxMessageBytes in the client)`;
    return new ControlError('invalid_argument', err.code, message, { retryable: false, cause: err });
  }
  // grpc-js ends an unreachable server's message with "Resolution note: " and nothing after it.
  const message = (err.details || err.message).replace(/\.?\s*Resolution note:\s*$/, '');
  return new ControlError(kind, err.code, message, {
    path: trailer(err.metadata, FIELD_TRAILER),
    retryable,
    cause: err,
  });
}

/** A call without valid credentials (no bearer token, or one the server does not accept). */
export class AuthenticationError extends MaestroError {
  override name = 'AuthenticationError';
  constructor(message: string) {
    super('unauthenticated', message, { retryable: false });
  }
}
