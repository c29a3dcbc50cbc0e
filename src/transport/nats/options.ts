/** NatsTransport's options: every default in `natsTransportDefaults`. */
import { MaestroError } from '../../core/errors.js';
import type { Logger } from '../../log/logger.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, TRANSPORT_RETRY_DEFAULTS } from '../retry-defaults.js';

export interface NatsTransportOptions {
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
  /** Where what has no caller to reject goes (a topic handler's throw, an unsent reply); module 'transport' is bound. */
  log?: Logger;
}

export type ResolvedNatsTransportOptions = Required<Omit<NatsTransportOptions, 'name' | 'log'>> & Pick<NatsTransportOptions, 'name' | 'log'>;

export function natsTransportDefaults(opts: NatsTransportOptions): ResolvedNatsTransportOptions {
  if (!Number.isInteger(opts.partitions) || opts.partitions < 1) {
    throw new MaestroError('invalid_argument', `partitions must be a positive integer, got ${opts.partitions}`);
  }
  return {
    requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
    attemptTimeoutMs: 2_000,
    dispatchTimeoutMs: 3_000,
    dispatchAckTimeoutMs: 1_000,
    drainTimeoutMs: 5_000,
    ...TRANSPORT_RETRY_DEFAULTS,
    ...opts,
  };
}
