/**
 * The embedded node: the whole engine in one process with in-memory adapters (or the file
 * journal and file KV under `dataDir`). Start order: storage, transport, executors, partition
 * hosts (recovery happens here: each host replays its partition), engine. Stop order: reverse,
 * each step bounded by what is left of `shutdownTimeoutMs`.
 */
import { assembleEngine, openWorkerGateway } from './engine-core.js';
import type { ServiceRegistration } from '../control/server.js';
import type { WorkerGateway } from '../control/worker-gateway.js';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { MemoryJournal } from '../journal/memory/memory-journal.js';
import { FileJournal } from '../journal/file/file-journal.js';
import type { Journal } from '../journal/port.js';
import { MemoryKv } from '../store/memory/memory-kv.js';
import { FileKv } from '../store/file/file-kv.js';
import type { KvStore } from '../store/port.js';
import { MemoryTransport } from '../transport/memory/memory-transport.js';
import { WIRE_SCHEMAS } from '../workflow/message-schemas.js';
import { LocalPartitions } from '../workflow/partitions.js';
import type { ClusterApi, ClusterInfo, EngineApi } from '../workflow/engine-api.js';
import type { StepRuntime, StepTask } from '../executor/runtime.js';
import { defaultNodeConfig, type ConfigOverrides, type NodeConfig } from './config.js';
import { createLogger, type Logger } from '../log/logger.js';
import { ShutdownBudget } from './shutdown.js';
import { openTaskLogs } from './task-logs.js';
import type { LiveLogs } from '../workflow/live-logs.js';
import { createNodeMetrics, type NodeMetrics } from './prometheus.js';
import { startHttpServer } from '../control/http-server.js';
import { httpRoutes } from '../control/http-routes.js';

export interface EmbeddedNodeOptions extends ConfigOverrides<NodeConfig> {
  /** Additional step runtimes (an embedding application's own step types). */
  extraRuntimes?: StepRuntime[];
  /** The logger to use; default a new one at `logLevel`. */
  log?: Logger;
  /** The engine's clock (default Date.now): tests of stored journals fix it. */
  now?: () => number;
  /** Observes every step task an owner dispatches (benchmarks' per-hop timings, tests). */
  onDispatch?: (task: StepTask, partition: number, epoch: number) => void;
}

export interface EmbeddedNode {
  api: EngineApi & ClusterApi;
  config: NodeConfig;
  partitions: LocalPartitions;
  log: Logger;
  /** Services to serve beside the engine's (WorkerService): pass them to startGrpcServer's `services`. */
  grpcServices: ServiceRegistration[];
  /** The live tails of running attempts' stdout/stderr this node sees (pass to httpRoutes as `live`). */
  liveLogs: LiveLogs;
  /** The worker streams connected to this node (WorkerService). */
  workers: WorkerGateway;
  /** The node's Prometheus registry (served on /metrics; pass it to httpRoutes). */
  metrics: NodeMetrics;
  /** The HTTP server's URL (/metrics, /healthz, ...) when the config has `httpPort`. */
  httpUrl?: string;
  /** Stops within `timeoutMs` (default `shutdownTimeoutMs`); a step that does not finish is logged and skipped. */
  close(timeoutMs?: number): Promise<void>;
}

