/**
 * Every setting of a node, with every default in one place (`defaultNodeConfig`). Units are in
 * the names. The CLI and tests override fields; nothing else invents defaults.
 */
import type { GrpcAuthOptions } from '../control/auth.js';
import type { ServerTlsOptions } from '../control/tls.js';
import type { NatsAuthOptions, NatsTlsOptions } from '../nats/connection.js';
import type { EtcdAuthOptions, EtcdTlsOptions } from '../cluster/etcd/options.js';

/**
 * Security of the gRPC API (`maestro dev`, `maestro node`). Default: all absent — plaintext and
 * no authentication, which suits the loopback default host only.
 */
export interface GrpcSecurityConfig {
  /** Serve TLS: certificate + key; with `clientCaFile`, clients must present a certificate it signed (mTLS). */
  grpcTls?: ServerTlsOptions;
  /** Require `authorization: Bearer <token>` on every call except health checks: tokens listed and/or in a file (one per line). */
  grpcAuth?: GrpcAuthOptions;
}

/** How a node or worker authenticates to NATS and whether it uses TLS. Default: absent (no credentials, plaintext). */
export interface NatsSecurityConfig {
  /** One of user+pass, token, or a user nkey seed file. */
  natsAuth?: NatsAuthOptions;
  /** Present = TLS required; `{}` trusts the system's CAs. */
  natsTls?: NatsTlsOptions;
}

export interface NodeConfig {
  /** Partitions instances are hashed into. Fixed for the life of a deployment. */
  partitions: number;
  /** Data directory for the file journal and KV (embedded `--data-dir`); absent = in memory. */
  dataDir?: string;
  /** File journal durability: one fdatasync per group-commit batch ('batch'), per append ('always'), or none. */
  fsync: 'always' | 'batch' | 'never';
  /** Records appended to a partition between incremental checkpoints (bounds recovery replay). */
  checkpointEveryRecords: number;
  /** Finished instances kept per partition (older ones are forgotten at checkpoints). */
  retainFinishedPerPartition: number;
  /** A running attempt with no executor heartbeat for this long is dispatched again (its executor died). */
  attemptLivenessMs: number;
  /** How long an instance call waits for the owning node to accept it. */
  requestTimeoutMs: number;
  /** Step runtimes. Shell is off unless enabled: it runs arbitrary commands on this host. */
  shellEnabled: boolean;
  /** URL prefixes the Http runtime may call; empty blocks every call. */
  httpAllowList: string[];
  /** Step types that some executor in the deployment runs (lower-case); embedded: its own runtimes. */
  knownStepTypes?: string[];
  logLevel: string;
}

export function defaultNodeConfig(overrides: Partial<NodeConfig> = {}): NodeConfig {
  return {
    partitions: 16,
    fsync: 'batch',
    checkpointEveryRecords: 20_000,
    retainFinishedPerPartition: 10_000,
    requestTimeoutMs: 30_000,
    attemptLivenessMs: 5_000,
    shellEnabled: false,
    httpAllowList: [],
    logLevel: 'info',
    ...stripUndefined(overrides),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A cluster node's settings: the node settings plus where the infrastructure is and how to reach it securely. */
export interface ClusterConfig extends NodeConfig, GrpcSecurityConfig, NatsSecurityConfig {
  /** NATS server URLs (nats://host:port). */
  nats: string[];
  /** etcd endpoints (http://host:port). */
  etcd: string[];
  etcdPrefix: string;
  /** Unique per process; generated from host, pid and random bytes when absent. */
  nodeId?: string;
  grpcHost: string;
  /** 0 = any free port. */
  grpcPort: number;
  /** Host other nodes and clients use to reach this node's gRPC port (default grpcHost). */
  advertiseHost?: string;
  /** etcd lease TTL: a crashed node's partitions move after about this long. */
  leaseTtlMs: number;
  /** JetStream replicas of the journal stream and the KV bucket: 1 on one server, 3 on a 3-server cluster. */
  journalReplicas: number;
  kvReplicas: number;
  /** Run step runtimes in this process too (`maestro worker` processes can add more). */
  runExecutor: boolean;
  /** etcd user and password (etcd with auth enabled). Default: absent. */
  etcdAuth?: EtcdAuthOptions;
  /** TLS to etcd (https endpoints; client certificate for --client-cert-auth). Default: absent (plaintext). */
  etcdTls?: EtcdTlsOptions;
}

export function defaultClusterConfig(overrides: Partial<ClusterConfig> & Pick<ClusterConfig, 'nats' | 'etcd'>): ClusterConfig {
  const base = defaultNodeConfig(overrides);
  return {
    etcdPrefix: '/maestro/',
    grpcHost: '127.0.0.1',
    grpcPort: 50051,
    leaseTtlMs: 2_000,
    journalReplicas: 1,
    kvReplicas: 1,
    runExecutor: true,
    ...stripUndefined(overrides),
    ...base,
    partitions: overrides.partitions ?? 256,
    nats: overrides.nats,
    etcd: overrides.etcd,
  } as ClusterConfig;
}
