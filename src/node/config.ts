/**
 * Every setting of a node, with every default in one place (`defaultNodeConfig`,
 * `defaultClusterConfig`). Units are in the names. Node-level values are written here; each
 * component's tuning group (`transport`, `executor`, `journal`...) is the component's own
 * defaults function, read here once and passed down by the composition roots, so a value is
 * written in exactly one file and every one of them is in this table. The CLI reaches every
 * setting: flags for the common ones, `--set key=value` and `MAESTRO_<KEY>` for all (settings.ts).
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

import { defaultExecutorOptions, type ExecutorOptions } from '../executor/options.js';
import { fileJournalDefaults } from '../journal/file/options.js';
import { fileKvDefaults } from '../store/file/file-kv.js';
import { jetStreamJournalDefaults, type ResolvedJournalOptions } from '../journal/jetstream/options.js';
import { jetStreamKvDefaults } from '../store/jetstream/options.js';
import { NATS_TRANSPORT_DEFAULTS } from '../transport/nats/options.js';
import { TRANSPORT_RETRY_DEFAULTS } from '../transport/retry-defaults.js';
import { GRPC_SERVER_DEFAULTS } from '../control/server-defaults.js';
import { PARTITION_MANAGER_RETRY_DEFAULTS } from '../cluster/partition-manager.js';
import { ETCD_CLUSTER_DEFAULTS } from '../cluster/etcd/defaults.js';

/** Executor settings other than the two node-level ones (`shellEnabled`, `httpAllowList`). */
export type ExecutorTuning = Omit<ExecutorOptions, 'shellEnabled' | 'httpAllowList' | 'resultDeliveryTimeoutMs'>;

export interface TransportTuning {
  /** Resends (a moving owner, a retryable answer): first and largest pause, both transports. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** NATS: how long one send waits for a reply before it is resent. */
  attemptTimeoutMs: number;
  /** NATS: deadline of a step dispatch, and how long one dispatch waits for an executor's ack. */
  dispatchTimeoutMs: number;
  dispatchAckTimeoutMs: number;
  /** NATS: how long closing waits for replies in flight, then for the connection to drain. */
  drainTimeoutMs: number;
}

export interface FileStoreTuning {
  /** File journal: a partition's log is compacted once this big (and it holds a snapshot). */
  segmentBytes: number;
  /** File journal: most calls merged into one write; largest encoded call accepted. */
  maxBatchFrames: number;
  maxFrameBytes: number;
  /** File KV: the log is never compacted below this size. */
  kvCompactMinBytes: number;
}

/** `Partial` one level down: a tuning group may be given in part. */
export type ConfigOverrides<C> = { [K in keyof C]?: C[K] extends readonly unknown[] ? C[K] : C[K] extends object ? Partial<C[K]> : C[K] };
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
  /**
   * A running attempt with no executor heartbeat for this long is dispatched again (its executor
   * died). Owners sweep every sixth of it: with executors announcing every 500 ms, a dead
   * executor's attempts are re-dispatched 1.5-1.75 s after its last heartbeat.
   */
  attemptLivenessMs: number;
  /** Every node reloads all breakpoints from the KV this often (changes are also announced at once). */
  breakpointRefreshMs: number;
  /** How long an instance call waits for the owning node to accept it. */
  requestTimeoutMs: number;
  /**
   * Step concurrency through tag permits (the permit manager, Maestro's default). False: each
   * instance only counts its own running steps against instance_step_concurrency (the engine
   * before tag permits).
   */
  tagPermits: boolean;
  /**
   * The per-depth cap on child instances (Maestro's Redis-only instance_step_concurrency handler,
   * off by default there too): each depth level of a root tree runs at most the tree's
   * instance_step_concurrency (100 when unset) child instances at once; the others wait CREATED.
   * Needs `tagPermits`.
   */
  childInstanceCap: boolean;
  /** The permit manager checks its holders and waiters with their instances this often (lost releases heal). */
  permitReconcileMs: number;
  /** Step runtimes. Shell is off unless enabled: it runs arbitrary commands on this host. */
  shellEnabled: boolean;
  /** URL prefixes the Http runtime may call; empty blocks every call. */
  httpAllowList: string[];
  /** Step types that some executor in the deployment runs (lower-case); embedded: its own runtimes. */
  knownStepTypes?: string[];
  /** fatal, error, warn, info, debug, trace or silent (JSON lines on stderr). */
  logLevel: string;
  /** SIGTERM/SIGINT: the graceful stop (hand over, close) may take this long; then the process exits anyway. */
  shutdownTimeoutMs: number;
  transport: TransportTuning;
  executor: ExecutorTuning;
  /** Embedded with `dataDir`: the file journal and the file KV. */
  fileStore: FileStoreTuning;
  /** The gRPC server: how long close() lets calls in flight finish before cancelling them. */
  grpcShutdownGraceMs: number;
  /**
   * The gRPC server's largest message, received or sent (default 16 MiB). A bigger request is
   * refused with RESOURCE_EXHAUSTED; clients (the CLI, the SDK) name this limit in their error.
   */
  grpcMaxMessageBytes: number;
  /** Workers (WorkerService) heartbeat this often; a worker stream silent for 3 intervals is closed. */
  workerHeartbeatIntervalMs: number;
  /** Step types registered by workers are re-read from the KV store this often (heals a missed announcement). */
  workerTypesRefreshMs: number;
  /**
   * The HTTP server (web UI, Prometheus /metrics, /healthz): its port, 0 = any free one; absent =
   * no HTTP server. `maestro dev` and `maestro node` default to 8080 (`--http-port`).
   */
  httpPort?: number;
  /** Interface the HTTP server listens on (default: the gRPC host; `maestro dev`: localhost). */
  httpHost?: string;
}

