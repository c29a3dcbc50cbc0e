/**
 * `maestro worker`: an executor-only process. It connects to the cluster's NATS, takes steps of
 * its runtimes' types from the queue groups, and hands results back to whichever node owns each
 * instance at that moment. It owns no instances and has no journal. Closing is bounded by
 * `shutdownTimeoutMs` (the executor's own close and the NATS drain are bounded too).
 */
import { NatsTransport } from '../transport/nats/nats-transport.js';
import { createRuntimeRegistry } from '../executor/runtimes/registry.js';
import { startExecutor, type ExecutorHooks } from '../executor/executor.js';
import type { StepRuntime } from '../executor/runtime.js';
import { createLogger, type Logger } from '../log/logger.js';
import { defaultClusterConfig, type ClusterConfig, type ConfigOverrides } from './config.js';
import { executorHooks, executorOptionsOf, natsTransportOptions } from './engine-core.js';
import { ShutdownBudget } from './shutdown.js';

export type WorkerOptions = ConfigOverrides<Omit<ClusterConfig, 'etcd'>> &
  Pick<ClusterConfig, 'nats'> & {
    extraRuntimes?: StepRuntime[];
    log?: Logger;
    /** Observes every task this worker accepts to run (audits and tests). */
    onAccepted?: ExecutorHooks['onAccepted'];
  };

export interface Worker {
  types: string[];
  log: Logger;
  close(timeoutMs?: number): Promise<void>;
}

export async function startWorker(opts: WorkerOptions): Promise<Worker> {
  const { extraRuntimes, log: given, onAccepted, ...overrides } = opts;
  const config = defaultClusterConfig({ ...overrides, etcd: [] });
  const name = `maestro-worker-${process.pid}`;
  const log = given ?? createLogger(config.logLevel, { worker: name });
  const transport = await NatsTransport.connect(natsTransportOptions(config, name, log));
  const runtimes = createRuntimeRegistry(executorOptionsOf(config));
  for (const r of extraRuntimes ?? []) runtimes.set(r.type.toLowerCase(), r);
  const executor = await startExecutor(transport, runtimes, executorOptionsOf(config), { ...executorHooks(log), onAccepted });
  const types = [...runtimes.values()].map((r) => r.type);
  log.info({ types, partitions: config.partitions }, 'worker started');
  return {
    types,
    log,
    async close(timeoutMs = config.shutdownTimeoutMs) {
      const budget = new ShutdownBudget(log, timeoutMs);
      await budget.step('close the executor', () => executor.close());
      await budget.step('close the transport', () => transport.close());
    },
  };
}
