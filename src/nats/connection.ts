/**
 * The one place maestro opens a NATS connection (transport, JetStream journal, JetStream KV and
 * the worker all connect through here), so connection settings — reconnect policy,
 * authentication and TLS — are written once.
 *
 * Authentication: at most one of user/pass, token, or an nkey seed file. TLS: `tls` present
 * means TLS is required (an empty object trusts the system's CAs); `caFile` trusts a private CA,
 * `certFile`/`keyFile` present a client certificate when the server verifies clients. nats.js
 * reads the TLS files at each (re)connect, so rotated files are picked up. A first connection
 * that fails is a NatsConnectError naming the servers without credentials.
 */
import { readFileSync } from 'node:fs';
import { connect, nkeyAuthenticator, nkeys, type ConnectionOptions, type NatsConnection } from 'nats';
import { NatsConfigError, NatsConnectError } from './errors.js';
import type { Logger } from '../log/logger.js';
import { withTimeout } from '../retry/index.js';

export interface NatsAuthOptions {
  user?: string;
  pass?: string;
  token?: string;
  /** A file holding a user nkey seed (`SU...`), as made by `nk -gen user`. */
  nkeySeedFile?: string;
}

/** Present = TLS required. */
export interface NatsTlsOptions {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface NatsConnectOptions {
  /** NATS server URLs (nats://host:port). */
  servers: string[];
  /** Connection name shown by the server's monitoring. */
  name?: string;
  auth?: NatsAuthOptions;
  tls?: NatsTlsOptions;
}

/** Splits a component's options into the connection's and the rest. */
export function splitConnectOptions<T extends NatsConnectOptions>(opts: T): [NatsConnectOptions, Omit<T, keyof NatsConnectOptions>] {
  const { servers, name, auth, tls, ...rest } = opts;
  return [{ servers, name, auth, tls }, rest];
}

function authOptions(auth: NatsAuthOptions | undefined): Partial<ConnectionOptions> {
  if (auth === undefined) return {};
  const { user, pass, token, nkeySeedFile } = auth;
  if ((user === undefined) !== (pass === undefined)) throw new NatsConfigError('a user needs a password and a password a user');
  const ways = [user !== undefined, token !== undefined, nkeySeedFile !== undefined].filter(Boolean).length;
  if (ways > 1) throw new NatsConfigError('give one of user/password, token or nkey seed, not several');
  if (user !== undefined) return { user, pass };
  if (token !== undefined) return { token };
  if (nkeySeedFile !== undefined) return { authenticator: nkeyAuthenticator(readSeed(nkeySeedFile)) };
  return {};
}

function readSeed(file: string): Uint8Array {
  let seed: Uint8Array;
  try {
    seed = new TextEncoder().encode(readFileSync(file, 'utf8').trim());
  } catch (cause) {
    throw new NatsConfigError(`cannot read the nkey seed file ${file}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause });
  }
  try {
    (nkeys as { fromSeed(seed: Uint8Array): unknown }).fromSeed(seed);
  } catch (cause) {
    throw new NatsConfigError(`${file} does not hold an nkey seed (expected one line starting with "SU")`, { cause });
  }
  return seed;
}

function tlsOptions(tls: NatsTlsOptions | undefined): Partial<ConnectionOptions> {
  if (tls === undefined) return {};
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) throw new NatsConfigError('a TLS client certificate needs both a certificate and a key file');
  return { tls: { ...tls } };
}

/** Reconnects for ever (a node outlives NATS restarts); callers bound their own calls. */
export async function connectNats(opts: NatsConnectOptions): Promise<NatsConnection> {
  const security = { ...authOptions(opts.auth), ...tlsOptions(opts.tls) };
  try {
    return await connect({
      servers: opts.servers,
      ...(opts.name === undefined ? {} : { name: opts.name }),
      ...security,
      maxReconnectAttempts: -1,
      noAsyncTraces: true,
      reconnectTimeWait: 250,
    });
  } catch (cause) {
    throw new NatsConnectError(opts.servers, cause);
  }
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
