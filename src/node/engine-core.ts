/**
 * What every node kind assembles the same way over its own adapters: step runtimes and the
 * executor, the definition registry, the partition hosts and the engine. The embedded node
 * passes memory or file adapters; the cluster node NATS, JetStream and its logger.
 */
import { createSelEngine } from '../expr/index.js';
import type { Journal } from '../journal/port.js';
import type { KvStore } from '../store/port.js';
import type { Transport } from '../transport/port.js';
import type { StaleEpochError } from '../core/errors.js';
import { createRuntimeRegistry, inlineRuntimes } from '../executor/runtimes/registry.js';
import { resolveExecutorOptions } from '../executor/options.js';
import { startExecutor, type ExecutorHooks, type ExecutorHandle } from '../executor/executor.js';
import type { StepRuntime, StepTask } from '../executor/runtime.js';
import { DefinitionRegistry } from '../workflow/definitions.js';
import { derivedUuid } from '../workflow/ids.js';
import { Engine } from '../workflow/engine.js';
import { LocalPartitions } from '../workflow/partitions.js';
import { PartitionIndex } from '../workflow/partition-index.js';
import type { NodeConfig } from './config.js';
import type { Logger } from './log.js';

export interface EngineCoreDeps {
  journal: Journal;
  kv: KvStore;
  transport: Transport;
  config: NodeConfig;
  log: Logger;
  /** Run step runtimes in this process (a cluster node may leave them to workers). */
  runExecutor: boolean;
  extraRuntimes?: StepRuntime[];
  executorHooks?: ExecutorHooks;
  onDispatch?: (task: StepTask, partition: number, epoch: number) => void;
  onStale?: (partition: number, err: StaleEpochError) => void;
}

export interface EngineCore {
  engine: Engine;
  partitions: LocalPartitions;
  executor?: ExecutorHandle;
}

export async function assembleEngine(d: EngineCoreDeps): Promise<EngineCore> {
  const { config, transport, journal, kv } = d;
  const runtimes = createRuntimeRegistry(resolveExecutorOptions({ shellEnabled: config.shellEnabled, httpAllowList: config.httpAllowList }));
  for (const r of d.extraRuntimes ?? []) runtimes.set(r.type.toLowerCase(), r);
  const executor = d.runExecutor ? await startExecutor(transport, runtimes, {}, d.executorHooks) : undefined;
  const known = new Set(config.knownStepTypes ?? [...runtimes.keys()]);
  const hasRuntime = (type: string) => known.has(type.toLowerCase());
  const now = () => Date.now();
  const definitions = new DefinitionRegistry(kv, now);
  const sel = createSelEngine();
  const partitions = new LocalPartitions(
    {
      journal,
      transport,
      definitions,
      machine: { engine: sel, hasRuntime, uuid: derivedUuid },
      now,
      checkpointEveryRecords: config.checkpointEveryRecords,
      retainFinishedPerPartition: config.retainFinishedPerPartition,
      attemptLivenessMs: config.attemptLivenessMs,
      inlineRuntimes: inlineRuntimes(runtimes),
      partitionCount: config.partitions,
      onDispatch: d.onDispatch,
      log: d.log.child({ module: 'partitions' }),
    },
    d.onStale,
  );
  const index = new PartitionIndex(transport, config.partitions, config.requestTimeoutMs);
  const engine = new Engine({ definitions, kv, transport, index, expressions: sel, hasRuntime, requestTimeoutMs: config.requestTimeoutMs });
  return { engine, partitions, executor };
}
