/**
 * A cluster node: the same engine as the embedded node over real infrastructure — NATS for
 * actor messages and step dispatch, JetStream for the journal and the KV store, etcd for
 * membership and fenced partition claims. Start order: connections, executor, partition hosts
 * (empty), engine + gRPC, then the partition manager joins the cluster and acquires this node's
 * share (each acquire claims the journal at the etcd epoch, replays and resumes). Stop order:
 * leave gracefully (partitions handed over), then gRPC, executor, connections — every step
 * bounded (stopNode), so a stop ends within `shutdownTimeoutMs` even with NATS and etcd gone.
 */
import { openTaskLogs } from './task-logs.js';
import { logOwnershipChange, membershipLogger } from './cluster-log.js';
import { assembleEngine, natsTransportOptions, openWorkerGateway } from './engine-core.js';
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
import { startHttpServer } from '../control/http-server.js';
import { httpRoutes } from '../control/http-routes.js';
import type { StepRuntime, StepTask } from '../executor/runtime.js';
import type { DispatchedTask } from '../protocol/executor.js';
import { defaultClusterConfig, type ClusterConfig, type ConfigOverrides } from './config.js';
import { createLogger, type Logger } from '../log/logger.js';
import { ShutdownBudget } from './shutdown.js';
import type { TransportStats } from '../transport/port.js';
import { SignalIngest, signalPublisher, type SignalIngestStats } from './signal-ingest.js';
import { createNodeMetrics, trackOwnership, type NodeMetrics } from './prometheus.js';

export interface ClusterNode {
  nodeId: string;
  grpcAddress: string;
  /** The HTTP server's URL (web UI, /metrics, /healthz); undefined without `httpPort`. */
  httpUrl?: string;
  api: EngineApi & ClusterApi;
  manager: PartitionManager;
  partitions: LocalPartitions;
  /** The transport's counters (messages rejected at the trust boundary), for metrics. */
  transportStats(): TransportStats;
  /** Signals taken from NATS (`maestro.signals.>`): stored, duplicates, dead-lettered, failed. */
  signalIngestStats(): SignalIngestStats;
  /** The node's Prometheus registry (served on /metrics). */
  metrics: NodeMetrics;
  log: Logger;
  /** Leaves gracefully (partitions handed over), bounded by `timeoutMs` (default `shutdownTimeoutMs`). */
  close(timeoutMs?: number): Promise<void>;
  /** Simulates kill -9 for tests: stops everything without leaving or handing over. */
  crash(): Promise<void>;
}

export type ClusterNodeOptions = ConfigOverrides<ClusterConfig> &
  Pick<ClusterConfig, 'nats' | 'etcd'> & {
    /** Additional step runtimes (an embedding application's own step types). */
    extraRuntimes?: StepRuntime[];
    /** Observes every dispatch an instance owned here makes (audits and tests). */
    onDispatch?: (task: StepTask, partition: number, epoch: number) => void;
    /** Observes every task this node's executor accepts to run (audits and tests). */
    onAccepted?: (task: DispatchedTask) => void;
    /** The logger to use; default a new one at `logLevel` with the node id bound. */
    log?: Logger;
    /** The engine's clock (event times, timers, time triggers); default Date.now. Tests move it. */
    now?: () => number;
  };

