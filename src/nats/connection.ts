/**
 * The one place maestro opens a NATS connection (transport, JetStream journal, JetStream KV and
 * the worker all connect through here), so connection settings — reconnect policy, and the
 * authentication and TLS of the Security section — are written once.
 */
import { connect, type NatsConnection } from 'nats';
import type { Logger } from '../log/logger.js';
import { withTimeout } from '../retry/index.js';

export interface NatsConnectOptions {
  /** NATS server URLs (nats://host:port). */
  servers: string[];
  /** Connection name shown by the server's monitoring. */
  name?: string;
}

/** Reconnects for ever (a node outlives NATS restarts); callers bound their own calls. */
export function connectNats(opts: NatsConnectOptions): Promise<NatsConnection> {
  return connect({
    servers: opts.servers,
    ...(opts.name === undefined ? {} : { name: opts.name }),
    maxReconnectAttempts: -1,
    noAsyncTraces: true,
    reconnectTimeWait: 250,
  });
}

/** Connects, then builds `T` over the connection; the connection is closed if building fails. */
export async function overNewConnection<T>(opts: NatsConnectOptions, build: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await connectNats(opts);
  try {
    return await build(nc);
  } catch (e) {
    await nc.close();
    throw e;
  }
}

/**
 * Drains `nc` (pending replies and publishes are flushed) for at most `ms`, then closes it:
 * with every server gone a drain waits for a reconnect that may never come.
 */
export async function drainOrClose(nc: NatsConnection, ms: number, log: Logger): Promise<void> {
  if (nc.isClosed()) return;
  try {
    await withTimeout(nc.isDraining() ? nc.closed().then(() => undefined) : nc.drain(), ms, 'NATS drain');
  } catch (err) {
    log.warn({ err }, 'NATS connection not drained; closing it (unsent messages are dropped, senders resend)');
    if (!nc.isClosed()) await nc.close();
  }
}
