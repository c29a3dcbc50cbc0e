import { Etcd3, type IOptions } from 'etcd3';
import { ValidationError } from '../../core/errors.js';
import { readCredentialFile } from '../../storage/credential-file.js';

/** etcd password authentication (etcd's `auth enable`). */
export interface EtcdAuthOptions {
  username: string;
  password: string;
}

/** Present = TLS: trust `caFile` (else the system's roots); present a client certificate when etcd runs with --client-cert-auth. */
export interface EtcdTlsOptions {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}
import { ETCD_CLUSTER_DEFAULTS } from './defaults.js';

/** Options of the etcd cluster adapter; every default is in `etcdClusterDefaults`. */
export interface EtcdClusterOptions {
  /** Client URLs of the etcd members, e.g. `http://10.0.0.1:2379` (scheme defaults to http, or https with `tls`). */
  endpoints: readonly string[];
  /** Key prefix of this cluster; keys are `<prefix>members/<nodeId>`, `<prefix>partitions/<p>` and `<prefix>handoffs/<p>`. */
  prefix?: string;
  /**
   * Lease TTL, a whole number of seconds in ms. With 2000 a crashed node's claims vanish at most
   * 2 s after its last keepalive (sent every TTL/3), so another node owns them within ~3 s.
   */
  leaseTtlMs?: number;
  /**
   * A node that has had no keepalive answered for this long reports its lease lost and steps down.
   * Must exceed the TTL plus an etcd leader election (~1-2 s: etcd extends leases across a leader
   * change, so a short silence is not a loss). Default (or 0): twice the TTL.
   */
  leaseSilenceLimitMs?: number;
  /** Deadline of every unary etcd call. */
  callTimeoutMs?: number;
  /** How long to wait for a connection to an endpoint. */
  dialTimeoutMs?: number;
  /** Backoff of re-reading membership after the watch broke. */
  resyncRetryMs?: number;
  /** Absent = no authentication. */
  auth?: EtcdAuthOptions;
  /** Absent = plaintext (unless an endpoint is https://, then the system's CAs are trusted). */
  tls?: EtcdTlsOptions;
}

export type ResolvedEtcdClusterOptions = Required<Omit<EtcdClusterOptions, 'auth' | 'tls'>> & Pick<EtcdClusterOptions, 'auth' | 'tls'>;

export function etcdClusterDefaults(opts: EtcdClusterOptions): ResolvedEtcdClusterOptions {
  const resolved: ResolvedEtcdClusterOptions = {
    endpoints: opts.endpoints.map((e) => normalizeEndpoint(e, opts.tls !== undefined)),
    prefix: opts.prefix ?? ETCD_CLUSTER_DEFAULTS.prefix,
    leaseTtlMs: opts.leaseTtlMs ?? ETCD_CLUSTER_DEFAULTS.leaseTtlMs,
    leaseSilenceLimitMs: opts.leaseSilenceLimitMs || 2 * (opts.leaseTtlMs ?? ETCD_CLUSTER_DEFAULTS.leaseTtlMs),
    callTimeoutMs: opts.callTimeoutMs ?? ETCD_CLUSTER_DEFAULTS.callTimeoutMs,
    dialTimeoutMs: opts.dialTimeoutMs ?? ETCD_CLUSTER_DEFAULTS.dialTimeoutMs,
    resyncRetryMs: opts.resyncRetryMs ?? ETCD_CLUSTER_DEFAULTS.resyncRetryMs,
    ...(opts.auth === undefined ? {} : { auth: opts.auth }),
    ...(opts.tls === undefined ? {} : { tls: opts.tls }),
  };
  if (resolved.endpoints.length === 0) throw new ValidationError('etcd.endpoints', 'at least one endpoint is required');
  if (!resolved.prefix.startsWith('/') || !resolved.prefix.endsWith('/')) {
    throw new ValidationError('etcd.prefix', `must start and end with '/' (got ${JSON.stringify(resolved.prefix)})`);
  }
  if (!Number.isInteger(resolved.leaseTtlMs) || resolved.leaseTtlMs < 1000 || resolved.leaseTtlMs % 1000 !== 0) {
    throw new ValidationError('etcd.leaseTtlMs', `must be a whole number of seconds, at least 1000 (got ${resolved.leaseTtlMs})`);
  }
  if (!(resolved.leaseSilenceLimitMs >= resolved.leaseTtlMs)) {
    throw new ValidationError('etcd.leaseSilenceLimitMs', `must be at least leaseTtlMs (${resolved.leaseTtlMs}), got ${resolved.leaseSilenceLimitMs}`);
  }
  for (const key of ['callTimeoutMs', 'dialTimeoutMs', 'resyncRetryMs'] as const) {
    if (!(resolved[key] > 0)) throw new ValidationError(`etcd.${key}`, `must be a positive number (got ${resolved[key]})`);
  }
  if (resolved.auth !== undefined && (!resolved.auth.username || !resolved.auth.password)) {
    throw new ValidationError('etcd.auth', 'needs both a username and a password');
  }
  if (resolved.tls !== undefined && (resolved.tls.certFile === undefined) !== (resolved.tls.keyFile === undefined)) {
    throw new ValidationError('etcd.tls', 'a client certificate needs both a certificate and a key file');
  }
  return resolved;
}

function normalizeEndpoint(endpoint: string, tls: boolean): string {
  if (tls && endpoint.startsWith('http://')) throw new ValidationError('etcd.endpoints', `${endpoint} is plain http but etcd TLS is configured: use https://`);
  const withScheme = /^https?:\/\//.test(endpoint) ? endpoint : `${tls ? 'https' : 'http'}://${endpoint}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (cause) {
    throw new ValidationError('etcd.endpoints', `not a URL: ${JSON.stringify(endpoint)}`, { cause });
  }
  if (url.port === '') throw new ValidationError('etcd.endpoints', `${endpoint} lacks a port`);
  return `${url.protocol}//${url.host}`;
}

/** An etcd client whose unary calls all carry a deadline (streams — watch, keepalive — do not). */
export function createEtcdClient(opts: ResolvedEtcdClusterOptions): Etcd3 {
  return new Etcd3({
    hosts: [...opts.endpoints],
    dialTimeout: opts.dialTimeoutMs,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + opts.callTimeoutMs }),
    ...(opts.auth === undefined ? {} : { auth: { username: opts.auth.username, password: opts.auth.password } }),
    ...(opts.tls === undefined ? {} : { credentials: tlsCredentials(opts.tls) }),
  });
}

/** PEM files read once; a missing CA means grpc's default roots (etcd3 passes it to createSsl, which takes null). */
function tlsCredentials(tls: EtcdTlsOptions): NonNullable<IOptions['credentials']> {
  const read = (file: string | undefined, what: string): Buffer | undefined => (file === undefined ? undefined : readCredentialFile(file, what));
  return {
    rootCertificate: read(tls.caFile, 'etcd TLS CA') ?? (null as unknown as Buffer),
    certChain: read(tls.certFile, 'etcd TLS client certificate'),
    privateKey: read(tls.keyFile, 'etcd TLS client key'),
  };
}

export const memberKey = (nodeId: string): string => `members/${nodeId}`;
export const MEMBERS_PREFIX = 'members/';
export const partitionKey = (p: number): string => `partitions/${p}`;
/** The handoff marker of partition p (see etcd-claims.ts). */
export const handoffKey = (p: number): string => `handoffs/${p}`;
