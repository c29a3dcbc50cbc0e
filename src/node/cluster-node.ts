/**
 * A cluster node: the same engine as the embedded node over real infrastructure — NATS for
 * actor messages and step dispatch, JetStream for the journal and the KV store, etcd for
 * membership and fenced partition claims. Start order: connections, executor, partition hosts
 * (empty), engine + gRPC, then the partition manager joins the cluster and acquires this node's
 * share (each acquire claims the journal at the etcd epoch, replays and resumes). Stop order:
 * leave gracefully (partitions handed over), then gRPC, executor, connections.
 */
import { assembleEngine } from './engine-core.js';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { NatsTransport } from '../transport/nats/nats-transport.js';
import { JetStreamJournal } from '../journal/jetstream/jetstream-journal.js';
import { JetStreamKv } from '../store/jetstream/jetstream-kv.js';
import { EtcdCluster } from '../cluster/etcd/index.js';
import { PartitionManager } from '../cluster/partition-manager.js';
import { LocalPartitions } from '../workflow/partitions.js';
import type { ClusterApi, ClusterInfo, EngineApi } from '../workflow/engine-api.js';
import { startGrpcServer } from '../control/server.js';
import type { StepRuntime, StepTask } from '../executor/runtime.js';
import { defaultClusterConfig, type ClusterConfig } from './config.js';
import { createLogger } from './log.js';
import { WIRE_SCHEMAS } from '../workflow/message-schemas.js';
import type { TransportStats } from '../transport/port.js';

export interface ClusterNode {
  nodeId: string;
  grpcAddress: string;
  api: EngineApi & ClusterApi;
  manager: PartitionManager;
  partitions: LocalPartitions;
  /** The transport's counters (messages rejected at the trust boundary), for metrics. */
  transportStats(): TransportStats;
  close(): Promise<void>;
  /** Simulates kill -9 for tests: stops everything without leaving or handing over. */
  crash(): Promise<void>;
}

export type ClusterNodeOptions = Partial<ClusterConfig> &
  Pick<ClusterConfig, 'nats' | 'etcd'> & {
    /** Additional step runtimes (an embedding application's own step types). */
    extraRuntimes?: StepRuntime[];
    /** Observes every dispatch an instance owned here makes (audits and tests). */
    onDispatch?: (task: StepTask, partition: number, epoch: number) => void;
  };

export async function startClusterNode(opts: ClusterNodeOptions): Promise<ClusterNode> {
  const { extraRuntimes, onDispatch, ...overrides } = opts;
  const config = defaultClusterConfig(overrides);
  const nodeId = config.nodeId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const name = `maestro-${nodeId}`;
  const log = createLogger(config.logLevel, { node: nodeId });
  const transport = await NatsTransport.connect({
    servers: config.nats,
    partitions: config.partitions,
    name,
    requestTimeoutMs: config.requestTimeoutMs,
    onHandlerError: (err) => log.warn({ err, module: 'transport' }, 'handler failed'),
    schemas: WIRE_SCHEMAS,
    onRejected: (info) => log.warn({ ...info, module: 'transport' }, 'rejected a malformed message at the trust boundary'),
  });
  const journal = await JetStreamJournal.connect({ servers: config.nats, name: `${name}-journal`, replicas: config.journalReplicas });
  const kv = await JetStreamKv.connect({ servers: config.nats, name: `${name}-kv`, replicas: config.kvReplicas });
  const { engine, partitions, executor } = await assembleEngine({
    journal,
    kv,
    transport,
    config,
    runExecutor: config.runExecutor,
    extraRuntimes,
    onDispatch,
    executorHooks: { onError: (err, task) => log.warn({ err, attemptId: task.attemptId, module: 'executor' }, 'result not delivered') },
    onStale: (p, err) => log.warn({ partition: p, err: err.message, module: 'partitions' }, 'journal refused our epoch: another node owns the partition now; dropped its actors'),
  });
  const etcd = new EtcdCluster({ endpoints: config.etcd, leaseTtlMs: config.leaseTtlMs, prefix: config.etcdPrefix });
  const startedAtMs = Date.now();
  let manager: PartitionManager | undefined;
  const api = Object.assign(engine, {
    clusterInfo: async (): Promise<ClusterInfo> => clusterInfo(nodeId, manager!, etcd, partitions, config.partitions, startedAtMs),
  });
  const grpc = await startGrpcServer(api, { host: config.grpcHost, port: config.grpcPort });
  const grpcAddress = `${config.advertiseHost ?? config.grpcHost}:${grpc.port}`;
  manager = new PartitionManager({
    membership: etcd.membership,
    claims: etcd.claims,
    owner: { acquire: (p, epoch) => partitions.acquire(p, epoch), release: (p) => partitions.release(p) },
    self: { nodeId, grpcAddress, startedAtMs },
    partitions: config.partitions,
    onError: (err, context) => {
      if (!closed) log.warn({ err, context, module: 'partition-manager' }, 'retrying');
    },
  });
  manager.onOwnershipChange((c) => log.debug({ change: c, module: 'partition-manager' }, 'ownership changed'));
  let closed = false;
  await manager.start();
  log.info({ grpcAddress, partitions: config.partitions }, 'node joined the cluster');
  const mgr = manager;
  const shutdown = async (graceful: boolean) => {
    if (closed) return;
    closed = true;
    log.info({ graceful }, 'node stopping');
    if (graceful) await mgr.stop();
    else await etcd.abandon();
    await partitions.releaseAll();
    await grpc.close();
    await executor?.close();
    await transport.close();
    await journal.close();
    await kv.close();
    if (graceful) await etcd.close();
  };
  return {
    nodeId,
    grpcAddress,
    api,
    manager: mgr,
    partitions,
    transportStats: () => transport.stats(),
    close: () => shutdown(true),
    crash: () => shutdown(false),
  };
}

async function clusterInfo(
  selfNodeId: string,
  manager: PartitionManager,
  etcd: EtcdCluster,
  local: LocalPartitions,
  count: number,
  startedAtMs: number,
): Promise<ClusterInfo> {
  const view = manager.currentView();
  const owners = await Promise.all(Array.from({ length: count }, (_, p) => etcd.claims.owner(p)));
  let instances = 0;
  for (const p of local.owned().keys()) instances += local.host(p)?.size ?? 0;
  return {
    selfNodeId,
    mode: 'cluster',
    members: view.members.map((m) => ({ nodeId: m.nodeId, grpcAddress: m.grpcAddress, startedAtMs: m.startedAtMs })),
    partitions: owners.map((o, p) => ({ partition: p, nodeId: o?.nodeId ?? manager.ownerOf(p) ?? '', epoch: o?.epoch ?? 0 })),
    health: { ownedPartitions: local.owned().size, instancesInMemory: instances, uptimeMs: Date.now() - startedAtMs, membershipVersion: view.version },
  };
}
