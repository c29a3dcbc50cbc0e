/**
 * Where a worker step's time goes (`npx tsx scripts/bench-hops.ts`, or compiled with the bench):
 * an embedded node with the file journal behind its gRPC server, and a TypeScript worker over
 * the worker protocol, in one process so one clock times every hop of a 10-step chain:
 *   dispatch -> handler: the owner's dispatch command to the worker's handler (executor, gateway,
 *     the TaskBatch over gRPC, the SDK);
 *   handler -> next dispatch: the worker's result to the owner's dispatch of the next step
 *     (TaskResult over gRPC, gateway, executor, result delivery, the actor's journal append);
 *   per step: one dispatch to the next.
 * (One process: the client, the node and the worker share one event loop, so these are lower
 * bounds of what three processes see.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedNode } from '../src/node/embedded.js';
import { startGrpcServer } from '../src/control/server.js';
import { createWorker } from '../src/sdk/worker.js';
import { histogram, us } from './bench-probe.js';

const STEPS = 10;
const dispatched = new Map<string, number>();
const handled = new Map<string, number>();
const returned = new Map<string, number>();
const dir = await mkdtemp(join(tmpdir(), 'maestro-hops-'));
const node = await createEmbeddedNode({
  dataDir: dir,
  logLevel: 'warn',
  onDispatch: (task) => dispatched.set(task.attemptId, performance.now()),
});
const server = await startGrpcServer(node.api, { port: 0, services: node.grpcServices, log: node.log });
const worker = createWorker({
  address: `localhost:${server.port}`,
  types: ['hop_step'],
  concurrency: 64,
  handler: (task) => {
    handled.set(task.attemptId, performance.now());
    queueMicrotask(() => returned.set(task.attemptId, performance.now()));
    return { ok: true };
  },
});
await worker.connected;
const steps = Array.from({ length: STEPS }, (_, i) => ({ step: { id: `s${i}`, type: 'hop_step', transition: { successors: i + 1 < STEPS ? { [`s${i + 1}`]: 'true' } : {} } } }));
await node.api.createWorkflow(JSON.stringify({ properties: { owner: 'bench', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 100 } }, workflow: { id: 'hops', instance_step_concurrency: 100, steps } }));
const toHandler = histogram();
const toNext = histogram();
const perStep = histogram();
const runs = Number(process.argv[2] ?? 300);
for (let r = 0; r < runs; r++) {
  const { instanceId } = await node.api.startWorkflow({ workflowId: 'hops' });
  const last = `hops/${instanceId}/1/s${STEPS - 1}/1`;
  while (!returned.has(last)) await new Promise((res) => setImmediate(res));
  if (r < 30) continue; // warm-up
  for (let i = 0; i < STEPS; i++) {
    const id = `hops/${instanceId}/1/s${i}/1`;
    toHandler.recordValue(Math.max(1, Math.round((handled.get(id)! - dispatched.get(id)!) * 1000)));
    if (i + 1 < STEPS) {
      const next = dispatched.get(`hops/${instanceId}/1/s${i + 1}/1`)!;
      toNext.recordValue(Math.max(1, Math.round((next - handled.get(id)!) * 1000)));
      perStep.recordValue(Math.max(1, Math.round((next - dispatched.get(id)!) * 1000)));
    }
  }
}
const line = (name: string, h: ReturnType<typeof histogram>) => `${name} p50 ${us(h.getValueAtPercentile(50))} ms, p99 ${us(h.getValueAtPercentile(99))} ms`;
console.log(`hops (one process, file journal fsync=batch, ${runs - 30} chains of ${STEPS}): ${line('dispatch -> handler', toHandler)}; ${line('handler -> next dispatch', toNext)}; ${line('per step', perStep)}`);
await worker.close();
await server.close();
await node.close();
await rm(dir, { recursive: true, force: true });
