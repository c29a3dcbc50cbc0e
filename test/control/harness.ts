/**
 * A real gRPC server on a free port over an engine, and a client to it. Tests that only use
 * EngineApi get their engine from `newEngine` (the real embedded node; replace its one line with
 * the FakeEngine to test the control plane alone). Tests that inject failures or need steps that
 * block until told use `startFakeHarness`.
 */
import type { EngineApi } from '../../src/workflow/engine-api.js';
import { startGrpcServer, type GrpcServerHandle } from '../../src/control/server.js';
import { createControlClient, type ControlClient } from '../../src/control/client.js';
import { createEmbeddedNode } from '../../src/node/embedded.js';
import { FakeEngine } from './fake-engine.js';

export interface Engine {
  api: EngineApi;
  close(): Promise<void>;
}

export async function newEngine(): Promise<Engine> {
  return createEmbeddedNode();
}

export interface Harness<E extends EngineApi = EngineApi> {
  api: E;
  server: GrpcServerHandle;
  address: string;
  client: ControlClient;
  close(): Promise<void>;
}

export async function serve<E extends EngineApi>(api: E, onClose: () => Promise<void> = async () => {}): Promise<Harness<E>> {
  const server = await startGrpcServer(api, { port: 0, shutdownGraceMs: 500 });
  const address = `localhost:${server.port}`;
  const client = createControlClient(address, { callTimeoutMs: 10_000 });
  return {
    api,
    server,
    address,
    client,
    async close() {
      client.close();
      await server.close();
      await onClose();
    },
  };
}

/** A server over a fresh engine from newEngine(). */
export async function startHarness(): Promise<Harness> {
  const engine = await newEngine();
  return serve(engine.api, () => engine.close());
}

/** A server over a FakeEngine, for tests that inject failures or block steps. */
export function startFakeHarness(): Promise<Harness<FakeEngine>> {
  return serve(new FakeEngine());
}

export const definition = (id: string, steps: Array<{ id: string; type?: string }>, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    properties: { owner: 'tester', run_strategy: 'sequential' },
    workflow: { id, steps: steps.map((s) => ({ step: { id: s.id, type: s.type ?? 'NoOp', transition: {} } })) },
    ...extra,
  });