export async function startClusterNode(opts: ClusterNodeOptions): Promise<ClusterNode> {
  const { extraRuntimes, onDispatch, onAccepted, log: given, now, ...overrides } = opts;
  const config = defaultClusterConfig(overrides);
  const nodeId = config.nodeId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const name = `maestro-${nodeId}`;
  const log = given ?? createLogger(config.logLevel, { node: nodeId });
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
  const transport = await step(() => NatsTransport.connect(natsTransportOptions(config, name, log)), (t) => t.close());
  const journal = await step(
    () => JetStreamJournal.connect({ servers: config.nats, ...natsSecurity, name: `${name}-journal`, replicas: config.journalReplicas, ...config.journal, log }),
    (j) => j.close(),
  );
  const kv = await step(() => JetStreamKv.connect({ servers: config.nats, ...natsSecurity, name: `${name}-kv`, replicas: config.kvReplicas, ...config.kv, log }), (k) => k.close());
  const metrics = createNodeMetrics();
  const executorLog = log.child({ module: 'executor' });
  const executorHooksOfNode = {
    onFenced: (what: 'task' | 'cancel', attemptId: string, partition: number, epoch: number, newest: number) =>
      executorLog.info({ attemptId, partition, epoch, newest }, `refused a ${what} from a former owner of the partition`),
    onAccepted,
  };
  const core = await step(
    () =>
      assembleEngine({
        journal,
        kv,
        transport,
        config,
        log,
        runExecutor: config.runExecutor,
        extraRuntimes,
        onDispatch,
        ...(now ? { now } : {}),
        publishSignal: signalPublisher(transport.nc, log.child({ module: 'signals' })),
        executorHooks: executorHooksOfNode,
        metrics: metrics.engine,
      }),
    async (c) => {
      await c.partitions.releaseAll();
      await c.executor?.close();
      await c.breakpoints.close();
      await c.workerTypes.close();
    },
  );
  const { engine, partitions, executor, breakpoints, workerTypes } = core;
  const workers = await step(
    () => openWorkerGateway(core, { transport, config, log, now, executorHooks: executorHooksOfNode }, nodeId),
    (w) => w.gateway.close(),
  );
  const etcd = await step(
    async () =>
      new EtcdCluster({ endpoints: config.etcd, leaseTtlMs: config.leaseTtlMs, prefix: config.etcdPrefix, ...config.etcdClient, auth: config.etcdAuth, tls: config.etcdTls }),
    (e) => e.close(),
  );
  const membershipLog = log.child({ module: 'membership' });
  etcd.membership.onError((err) => membershipLog.warn({ err }, 'following the members failed; retrying'));
  const startedAtMs = Date.now();
  let manager: PartitionManager | undefined;
  const api = Object.assign(engine, {
    clusterInfo: async (): Promise<ClusterInfo> => clusterInfo(nodeId, manager!, etcd, partitions, config.partitions, startedAtMs),
  });
  const taskLogs = openTaskLogs(engine, transport, log); // ends with the transport
  const grpc = await step(
    () =>
      startGrpcServer(api, { host: config.grpcHost, port: config.grpcPort, shutdownGraceMs: config.grpcShutdownGraceMs, maxMessageBytes: config.grpcMaxMessageBytes, log, tls: config.grpcTls, auth: config.grpcAuth, services: [workers.service, taskLogs.service] }),
    (g) => g.close(),
  );
  const ingest = await step(
    async () => new SignalIngest({ nc: transport.nc, api: engine, log: log.child({ module: 'signals' }) }),
    (i) => i.close(),
  );
  const http = await step(
    async () =>
      config.httpPort === undefined
        ? undefined
        : startHttpServer({ host: config.httpHost ?? config.grpcHost, port: config.httpPort, log, routes: httpRoutes({ api, nodeId, log, metrics, live: taskLogs.live }) }),
    async (h) => h?.close(),
  );
  const grpcAddress = `${config.advertiseHost ?? config.grpcHost}:${grpc.port}`;
  const pm = config.partitionManager;
  manager = new PartitionManager({
    membership: etcd.membership,
    claims: etcd.claims,
    owner: { acquire: (p, epoch) => partitions.acquire(p, epoch), release: (p) => partitions.release(p) },
    self: { nodeId, grpcAddress, startedAtMs },
    partitions: config.partitions,
    claimRetry: { initialMs: pm.claimRetryBaseMs, maxMs: pm.claimRetryMaxMs },
    rejoinRetry: { initialMs: pm.rejoinRetryBaseMs, maxMs: pm.rejoinRetryMaxMs },
    log,
  });
  const managerLog = log.child({ module: 'partition-manager' });
  manager.onOwnershipChange((c) => logOwnershipChange(managerLog, c));
  etcd.membership.onChange(membershipLogger(membershipLog, nodeId));
  metrics.watch({ partitions, partitionCount: config.partitions, executor, workers: workers.gateway });
  trackOwnership(metrics, manager, etcd.membership, nodeId, config.partitions);
  await step(() => manager!.start());
  log.info({ grpcAddress, partitions: config.partitions }, 'node joined the cluster');
  void engine.syncAllSignalTriggers(); // heals a Sync lost in a crash (logs its own failures)
  // workflows whose time triggers no actor has journaled yet (a Sync lost with a crashed node)
  engine.syncAllTimeTriggers().catch((err: unknown) => log.warn({ err }, 'time triggers not synced at start'));
  const mgr = manager;
  let stopping: Promise<void> | undefined;
  const stop = (graceful: boolean, timeoutMs: number): Promise<void> => {
    stopping ??= stopNode({ log, graceful, timeoutMs, mgr, etcd, partitions, grpc, http, executor, breakpoints, transport, journal, kv, ingest, workers: workers.gateway, workerTypes });
    return stopping;
  };
  return {
    nodeId,
    grpcAddress,
    httpUrl: http?.url,
    api,
    manager: mgr,
    partitions,
    log,
    transportStats: () => transport.stats(),
    signalIngestStats: () => ingest.stats(),
    metrics,
    close: (timeoutMs = config.shutdownTimeoutMs) => stop(true, timeoutMs),
    crash: () => stop(false, config.shutdownTimeoutMs),
  };
}

