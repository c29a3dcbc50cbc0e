/**
 * The real embedded node (in memory, 4 partitions, the test step types of
 * test/fixtures/test-runtimes.ts) behind the real gRPC server on a free port, and a client to it.
 * The server sees the node's api through `watchers`, which counts the engine subscriptions the
 * server holds open per instance and tells when the count changes (the engine is untouched).
 */
import { EventEmitter } from 'node:events';
import { PreconditionError } from '../../src/core/errors.js';
import type { EngineApi } from '../../src/workflow/engine-api.js';
import { startGrpcServer, type GrpcServerHandle } from '../../src/control/server.js';
import { createControlClient, type ControlClient } from '../../src/control/client.js';
import { createEmbeddedNode, type EmbeddedNode, type EmbeddedNodeOptions } from '../../src/node/embedded.js';
import { testRuntimes, type Holds } from '../fixtures/test-runtimes.js';

export interface Harness {
  node: EmbeddedNode;
  holds: Holds;
  watchers: WatchCounter;
  server: GrpcServerHandle;
  address: string;
  client: ControlClient;
  close(): Promise<void>;
}

export const TEST_PARTITIONS = 4;

/** A node with the test step types (and `opts`), without a server: for in-process tests. */
export async function startNode(opts: EmbeddedNodeOptions = {}): Promise<{ node: EmbeddedNode; holds: Holds }> {
  const { holds, runtimes } = testRuntimes();
  const node = await createEmbeddedNode({ partitions: TEST_PARTITIONS, ...opts, extraRuntimes: [...runtimes, ...(opts.extraRuntimes ?? [])] });
  return { node, holds };
}

/**
 * Stops the runs still in progress, waits until the executor has cancelled their Hold attempts,
 * then closes the node. (A dispatched step still running when an embedded node closes makes the
 * close wait the executor's closeTimeoutMs, 5 s: the node releases its partitions before it
 * closes the executor, so the aborted attempt's result has nowhere to go.)
 */
export async function closeNode(node: EmbeddedNode, holds: Holds): Promise<void> {
  const { instances } = await node.api.listInstances({ status: 'IN_PROGRESS', pageSize: 1000 });
  await Promise.all(
    instances.map((i) =>
      node.api.stop(i.workflowId, i.instanceId).catch((err: unknown) => {
        if (!(err instanceof PreconditionError)) throw err; // it ended meanwhile
      }),
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Hold attempts still running after every run was stopped: ${holds.held().join(', ')}`)), 5000);
  });
  try {
    await Promise.race([holds.idle(), timeout]);
  } finally {
    clearTimeout(timer);
    await node.close();
  }
}

/**
 * Serves `api` (default: the node's api, counted by `watchers`). Pass another view of the same
 * node, e.g. `withoutClusterInfo(node.api)`, to serve that instead.
 */
export async function startHarness(opts: EmbeddedNodeOptions & { serve?: (node: EmbeddedNode) => EngineApi } = {}): Promise<Harness> {
  const { serve, ...nodeOpts } = opts;
  const { node, holds } = await startNode(nodeOpts);
  const watchers = new WatchCounter();
  let server: GrpcServerHandle;
  try {
    server = await startGrpcServer(watchers.wrap(serve ? serve(node) : node.api), { port: 0, shutdownGraceMs: 500 });
  } catch (err) {
    await node.close();
    throw err;
  }
  const address = `localhost:${server.port}`;
  const client = createControlClient(address, { callTimeoutMs: 10_000 });
  return {
    node,
    holds,
    watchers,
    server,
    address,
    client,
    async close() {
      client.close();
      await server.close();
      await closeNode(node, holds);
    },
  };
}

/** The same engine, without `clusterInfo` (as an api that is no node would be). */
export function withoutClusterInfo(api: EngineApi): EngineApi {
  return Object.create(api, { clusterInfo: { value: undefined } }) as EngineApi;
}

/** Counts open engine subscriptions (watchInstance) per instance; `until` resolves on a count. */
export class WatchCounter {
  private readonly open = new Map<string, number>();
  private readonly changed = new EventEmitter();

  wrap<A extends EngineApi>(api: A): A {
    const watchWithSnapshot: EngineApi['watchWithSnapshot'] = async (workflowId, instanceId, onChange) => {
      const { view, stop } = await api.watchWithSnapshot(workflowId, instanceId, onChange);
      const key = `${workflowId}/${instanceId}`;
      this.add(key, 1);
      let closed = false;
      const counted = (): void => {
        if (closed) return;
        closed = true;
        stop();
        this.add(key, -1);
      };
      return { view, stop: counted };
    };
    const watchInstance: EngineApi['watchInstance'] = async (workflowId, instanceId, onChange) => (await watchWithSnapshot(workflowId, instanceId, onChange)).stop;
    return Object.create(api, { watchInstance: { value: watchInstance }, watchWithSnapshot: { value: watchWithSnapshot } }) as A;
  }

  count(workflowId: string, instanceId: number): number {
    return this.open.get(`${workflowId}/${instanceId}`) ?? 0;
  }

  /** Resolves once the instance has `n` open subscriptions (at once if it has). */
  until(workflowId: string, instanceId: number, n: number, timeoutMs = 5000): Promise<void> {
    const key = `${workflowId}/${instanceId}`;
    return new Promise((resolve, reject) => {
      const check = (k: string): void => {
        if (k !== key || this.count(workflowId, instanceId) !== n) return;
        clearTimeout(timer);
        this.changed.off('change', check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.changed.off('change', check);
        reject(new Error(`${key} still has ${this.count(workflowId, instanceId)} engine subscriptions after ${timeoutMs} ms (waited for ${n})`));
      }, timeoutMs);
      this.changed.on('change', check);
      check(key);
    });
  }

  private add(key: string, delta: number): void {
    this.open.set(key, (this.open.get(key) ?? 0) + delta);
    this.changed.emit('change', key);
  }
}

/** A Maestro definition: steps in a chain (each to the next), type NoOp unless given. */
export const definition = (
  id: string,
  steps: Array<{ id: string; type?: string; params?: Record<string, unknown>; retries?: number }>,
  extra: Record<string, unknown> = {},
): string =>
  JSON.stringify({
    properties: { owner: 'tester', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 1000 } },
    workflow: {
      id,
      steps: steps.map((s, i) => {
        const next = steps[i + 1]?.id;
        const step: Record<string, unknown> = { id: s.id, type: s.type ?? 'NoOp', transition: next ? { successors: { [next]: 'true' } } : {} };
        if (s.params) step['params'] = s.params;
        if (s.retries !== undefined) step['retry_policy'] = { error_retry_limit: s.retries };
        return { step };
      }),
    },
    ...extra,
  });