export async function createEmbeddedNode(opts: EmbeddedNodeOptions = {}): Promise<EmbeddedNode> {
  const { extraRuntimes: _extra, log: given, now, onDispatch, ...settings } = opts;
  const config = defaultNodeConfig(settings);
  const log = given ?? createLogger(config.logLevel, { node: 'embedded' });
  let journal: Journal;
  let kv: KvStore;
  if (config.dataDir) {
    await mkdir(config.dataDir, { recursive: true });
    const { segmentBytes, maxBatchFrames, maxFrameBytes, kvCompactMinBytes } = config.fileStore;
    journal = await FileJournal.open(join(config.dataDir, 'journal'), { fsync: config.fsync, segmentBytes, maxBatchFrames, maxFrameBytes, log });
    kv = await FileKv.open(join(config.dataDir, 'kv'), { compactMinBytes: kvCompactMinBytes, log });
  } else {
    journal = new MemoryJournal();
    kv = new MemoryKv();
  }
  const { retryBaseMs, retryMaxMs } = config.transport;
  const transport = new MemoryTransport({ partitions: config.partitions, requestTimeoutMs: config.requestTimeoutMs, retryBaseMs, retryMaxMs, log, schemas: WIRE_SCHEMAS });
  const metrics = createNodeMetrics();
  const core = await assembleEngine({ journal, kv, transport, config, log, runExecutor: true, extraRuntimes: opts.extraRuntimes, now, onDispatch, metrics: metrics.engine });
  const { engine, partitions, executor, breakpoints, workerTypes } = core;
  const { gateway, service } = await openWorkerGateway(core, { transport, config, log, now }, 'embedded');
  const taskLogs = openTaskLogs(engine, transport, log);
  metrics.watch({ partitions, partitionCount: config.partitions, executor, workers: gateway });
  for (let p = 0; p < config.partitions; p++) await partitions.acquire(p, 'next');
  void engine.syncAllSignalTriggers(); // heals a Sync lost in a crash (logs its own failures)
  log.info({ partitions: config.partitions, dataDir: config.dataDir ?? null }, 'embedded node started');
  // workflows whose time triggers no actor has journaled yet (a Sync lost with a crash)
  engine.syncAllTimeTriggers().catch((err: unknown) => log.warn({ err }, 'time triggers not synced at start'));
  const startedAtMs = Date.now();
  const api = Object.assign(engine, { clusterInfo: async (): Promise<ClusterInfo> => embeddedClusterInfo(partitions, config.partitions, startedAtMs) });
  // `maestro dev` serves HTTP itself (its --http-port); a library node only with `httpPort`
  const http = config.httpPort === undefined ? undefined : await startHttpServer({ host: config.httpHost, port: config.httpPort, log, routes: httpRoutes({ api, nodeId: 'embedded', log, metrics, live: taskLogs.live }) });
  let closed = false;
  return {
    api,
    config,
    partitions,
    log,
    grpcServices: [service, taskLogs.service],
    liveLogs: taskLogs.live,
    workers: gateway,
    metrics,
    httpUrl: http?.url,
    async close(timeoutMs = config.shutdownTimeoutMs) {
      if (closed) return;
      closed = true;
      const budget = new ShutdownBudget(log, timeoutMs);
      await budget.step('close the HTTP server', async () => http?.close());
      await budget.step('close the worker streams', () => gateway.close());
      await budget.step('release partitions', () => partitions.releaseAll());
      // nobody is left to take results: the attempts are abandoned, recovery re-dispatches them
      await budget.step('close the executor', async () => executor?.close({ abandon: true }));
      await budget.step('close the breakpoint cache', () => breakpoints.close());
      await budget.step('close the worker type cache', () => workerTypes.close());
      await budget.step('close the task-log reader', () => taskLogs.close());
      await budget.step('close the transport', () => transport.close());
      await budget.step('close the journal', () => journal.close());
      await budget.step('close the KV store', () => kv.close());
      log.info({ tookMs: budget.elapsedMs }, 'embedded node stopped');
    },
  };
}

/** One member ('embedded') owning every partition; it has no gRPC address of its own. */
function embeddedClusterInfo(partitions: LocalPartitions, count: number, startedAtMs: number): ClusterInfo {
  const owned = partitions.owned();
  let instances = 0;
  for (const p of owned.keys()) instances += partitions.host(p)?.size ?? 0;
  return {
    selfNodeId: 'embedded',
    mode: 'embedded',
    members: [{ nodeId: 'embedded', grpcAddress: '', startedAtMs }],
    partitions: Array.from({ length: count }, (_, p) => {
      const epoch = owned.get(p);
      return { partition: p, nodeId: epoch === undefined ? '' : 'embedded', epoch: epoch ?? 0 };
    }),
    health: { ownedPartitions: owned.size, instancesInMemory: instances, uptimeMs: Date.now() - startedAtMs, membershipVersion: 0 },
  };
}