interface Parts {
  log: Logger;
  graceful: boolean;
  timeoutMs: number;
  mgr: PartitionManager;
  etcd: EtcdCluster;
  partitions: LocalPartitions;
  grpc: { close(): Promise<void> };
  http: { close(): Promise<void> } | undefined;
  executor: { close(): Promise<void> } | undefined;
  breakpoints: { close(): Promise<void> };
  transport: NatsTransport;
  journal: JetStreamJournal;
  kv: JetStreamKv;
  ingest: SignalIngest;
  workers: { close(): Promise<void> };
  workerTypes: { close(): Promise<void> };
}

/**
 * Stops a node within `timeoutMs` (ShutdownBudget bounds every step, so a node whose NATS and
 * etcd are gone still gets through). The handoff gets the budget less a reserve for closing the
 * connections; if it does not finish, the etcd session is abandoned: the lease expires and the
 * partitions move, as after a crash (the journal's epoch fence keeps anything late out).
 */
async function stopNode(n: Parts): Promise<void> {
  const budget = new ShutdownBudget(n.log, n.timeoutMs);
  n.log.info({ graceful: n.graceful, timeoutMs: n.timeoutMs }, 'node stopping');
  const reserveMs = Math.min(CLOSE_RESERVE_MS, n.timeoutMs / 5);
  await budget.step('stop taking signals from NATS', () => n.ingest.close());
  // workers reconnect to another node; what they held is handed to other nodes' workers
  await budget.step('close the worker streams', () => n.workers.close());
  const handedOver = n.graceful && (await budget.step('hand partitions over and leave the cluster', () => n.mgr.stop(), budget.left(reserveMs)));
  if (!handedOver) await budget.step('abandon the etcd session (its lease expires)', () => n.etcd.abandon());
  await budget.step('release partitions', () => n.partitions.releaseAll());
  await budget.step('close the gRPC server', () => n.grpc.close());
  await budget.step('close the HTTP server', async () => n.http?.close());
  await budget.step('close the executor', async () => n.executor?.close());
  await budget.step('close the breakpoint cache', () => n.breakpoints.close());
  await budget.step('close the worker type cache', () => n.workerTypes.close());
  await budget.step('close the transport', () => n.transport.close());
  await budget.step('close the journal', () => n.journal.close());
  await budget.step('close the KV store', () => n.kv.close());
  if (handedOver) await budget.step('close the etcd client', () => n.etcd.close());
  n.log.info({ tookMs: budget.elapsedMs }, 'node stopped');
}

/** Kept from the budget for closing connections after the handoff. */
const CLOSE_RESERVE_MS = 2_000;

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
