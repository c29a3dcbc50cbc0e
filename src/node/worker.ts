/**
 * `maestro worker`: an executor-only process. It connects to the cluster's NATS, takes steps of
 * its runtimes' types from the queue groups, and hands results back to whichever node owns each
 * instance at that moment. It owns no instances and has no journal.
 */
import { NatsTransport } from '../transport/nats/nats-transport.js';
import { WIRE_SCHEMAS } from '../workflow/message-schemas.js';
import { createRuntimeRegistry } from '../executor/runtimes/registry.js';
import { resolveExecutorOptions } from '../executor/options.js';
import { startExecutor, type ExecutorHooks } from '../executor/executor.js';
import type { StepRuntime } from '../executor/runtime.js';
import type { NatsSecurityConfig } from './config.js';

export interface WorkerOptions extends NatsSecurityConfig {
  nats: string[];
  partitions?: number;
  shellEnabled?: boolean;
  httpAllowList?: string[];
  extraRuntimes?: StepRuntime[];
  /** Executor hooks: failed deliveries, fenced tasks, accepted tasks (audits and tests). */
  hooks?: ExecutorHooks;
}

export async function startWorker(opts: WorkerOptions): Promise<{ types: string[]; close(): Promise<void> }> {
  const transport = await NatsTransport.connect({
    servers: opts.nats,
    auth: opts.natsAuth,
    tls: opts.natsTls,
    partitions: opts.partitions ?? 256,
    name: `maestro-worker-${process.pid}`,
    schemas: WIRE_SCHEMAS,
  });
  const runtimes = createRuntimeRegistry(resolveExecutorOptions({ shellEnabled: opts.shellEnabled ?? false, httpAllowList: opts.httpAllowList ?? [] }));
  for (const r of opts.extraRuntimes ?? []) runtimes.set(r.type.toLowerCase(), r);
  const executor = await startExecutor(transport, runtimes, {}, opts.hooks);
  return {
    types: [...runtimes.values()].map((r) => r.type),
    async close() {
      await executor.close();
      await transport.close();
    },
  };
}
