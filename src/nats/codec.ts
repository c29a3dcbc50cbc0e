/**
 * The msgpackr codec for everything maestro puts on NATS: actor messages, replies, step tasks,
 * topic events and journal frames.
 *
 * One shared Packr: `pack` writes into a reusable 8 KiB block and returns a view of it (it never
 * writes over a returned view), so a small message costs no buffer allocation. Records are off
 * and maps decode as plain objects, so decoded values are plain data: what a handler receives
 * equals, by structure, what the sender passed (Dates stay Dates, `undefined` stays `undefined`).
 */
import { Packr } from 'msgpackr';
import {
  AlreadyExistsError,
  MaestroError,
  NotFoundError,
  PreconditionError,
  StaleEpochError,
  ValidationError,
  type ErrorKind,
} from '../core/errors.js';

// structuredClone off: bytes off the wire cannot make cyclic or shared references (msgpackr's
// 0x69/0x70 extensions are refused); the other extensions it decodes (Set, RegExp, Error, typed
// arrays) are refused by the wire schemas (src/protocol/wire.ts).
const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true, moreTypes: false, structuredClone: false });

export const EMPTY = new Uint8Array(0);

export function encode(value: unknown): Uint8Array {
  return packr.pack(value);
}

export function decode<T = unknown>(bytes: Uint8Array): T {
  return (bytes.length === 0 ? undefined : packr.unpack(bytes)) as T;
}

const ERROR_KINDS: ReadonlySet<string> = new Set<ErrorKind>([
  'invalid_argument',
  'not_found',
  'already_exists',
  'failed_precondition',
  'unavailable',
  'unauthenticated',
  'internal',
]);

interface WireError {
  name: string;
  kind: ErrorKind;
  message: string;
  retryable: boolean;
  path?: string;
}

/** Encodes an error thrown by a remote handler; non-maestro errors travel as `internal`. */
export function encodeError(e: unknown): Uint8Array {
  let wire: WireError;
  if (e instanceof ValidationError) {
    const prefix = e.path ? `${e.path}: ` : '';
    const message = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
    wire = { name: e.name, kind: e.kind, message, retryable: e.retryable, path: e.path };
  } else if (e instanceof MaestroError) {
    wire = { name: e.name, kind: e.kind, message: e.message, retryable: e.retryable };
  } else if (e instanceof Error) {
    wire = { name: e.name, kind: 'internal', message: e.message, retryable: false };
  } else {
    wire = { name: 'Error', kind: 'internal', message: String(e), retryable: false };
  }
  return packr.pack(wire);
}

/**
 * Rebuilds a remote handler's error. The shared core classes come back as themselves (so
 * `instanceof` and `kind` behave as with the in-memory transport); any other error becomes a
 * MaestroError with the remote `name`, `kind`, message and retryability.
 */
export function decodeError(bytes: Uint8Array): MaestroError {
  let wire: Partial<WireError>;
  try {
    wire = packr.unpack(bytes) as Partial<WireError>;
  } catch (cause) {
    return new MaestroError('internal', 'undecodable error reply from a remote handler', { cause });
  }
  const message = typeof wire.message === 'string' ? wire.message : 'remote handler failed';
  const kind: ErrorKind = typeof wire.kind === 'string' && ERROR_KINDS.has(wire.kind) ? wire.kind : 'internal';
  switch (wire.name) {
    case 'ValidationError':
      return new ValidationError(wire.path ?? '', message);
    case 'NotFoundError':
      return new NotFoundError(message);
    case 'AlreadyExistsError':
      return new AlreadyExistsError(message);
    case 'PreconditionError':
      return new PreconditionError(message);
    case 'StaleEpochError':
      return new StaleEpochError(message);
    default: {
      const err = new MaestroError(kind, message, { retryable: wire.retryable === true });
      if (typeof wire.name === 'string' && wire.name) err.name = wire.name;
      return err;
    }
  }
}
