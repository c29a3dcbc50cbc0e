/**
 * "A worker or executor that dies has its attempts re-dispatched within 2 s": with the default
 * liveness settings, two executors on the memory transport, one closed abandon-style (as a dead
 * node's executor: it sends nothing more, heartbeats stop) while it holds an attempt. The owner's
 * sweep dispatches it again and the other executor finishes it.
 */
import test from 'ava';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import { MemoryJournal } from '../../src/journal/memory/memory-journal.js';
import { MemoryKv } from '../../src/store/memory/memory-kv.js';
import { DefinitionRegistry } from '../../src/workflow/definitions.js';
import { LocalPartitions } from '../../src/workflow/partitions.js';
import { PartitionIndex } from '../../src/workflow/partition-index.js';
import { Engine } from '../../src/workflow/engine.js';
import { createSelEngine } from '../../src/expr/index.js';
import { parseWorkflowRequest } from '../../src/core/definition/index.js';
import { startExecutor } from '../../src/executor/executor.js';
import { defaultExecutorOptions } from '../../src/executor/options.js';
import { defaultNodeConfig } from '../../src/node/config.js';
import type { StepRuntime } from '../../src/executor/runtime.js';
import { waitForEnd } from '../helpers/wait.js';
import { recordingLogger } from '../helpers/log.js';
import { WIRE_SCHEMAS } from '../../src/workflow/message-schemas.js';
import { queueServiceKind } from '../../src/workflow/queue-service.js';

const livenessMs = defaultNodeConfig().attemptLivenessMs;
const heartbeatMs = defaultExecutorOptions().heartbeatIntervalMs;
/** PartitionHost sweeps every sixth of the liveness window (at least 50 ms). */
const sweepMs = Math.max(50, livenessMs / 6);

test('the defaults bound the re-dispatch of a dead executor\'s attempts to under 2 s', (t) => {
  // Its last heartbeat is at most `heartbeatMs` before it died; the owner re-dispatches at the
  // first sweep at least `livenessMs` after that heartbeat.
  t.true(heartbeatMs < livenessMs / 2, 'several heartbeats per liveness window: one lost heartbeat re-dispatches nothing');
  t.true(livenessMs + sweepMs <= 2_000, `worst case ${livenessMs + sweepMs} ms after the executor died`);
});

test('an executor dies holding an attempt: another executor finishes it, re-dispatched after the liveness window', async (t) => {
  const transport = new MemoryTransport({ schemas: WIRE_SCHEMAS, partitions: 2 });
  const kv = new MemoryKv();
  const definitions = new DefinitionRegistry(kv, Date.now);
  const dispatchedAt: number[] = [];
  const partitions = new LocalPartitions({
    journal: new MemoryJournal(),
    transport,
    definitions,
    machine: { engine: createSelEngine(), hasRuntime: () => true },
    now: Date.now,
    checkpointEveryRecords: 1000,
    retainFinishedPerPartition: 100,
    attemptLivenessMs: livenessMs,
    partitionCount: 2,
    log: recordingLogger(),
    onDispatch: () => void dispatchedAt.push(Date.now()),
    services: [queueServiceKind({ definitions, kv, requestTimeoutMs: 1000 })],
  });
  await partitions.acquire(0, 1);
  await partitions.acquire(1, 1);
  t.teardown(() => partitions.releaseAll());
  const api = new Engine({ definitions, kv, transport, index: new PartitionIndex(transport, 2, 1000), expressions: createSelEngine(), hasRuntime: () => true, requestTimeoutMs: 1000 });
  await definitions.create(parseWorkflowRequest(JSON.stringify({ properties: { owner: 't' }, workflow: { id: 'w', steps: [{ step: { id: 'job', type: 'Job' } }] } })));

  let held!: () => void;
  const holding = new Promise<void>((resolve) => (held = resolve));
  const stuck: StepRuntime = { type: 'Job', run: (_task, signal) => (held(), new Promise((resolve) => signal.addEventListener('abort', () => resolve({ status: 'SUCCEEDED' })))) };
  const finishedBy: string[] = [];
  const works: StepRuntime = { type: 'Job', run: async () => (finishedBy.push('second'), { status: 'SUCCEEDED', outputs: { by: 'second' } }) };
  const first = await startExecutor(transport, new Map([['job', stuck]]), {}, {});
  const run = await api.startWorkflow({ workflowId: 'w' });
  await holding;
  const second = await startExecutor(transport, new Map([['job', works]]), {}, {});
  t.teardown(() => second.close());
  const diedAt = Date.now();
  await first.close({ abandon: true });
  const end = await waitForEnd(api, 'w', run.instanceId, 10_000);
  t.is(end.status, 'SUCCEEDED');
  t.deepEqual(finishedBy, ['second']);
  t.is(end.steps[0]!.attempts.length, 1, 'the same attempt, not a retry');
  t.is(dispatchedAt.length, 2);
  const sinceDispatch = dispatchedAt[1]! - dispatchedAt[0]!;
  t.true(sinceDispatch >= livenessMs, `re-dispatched only once the liveness window passed (after ${sinceDispatch} ms)`);
  t.log(`re-dispatched ${dispatchedAt[1]! - diedAt} ms after the executor died (bound ${livenessMs + sweepMs} ms)`);
});
