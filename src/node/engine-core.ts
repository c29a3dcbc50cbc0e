/**
 * What every node kind assembles the same way over its own adapters: step runtimes and the
 * executor, the definition registry, the partition hosts and the engine. The embedded node
 * passes memory or file adapters; the cluster node NATS and JetStream. Both pass their logger;
 * each component gets a child with its `module` bound.
 */
import { createSelEngine } from '../expr/index.js';
import type { Journal } from '../journal/port.js';
import type { KvStore } from '../store/port.js';
import type { Transport } from '../transport/port.js';
import { ValidationError, type StaleEpochError } from '../core/errors.js';
import { createRuntimeRegistry, inlineRuntimes } from '../executor/runtimes/registry.js';
import { resolveExecutorOptions, type ExecutorOptions } from '../executor/options.js';
import { startExecutor, type ExecutorHooks, type ExecutorHandle } from '../executor/executor.js';
import type { StepRuntime, StepTask } from '../executor/runtime.js';
import { DefinitionRegistry } from '../workflow/definitions.js';
import { newUuid } from '../workflow/ids.js';
import { Engine } from '../workflow/engine.js';
import { childPort } from '../workflow/children.js';
import { Breakpoints } from '../workflow/breakpoints.js';
import { queueServiceKind } from '../workflow/queue-service.js';
import { permitServiceKind } from '../workflow/permit-service.js';
import { signalTriggerServiceKind } from '../workflow/signal-trigger-service.js';
import { signalServiceKind } from '../workflow/signal-service.js';
import type { SignalInstance } from '../core/signals/model.js';
import { timeTriggerServiceKind } from '../workflow/time-trigger-service.js';
import { PermitCache } from '../workflow/permit-cache.js';
import { LocalPartitions } from '../workflow/partitions.js';
import { PartitionIndex } from '../workflow/partition-index.js';
import type { ClusterConfig, NodeConfig } from './config.js';
import type { NatsTransportOptions } from '../transport/nats/options.js';
import { WIRE_SCHEMAS } from '../workflow/message-schemas.js';
import { fallbackLogger, type Logger } from '../log/logger.js';
import { WorkerTypes } from '../workflow/worker-types.js';
import { WorkerGateway } from '../control/worker-gateway.js';
import { workerServiceRegistration } from '../control/worker-service.js';
import type { ServiceRegistration } from '../control/server.js';
import type { EngineMetrics } from '../log/metrics.js';
import { meteredJournal } from '../journal/metered.js';

export interface EngineCoreDeps {
  journal: Journal;
  kv: KvStore;
  transport: Transport;
  config: NodeConfig;
  /** Default: the process-wide fallback logger. */
  log?: Logger;
  /** Run step runtimes in this process (a cluster node may leave them to workers). */
  runExecutor: boolean;
  extraRuntimes?: StepRuntime[];
  onDispatch?: (task: StepTask, partition: number, epoch: number) => void;
  onStale?: (partition: number, err: StaleEpochError) => void;
  /** Added to the executor's hooks (fenced and accepted tasks: audits, tests). */
  executorHooks?: ExecutorHooks;
  /** The engine's clock: event times, timers, Sleep and step deadlines (default Date.now; tests fix it). */
  now?: () => number;
  /** Publishes a stored signal to plain subscribers (the cluster node: JSON on NATS). */
  publishSignal?: (signal: SignalInstance) => void;
  /** Where the engine reports metrics (prometheus.ts); absent: nowhere. */
  metrics?: EngineMetrics;
}

export interface EngineCore {
  engine: Engine;
  partitions: LocalPartitions;
  executor?: ExecutorHandle;
  /** Stop it with the engine (its reload timer is unref'd; its topic subscription is closed here). */
  breakpoints: Breakpoints;
  /** Step types workers registered (close it with the engine). */
  workerTypes: WorkerTypes;
}

/** The node's side of the worker protocol and its gRPC service (serve it with the others). */
export async function openWorkerGateway(core: EngineCore, d: Pick<EngineCoreDeps, 'transport' | 'config' | 'log' | 'now' | 'executorHooks'>, nodeId: string): Promise<{ gateway: WorkerGateway; service: ServiceRegistration }> {
  const log = (d.log ?? fallbackLogger()).child({ module: 'workers' });
  const gateway = await WorkerGateway.open({
    transport: d.transport,
    workerTypes: core.workerTypes,
    nodeId,
    heartbeatIntervalMs: d.config.workerHeartbeatIntervalMs,
    executor: executorOptionsOf(d.config),
    executorHooks: { ...executorHooks(log), ...d.executorHooks },
    log,
    now: d.now,
  });
  return { gateway, service: workerServiceRegistration(gateway, log) };
}

