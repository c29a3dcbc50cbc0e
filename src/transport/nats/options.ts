/** NatsTransport's options: every default in `natsTransportDefaults`. */
import { MaestroError } from '../../core/errors.js';
import type { NatsConnectOptions } from '../../nats/connection.js';
import type { BoundaryOptions } from '../boundary.js';
import type { Logger } from '../../log/logger.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, TRANSPORT_RETRY_DEFAULTS } from '../retry-defaults.js';

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
  /** Where what has no caller to reject goes (a topic handler's throw, an unsent reply); module 'transport' is bound. */
  log?: Logger;
}

export type ResolvedNatsTransportOptions = Required<Omit<NatsTransportOptions, 'name' | 'auth' | 'tls' | 'log' | keyof BoundaryOptions>> &
  Pick<NatsTransportOptions, 'name' | 'auth' | 'tls' | 'log'> &
  BoundaryOptions;

/** The NATS transport's own timing defaults (node/config.ts shows and overrides them). */
export const NATS_TRANSPORT_DEFAULTS = {
  requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  attemptTimeoutMs: 2_000,
  dispatchTimeoutMs: 3_000,
  dispatchAckTimeoutMs: 1_000,
  drainTimeoutMs: 5_000,
  ...TRANSPORT_RETRY_DEFAULTS,
} as const;

export function natsTransportDefaults(opts: NatsTransportOptions): ResolvedNatsTransportOptions {
  if (!Number.isInteger(opts.partitions) || opts.partitions < 1) {
    throw new MaestroError('invalid_argument', `partitions must be a positive integer, got ${opts.partitions}`);
  }
  return { ...NATS_TRANSPORT_DEFAULTS, ...opts };
}