const GROUPS = ['transport', 'executor', 'fileStore', 'journal', 'kv', 'etcdClient', 'partitionManager'] as const;

function tuningOf<T extends object>(defaults: T, keys: readonly (keyof T)[]): T {
  return Object.fromEntries(keys.map((k) => [k, defaults[k]])) as T;
}

function nodeTuning(): Pick<NodeConfig, 'transport' | 'executor' | 'fileStore' | 'grpcShutdownGraceMs' | 'grpcMaxMessageBytes'> {
  const nats = NATS_TRANSPORT_DEFAULTS;
  const { shellEnabled: _s, httpAllowList: _h, resultDeliveryTimeoutMs: _r, ...executor } = defaultExecutorOptions();
  const journal = fileJournalDefaults();
  return {
    transport: { ...TRANSPORT_RETRY_DEFAULTS, ...tuningOf(nats, ['attemptTimeoutMs', 'dispatchTimeoutMs', 'dispatchAckTimeoutMs', 'drainTimeoutMs']) },
    executor,
    fileStore: { ...tuningOf(journal, ['segmentBytes', 'maxBatchFrames', 'maxFrameBytes']), kvCompactMinBytes: fileKvDefaults().compactMinBytes },
    grpcShutdownGraceMs: GRPC_SERVER_DEFAULTS.shutdownGraceMs,
    grpcMaxMessageBytes: GRPC_SERVER_DEFAULTS.maxMessageBytes,
  };
}

/** `base` overlaid with `overrides` (undefined fields ignored); tuning groups are merged field by field. */
export function overlay<C extends object>(base: C, overrides: ConfigOverrides<C>): C {
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(stripUndefined(overrides))) {
    out[k] = (GROUPS as readonly string[]).includes(k) ? { ...(out[k] as object), ...stripUndefined(v as object) } : v;
  }
  return out as C;
}

export function defaultNodeConfig(overrides: ConfigOverrides<NodeConfig> = {}): NodeConfig {
  return overlay<NodeConfig>({
    partitions: 16,
    fsync: 'batch',
    checkpointEveryRecords: 20_000,
    retainFinishedPerPartition: 10_000,
    requestTimeoutMs: 30_000,
    attemptLivenessMs: 1_500,
    breakpointRefreshMs: 5_000,
    tagPermits: true,
    childInstanceCap: false,
    permitReconcileMs: 30_000,
    shellEnabled: false,
    httpAllowList: [],
    logLevel: 'warn', // the CLI's commands set their own (dev/node/worker: info, run: warn)
    shutdownTimeoutMs: 10_000,
    workerHeartbeatIntervalMs: 1_000,
    workerTypesRefreshMs: 30_000,
    ...nodeTuning(),
  }, overrides);
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
  /** The JetStream journal (replicas aside). */
  journal: JournalTuning;
  /** The JetStream KV store. */
  kv: KvTuning;
  /** The etcd client; `leaseSilenceLimitMs` 0 means twice `leaseTtlMs`. */
  etcdClient: EtcdTuning;
  /** Backoff of partition claims and of joining again after a lost lease. */
  partitionManager: typeof PARTITION_MANAGER_RETRY_DEFAULTS;
}

export type JournalTuning = Omit<ResolvedJournalOptions, 'stream' | 'subjectPrefix' | 'replicas' | 'maxMessageBytes' | 'log'>;
export type KvTuning = Omit<ReturnType<typeof jetStreamKvDefaults>, 'bucket' | 'replicas' | 'log'>;
export interface EtcdTuning {
  leaseSilenceLimitMs: number;
  callTimeoutMs: number;
  dialTimeoutMs: number;
  resyncRetryMs: number;
}

function clusterTuning(): Pick<ClusterConfig, 'journal' | 'kv' | 'etcdClient' | 'partitionManager'> {
  const { stream: _s, subjectPrefix: _p, replicas: _r, maxMessageBytes: _m, log: _l, ...journal } = jetStreamJournalDefaults();
  const { bucket: _b, replicas: _kr, log: _kl, ...kv } = jetStreamKvDefaults();
  const etcd = ETCD_CLUSTER_DEFAULTS;
  return {
    journal,
    kv,
    etcdClient: { ...tuningOf(etcd, ['callTimeoutMs', 'dialTimeoutMs', 'resyncRetryMs']), leaseSilenceLimitMs: 0 },
    partitionManager: { ...PARTITION_MANAGER_RETRY_DEFAULTS },
  };
}

export function defaultClusterConfig(overrides: ConfigOverrides<ClusterConfig> & Pick<ClusterConfig, 'nats' | 'etcd'>): ClusterConfig {
  const base = defaultNodeConfig({ partitions: 256 });
  return overlay<ClusterConfig>(
    {
      ...base,
      etcdPrefix: '/maestro/',
      grpcHost: '127.0.0.1',
      grpcPort: 50051,
      leaseTtlMs: 2_000,
      journalReplicas: 1,
      kvReplicas: 1,
      runExecutor: true,
      ...clusterTuning(),
      nats: overrides.nats,
      etcd: overrides.etcd,
    },
    overrides,
  );
}
