/** NatsTransport's options: every default in `natsTransportDefaults`. */
import { MaestroError } from '../../core/errors.js';
import type { NatsConnectOptions } from '../../nats/connection.js';
import type { BoundaryOptions } from '../boundary.js';

/**
 * The connection's settings (servers, name, auth, TLS), the trust boundary's (`schemas`, required,
 * and the rejection reporting: ../boundary.ts) and the transport's own.
 */
export interface NatsTransportOptions extends NatsConnectOptions, BoundaryOptions {
  /** Partition count; must equal every other node's. */
  partitions: number;
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

export type ResolvedNatsTransportOptions = Required<Omit<NatsTransportOptions, 'name' | 'auth' | 'tls' | keyof BoundaryOptions>> &
  Pick<NatsTransportOptions, 'name' | 'auth' | 'tls'> &
  BoundaryOptions;

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
