/** NatsTransport's options: every default in `natsTransportDefaults`. */
import { MaestroError } from '../../core/errors.js';
import type { BoundaryOptions } from '../boundary.js';

/** `schemas` (required) and the rejection reporting settings are the trust boundary's (../boundary.ts). */
export interface NatsTransportOptions extends BoundaryOptions {
  servers: string[];
  /** Partition count; must equal every other node's. */
  partitions: number;
  /** Connection name shown by the server's monitoring. */
  name?: string;
  /** Deadline of a whole `request` (all resends), unless the call gives `timeoutMs`. */
  requestTimeoutMs?: number;
  /** How long one send waits for a reply before it is resent. */
  attemptTimeoutMs?: number;
  /** Deadline of a `dispatch` (all resends). */
  dispatchTimeoutMs?: number;
  /** How long one dispatch waits for an executor's ack. */
  dispatchAckTimeoutMs?: number;
  /** How long closing a served partition waits for the replies of messages being handled. */
  drainTimeoutMs?: number;
  /** Backoff between resends: starts at `retryBaseMs`, doubles, capped at `retryMaxMs`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Receives what a topic handler threw, or a reply that could not be sent (no caller to reject). */
  onHandlerError?: (err: unknown) => void;
}

export type ResolvedNatsTransportOptions = Required<Omit<NatsTransportOptions, 'name' | keyof BoundaryOptions>> &
  BoundaryOptions & { name?: string };

export function natsTransportDefaults(opts: NatsTransportOptions): ResolvedNatsTransportOptions {
  if (!Number.isInteger(opts.partitions) || opts.partitions < 1) {
    throw new MaestroError('invalid_argument', `partitions must be a positive integer, got ${opts.partitions}`);
  }
  return {
    requestTimeoutMs: 10_000,
    attemptTimeoutMs: 2_000,
    dispatchTimeoutMs: 3_000,
    dispatchAckTimeoutMs: 1_000,
    drainTimeoutMs: 5_000,
    retryBaseMs: 5,
    retryMaxMs: 250,
    onHandlerError: (err) => process.emitWarning(err instanceof Error ? err : String(err)),
    ...opts,
  };
}
