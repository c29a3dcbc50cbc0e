/**
 * The security flags, each with a MAESTRO_* environment variable (a flag wins over its variable):
 * - every client command: --token | --token-file, --tls, --tls-ca, --tls-cert + --tls-key
 * - `dev` and `node` (the gRPC server): --tls-cert + --tls-key [--tls-client-ca], --auth-token-file
 * - `node` and `worker` (NATS): --nats-user + --nats-pass | --nats-token | --nats-nkey-seed, --nats-tls[-ca|-cert|-key]
 * - `node` (etcd): --etcd-user + --etcd-pass, --etcd-tls-ca, --etcd-tls-cert + --etcd-tls-key
 * Everything is off unless given. This file maps flags and variables to config (refusing only
 * what the config types cannot express, such as a certificate without its key); the adapters
 * check the rest. Nothing here prints a secret.
 */
import type { ControlClientOptions } from '../control/client.js';
import { readClientToken } from '../control/auth.js';
import type { ClusterConfig, GrpcSecurityConfig, NatsSecurityConfig } from '../node/config.js';
import { UsageError } from './errors.js';

type Env = Record<string, string | undefined>;
type Values = Record<string, unknown>;
const STRING = { type: 'string' } as const;
const BOOLEAN = { type: 'boolean' } as const;

function pick(values: Values, env: Env, flag: string, variable: string): string | undefined {
  const v = values[flag];
  if (typeof v === 'string') return v;
  return env[variable] || undefined;
}

const truthy = (v: string | undefined): boolean => v !== undefined && /^(1|true|yes|on)$/i.test(v);

/** Only the defined fields, or undefined when none is. */
function defined<T extends object>(o: T): T | undefined {
  const entries = Object.entries(o).filter(([, v]) => v !== undefined);
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as T);
}

export const CLIENT_SECURITY_OPTIONS = {
  token: STRING,
  'token-file': STRING,
  tls: BOOLEAN,
  'tls-ca': STRING,
  'tls-cert': STRING,
  'tls-key': STRING,
} as const;

export const CLIENT_SECURITY_USAGE = [
  '  --token-file FILE    send the bearer token in FILE (its first token line) ($MAESTRO_TOKEN_FILE)',
  '  --token TOKEN        send TOKEN as the bearer token ($MAESTRO_TOKEN; visible in `ps`: prefer a file)',
  '  --tls                connect with TLS, trusting the system\'s CAs (implied by --tls-ca, --tls-cert)',
  '  --tls-ca FILE        connect with TLS, trusting the CA certificate in FILE ($MAESTRO_TLS_CA)',
  '  --tls-cert FILE --tls-key FILE   client certificate for a server that requires one ($MAESTRO_TLS_CERT, $MAESTRO_TLS_KEY)',
];

/** TLS and bearer token of a client command. */
export function clientSecurity(values: Values, env: Env): Pick<ControlClientOptions, 'tls' | 'token'> {
  const out: Pick<ControlClientOptions, 'tls' | 'token'> = {};
  const flagToken = values['token'] as string | undefined;
  const flagFile = values['token-file'] as string | undefined;
  if (flagToken !== undefined && flagFile !== undefined) throw new UsageError('give --token or --token-file, not both');
  const [token, file] =
    flagToken !== undefined || flagFile !== undefined ? [flagToken, flagFile] : [env['MAESTRO_TOKEN'] || undefined, env['MAESTRO_TOKEN_FILE'] || undefined];
  if (token !== undefined && file !== undefined) throw new UsageError('set MAESTRO_TOKEN or MAESTRO_TOKEN_FILE, not both');
  if (token !== undefined) out.token = token;
  else if (file !== undefined) out.token = readClientToken(file);

  const tls = defined({
    caFile: pick(values, env, 'tls-ca', 'MAESTRO_TLS_CA'),
    certFile: pick(values, env, 'tls-cert', 'MAESTRO_TLS_CERT'),
    keyFile: pick(values, env, 'tls-key', 'MAESTRO_TLS_KEY'),
  });
  if (tls !== undefined) out.tls = tls;
  else if (values['tls'] === true || truthy(env['MAESTRO_TLS'])) out.tls = {};
  return out;
}

export const GRPC_SERVER_SECURITY_OPTIONS = {
  'tls-cert': STRING,
  'tls-key': STRING,
  'tls-client-ca': STRING,
  'auth-token-file': STRING,
} as const;

export const GRPC_SERVER_SECURITY_USAGE = [
  '  --tls-cert FILE --tls-key FILE   serve gRPC over TLS with this certificate and key ($MAESTRO_GRPC_TLS_CERT, $MAESTRO_GRPC_TLS_KEY)',
  '  --tls-client-ca FILE require client certificates signed by this CA (mTLS) ($MAESTRO_GRPC_TLS_CLIENT_CA)',
  '  --auth-token-file FILE   require `authorization: Bearer <token>` with a token from FILE (one per line) on every call but health checks ($MAESTRO_AUTH_TOKEN_FILE)',
];

