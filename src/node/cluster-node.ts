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
import type { DispatchedTask } from '../protocol/executor.js';
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
    /** Observes every task this node's executor accepts to run (audits and tests). */
    onAccepted?: (task: DispatchedTask) => void;
  };

export async function startClusterNode(opts: ClusterNodeOptions): Promise<ClusterNode> {
  const { extraRuntimes, onDispatch, onAccepted, ...overrides } = opts;
  const config = defaultClusterConfig(overrides);
  const nodeId = config.nodeId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const name = `maestro-${nodeId}`;
  const log = createLogger(config.logLevel, { node: nodeId });
  // A start that fails part-way (bad credentials, port taken) closes what it opened, newest first.
  const opened: Array<() => Promise<unknown>> = [];
  const step = async <T>(start: () => Promise<T>, close?: (value: T) => Promise<unknown>): Promise<T> => {
    let value: T;
    try {
      value = await start();
    } catch (err) {
      for (const undo of opened) await undo().catch((cleanupErr: unknown) => log.warn({ err: cleanupErr }, 'cleanup after a failed start failed'));
      throw err;
    }
    if (close) opened.unshift(() => close(value));
    return value;
  };
  const natsSecurity = { auth: config.natsAuth, tls: config.natsTls };
  const transport = await step(
    () =>
      NatsTransport.connect({
        servers: config.nats,
        ...natsSecurity,
        partitions: config.partitions,
        name,
        requestTimeoutMs: config.requestTimeoutMs,
        onHandlerError: (err) => log.warn({ err, module: 'transport' }, 'handler failed'),
        schemas: WIRE_SCHEMAS,
        onRejected: (info) => log.warn({ ...info, module: 'transport' }, 'rejected a malformed message at the trust boundary'),
      }),
    (t) => t.close(),
  );
  const journal = await step(() => JetStreamJournal.connect({ servers: config.nats, ...natsSecurity, name: `${name}-journal`, replicas: config.journalReplicas }), (j) => j.close());
  const kv = await step(() => JetStreamKv.connect({ servers: config.nats, ...natsSecurity, name: `${name}-kv`, replicas: config.kvReplicas }), (k) => k.close());
  const { engine, partitions, executor } = await step(() => assembleEngine({
    journal,
    kv,
    transport,
    config,
    log,
    runExecutor: config.runExecutor,
    extraRuntimes,
    onDispatch,
    executorHooks: {
      onError: (err, task) => log.warn({ err, attemptId: task.attemptId, module: 'executor' }, 'result not delivered'),
      onFenced: (what, attemptId, partition, epoch, newest) =>
        log.info({ attemptId, partition, epoch, newest, module: 'executor' }, `refused a ${what} from a former owner of the partition`),
      onAccepted,
    },
    onStale: (p, err) => log.warn({ partition: p, err: err.message, module: 'partitions' }, 'journal refused our epoch: another node owns the partition now; dropped its actors'),
  }), async (core) => {
    await core.partitions.releaseAll();
    await core.executor?.close();
  });
  const etcd = await step(
    async () => new EtcdCluster({ endpoints: config.etcd, leaseTtlMs: config.leaseTtlMs, prefix: config.etcdPrefix, auth: config.etcdAuth, tls: config.etcdTls }),
    (e) => e.close(),
  );
  const startedAtMs = Date.now();
  let manager: PartitionManager | undefined;
  const api = Object.assign(engine, {
    clusterInfo: async (): Promise<ClusterInfo> => clusterInfo(nodeId, manager!, etcd, partitions, config.partitions, startedAtMs),
  });
  const grpc = await step(() => startGrpcServer(api, { host: config.grpcHost, port: config.grpcPort, tls: config.grpcTls, auth: config.grpcAuth }), (g) => g.close());
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
  await step(() => manager!.start());
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