export async function assembleEngine(d: EngineCoreDeps): Promise<EngineCore> {
  const { config, transport, kv, metrics } = d;
  if (config.childInstanceCap && !config.tagPermits) throw new ValidationError('childInstanceCap', 'needs tagPermits: true (the cap is counted by the tag-permit manager)');
  const journal = metrics ? meteredJournal(d.journal, metrics) : d.journal;
  const log = d.log ?? fallbackLogger();
  const now = d.now ?? Date.now;
  const runtimes = createRuntimeRegistry(resolveExecutorOptions(executorOptionsOf(config)), now);
  for (const r of d.extraRuntimes ?? []) runtimes.set(r.type.toLowerCase(), r);
  const executor = d.runExecutor ? await startExecutor(transport, runtimes, executorOptionsOf(config), { ...executorHooks(log), now, ...d.executorHooks }) : undefined;
  const known = new Set((config.knownStepTypes ?? [...runtimes.keys()]).map((t) => t.toLowerCase()));
  const workerTypes = await WorkerTypes.open({ kv, transport, log: log.child({ module: 'worker-types' }), now, refreshMs: config.workerTypesRefreshMs });
  // built in, declared in the config, or registered by a worker (worker-types.ts)
  const hasRuntime = (type: string) => known.has(type.toLowerCase()) || workerTypes.has(type);
  // attempts of a type no runtime of this node runs wait for a worker instead of failing
  const awaitsWorker = (type: string) => !runtimes.has(type.toLowerCase()) && hasRuntime(type);
  const definitions = new DefinitionRegistry(kv, now);
  const sel = createSelEngine();
  const children = childPort({ transport, definitions, requestTimeoutMs: config.requestTimeoutMs });
  const breakpoints = await Breakpoints.open({
    kv,
    transport,
    partitions: config.partitions,
    requestTimeoutMs: config.requestTimeoutMs,
    now,
    refreshMs: config.breakpointRefreshMs,
    log: log.child({ module: 'breakpoints' }),
  });
  const inline = inlineRuntimes(runtimes);
  const permitCache = config.tagPermits ? new PermitCache(transport, (type) => inline.get(type)?.runNow !== undefined, log.child({ module: 'permits' }), config.requestTimeoutMs).open() : undefined;
  const partitions = new LocalPartitions(
    {
      journal,
      transport,
      definitions,
      machine: {
        engine: sel,
        hasRuntime,
        uuid: newUuid,
        breakpoint: (wf, step) => breakpoints.has(wf, step),
        permitFastPath: permitCache ? (type, tags) => permitCache.fastPath(type, tags) : undefined,
        permitTagHot: permitCache ? (tag) => permitCache.isHot(tag) : undefined,
        childInstanceCap: config.childInstanceCap,
      },
      now,
      checkpointEveryRecords: config.checkpointEveryRecords,
      retainFinishedPerPartition: config.retainFinishedPerPartition,
      attemptLivenessMs: config.attemptLivenessMs,
      inlineRuntimes: inline,
      partitionCount: config.partitions,
      onDispatch: d.onDispatch,
      awaitsWorker,
      children,
      log: log.child({ module: 'partitions' }),
      services: [
        queueServiceKind({ definitions, kv, requestTimeoutMs: config.requestTimeoutMs }),
        permitServiceKind({ requestTimeoutMs: config.requestTimeoutMs, reconcileMs: config.permitReconcileMs }),
        signalTriggerServiceKind({ definitions, expressions: sel, requestTimeoutMs: config.requestTimeoutMs, metrics }),
        signalServiceKind({ requestTimeoutMs: config.requestTimeoutMs, publish: d.publishSignal, metrics }),
        timeTriggerServiceKind({ definitions, requestTimeoutMs: config.requestTimeoutMs, metrics }),
      ],
      tagPermits: config.tagPermits,
      metrics,
    },
    d.onStale,
  );
  const index = new PartitionIndex(transport, config.partitions, config.requestTimeoutMs);
  const engine = new Engine({ definitions, kv, transport, index, expressions: sel, hasRuntime, refreshRuntimes: () => workerTypes.refresh(), requestTimeoutMs: config.requestTimeoutMs, log, breakpoints });
  return { engine, partitions, executor, breakpoints, workerTypes };
}

/** The executor's options: the node-level ones plus the config's `executor` group. */
export function executorOptionsOf(config: Pick<NodeConfig, 'shellEnabled' | 'httpAllowList' | 'executor'>): ExecutorOptions {
  return resolveExecutorOptions({ ...config.executor, shellEnabled: config.shellEnabled, httpAllowList: config.httpAllowList });
}

/** Results an executor gave up on (a non-retryable rejection) go to the log, with the attempt. */
export function executorHooks(log: Logger): ExecutorHooks {
  const executorLog = log.child({ module: 'executor' });
  return {
    log: executorLog,
    onError: (err, task) => executorLog.error({ err, attemptId: task.attemptId, instanceKey: task.instanceKey }, 'result not delivered; the owner re-dispatches the attempt once its liveness window passes'),
  };
}

/** The NATS transport of a node or worker: its connection, trust boundary and tuning, from config. */
export function natsTransportOptions(config: ClusterConfig, name: string, log: Logger): NatsTransportOptions {
  return {
    servers: config.nats,
    auth: config.natsAuth,
    tls: config.natsTls,
    partitions: config.partitions,
    name,
    requestTimeoutMs: config.requestTimeoutMs,
    ...config.transport,
    log,
    schemas: WIRE_SCHEMAS,
    onRejected: (info) => log.warn({ ...info, module: 'transport' }, 'rejected a malformed message at the trust boundary'),
  };
}