export function grpcServerSecurity(values: Values, env: Env): GrpcSecurityConfig {
  const certFile = pick(values, env, 'tls-cert', 'MAESTRO_GRPC_TLS_CERT');
  const keyFile = pick(values, env, 'tls-key', 'MAESTRO_GRPC_TLS_KEY');
  const clientCaFile = pick(values, env, 'tls-client-ca', 'MAESTRO_GRPC_TLS_CLIENT_CA');
  const tokenFile = pick(values, env, 'auth-token-file', 'MAESTRO_AUTH_TOKEN_FILE');
  const out: GrpcSecurityConfig = {};
  if (certFile !== undefined || keyFile !== undefined || clientCaFile !== undefined) {
    if (certFile === undefined || keyFile === undefined) throw new UsageError('TLS needs both --tls-cert and --tls-key');
    out.grpcTls = { certFile, keyFile, ...(clientCaFile === undefined ? {} : { clientCaFile }) };
  }
  if (tokenFile !== undefined) out.grpcAuth = { tokenFile };
  return out;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;

/** A warning line when bearer tokens would cross a network in clear text (`host` absent: the loopback default). */
export function plaintextTokenWarning(host: string | undefined, security: GrpcSecurityConfig): string | undefined {
  if (security.grpcAuth === undefined || security.grpcTls !== undefined || host === undefined || LOOPBACK.test(host)) return undefined;
  return `warning: tokens are required but gRPC is not TLS: clients on ${host} send them in clear text (add --tls-cert/--tls-key)`;
}

export const NATS_SECURITY_OPTIONS = {
  'nats-user': STRING,
  'nats-pass': STRING,
  'nats-token': STRING,
  'nats-nkey-seed': STRING,
  'nats-tls': BOOLEAN,
  'nats-tls-ca': STRING,
  'nats-tls-cert': STRING,
  'nats-tls-key': STRING,
} as const;

export const NATS_SECURITY_USAGE = [
  '  --nats-user U --nats-pass P   NATS user and password ($MAESTRO_NATS_USER, $MAESTRO_NATS_PASS: prefer the variable for the password)',
  '  --nats-token T       NATS token ($MAESTRO_NATS_TOKEN)',
  '  --nats-nkey-seed FILE  NATS user nkey seed file ($MAESTRO_NATS_NKEY_SEED)',
  '  --nats-tls           require TLS to NATS, trusting the system\'s CAs ($MAESTRO_NATS_TLS=1; implied by --nats-tls-ca, --nats-tls-cert)',
  '  --nats-tls-ca FILE   trust this CA for NATS ($MAESTRO_NATS_TLS_CA)',
  '  --nats-tls-cert FILE --nats-tls-key FILE   client certificate for NATS ($MAESTRO_NATS_TLS_CERT, $MAESTRO_NATS_TLS_KEY)',
];

export function natsSecurity(values: Values, env: Env): NatsSecurityConfig {
  const out: NatsSecurityConfig = {};
  const auth = defined({
    user: pick(values, env, 'nats-user', 'MAESTRO_NATS_USER'),
    pass: pick(values, env, 'nats-pass', 'MAESTRO_NATS_PASS'),
    token: pick(values, env, 'nats-token', 'MAESTRO_NATS_TOKEN'),
    nkeySeedFile: pick(values, env, 'nats-nkey-seed', 'MAESTRO_NATS_NKEY_SEED'),
  });
  if (auth !== undefined) out.natsAuth = auth;
  const tls = defined({
    caFile: pick(values, env, 'nats-tls-ca', 'MAESTRO_NATS_TLS_CA'),
    certFile: pick(values, env, 'nats-tls-cert', 'MAESTRO_NATS_TLS_CERT'),
    keyFile: pick(values, env, 'nats-tls-key', 'MAESTRO_NATS_TLS_KEY'),
  });
  if (tls !== undefined) out.natsTls = tls;
  else if (values['nats-tls'] === true || truthy(env['MAESTRO_NATS_TLS'])) out.natsTls = {};
  return out;
}

export const ETCD_SECURITY_OPTIONS = {
  'etcd-user': STRING,
  'etcd-pass': STRING,
  'etcd-tls-ca': STRING,
  'etcd-tls-cert': STRING,
  'etcd-tls-key': STRING,
} as const;

export const ETCD_SECURITY_USAGE = [
  '  --etcd-user U --etcd-pass P   etcd user and password ($MAESTRO_ETCD_USER, $MAESTRO_ETCD_PASS: prefer the variable for the password)',
  '  --etcd-tls-ca FILE   TLS to etcd (https endpoints), trusting this CA ($MAESTRO_ETCD_TLS_CA)',
  '  --etcd-tls-cert FILE --etcd-tls-key FILE   client certificate for etcd --client-cert-auth ($MAESTRO_ETCD_TLS_CERT, $MAESTRO_ETCD_TLS_KEY)',
];

export function etcdSecurity(values: Values, env: Env): Pick<ClusterConfig, 'etcdAuth' | 'etcdTls'> {
  const out: Pick<ClusterConfig, 'etcdAuth' | 'etcdTls'> = {};
  const username = pick(values, env, 'etcd-user', 'MAESTRO_ETCD_USER');
  const password = pick(values, env, 'etcd-pass', 'MAESTRO_ETCD_PASS');
  if (username !== undefined || password !== undefined) {
    if (username === undefined || password === undefined) throw new UsageError('etcd authentication needs both --etcd-user and --etcd-pass');
    out.etcdAuth = { username, password };
  }
  const tls = defined({
    caFile: pick(values, env, 'etcd-tls-ca', 'MAESTRO_ETCD_TLS_CA'),
    certFile: pick(values, env, 'etcd-tls-cert', 'MAESTRO_ETCD_TLS_CERT'),
    keyFile: pick(values, env, 'etcd-tls-key', 'MAESTRO_ETCD_TLS_KEY'),
  });
  if (tls !== undefined) out.etcdTls = tls;
  return out;
}
