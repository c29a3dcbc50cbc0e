/**
 * The queue owner moves with its partition: a new owner recovers it from the journal (queued
 * runs, running runs, numbering) and reconciles — a run end whose notice was lost while nobody
 * owned the queue is found by asking the instance, so the queue does not wedge.
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
import { startExecutor } from '../../src/executor/executor.js';
import { recordingLogger } from '../helpers/log.js';
import { WIRE_SCHEMAS } from '../../src/workflow/message-schemas.js';
import { queueServiceKind } from '../../src/workflow/queue-service.js';
import { partitionOf } from '../../src/core/partition.js';
import { queueKeyOf } from '../../src/core/queue/index.js';
import { Holds } from '../fixtures/test-runtimes.js';
import { waitForEnd, waitForStep } from '../helpers/wait.js';

const PARTITIONS = 3; // FNV-1a modulo 2 is a parity: with 2 partitions ~queue/x and x/1 always share one

async function rig(t: import('ava').ExecutionContext) {
  // a short request timeout: a run-end notice to an unowned queue is given up (lost) quickly
  const transport = new MemoryTransport({ partitions: PARTITIONS, schemas: WIRE_SCHEMAS, requestTimeoutMs: 300 });
  const journal = new MemoryJournal();
  const kv = new MemoryKv();
  const definitions = new DefinitionRegistry(kv, Date.now);
  const sel = createSelEngine();
  const log = recordingLogger();
  const node = () =>
    new LocalPartitions({
      journal,
      transport,
      definitions,
      machine: { engine: sel, hasRuntime: () => true },
      now: Date.now,
      checkpointEveryRecords: 1000,
      retainFinishedPerPartition: 100,
      attemptLivenessMs: 60_000,
      partitionCount: PARTITIONS,
      log,
      services: [queueServiceKind({ definitions, kv, requestTimeoutMs: 2_000 })],
    });
  const holds = new Holds();
  const executor = await startExecutor(transport, new Map([['hold', holds.runtime]]), { heartbeatIntervalMs: 0 }, {});
  const n1 = node();
  const n2 = node();
  t.teardown(async () => {
    await n1.releaseAll();
    await n2.releaseAll();
    await executor.close({ abandon: true });
    await transport.close();
  });
  const api = new Engine({ definitions, kv, transport, index: new PartitionIndex(transport, PARTITIONS, 2_000), expressions: sel, hasRuntime: () => true, requestTimeoutMs: 2_000 });
  return { api, holds, n1, n2, log };
}

/** A workflow id whose queue owner lives on another partition than its instance 1. */
function splitWorkflowId(): { id: string; queueP: number } {
  for (let i = 0; ; i++) {
    const id = `tk${i}`;
    const q = partitionOf(queueKeyOf(id), PARTITIONS);
    if (partitionOf(`${id}/1`, PARTITIONS) !== q) return { id, queueP: q };
  }
}

test('a takeover of the queue owner loses no queued instance and finds a run end whose notice was lost', async (t) => {
  const { api, holds, n1, n2, log } = await rig(t);
  const { id, queueP } = splitWorkflowId();
  for (let p = 0; p < PARTITIONS; p++) await n1.acquire(p, 1);
  await api.createWorkflow(JSON.stringify({ properties: { owner: 't' }, workflow: { id, steps: [{ step: { id: 'job', type: 'Hold' } }] } }));
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push((await api.startWorkflow({ workflowId: id })).instanceId);
  t.deepEqual(ids, [1, 2, 3]);
  const one = await waitForStep(api, id, 1, "job", "RUNNING");

  // the queue's partition has no owner while #1 ends: its notice times out and is lost
  // (queued #2 or #3 may live there too: they move with it)
  await n1.release(queueP);
  holds.release(one, "job");
  t.is((await waitForEnd(api, id, 1)).status, 'SUCCEEDED');
  await waitUntil(() => log.records.some((r) => r.message.includes('queue owner not told')));

  // the new owner recovers the queue (2 and 3 still queued), asks #1, learns it ended, runs #2
  await n2.acquire(queueP, 2);
  const two = await waitForStep(api, id, 2, 'job', 'RUNNING');
  t.is(two.runId, 1);
  t.like(await api.queueInfo(id), { latestInstanceId: 3, running: [{ instanceId: 2, runId: 1 }], queued: [{ instanceId: 3, runId: 1 }] });
  t.is((await api.startWorkflow({ workflowId: id })).instanceId, 4, 'numbering continues after the move');
  holds.release(two, 'job');
  await waitForStep(api, id, 3, 'job', 'RUNNING');
});

async function waitUntil(ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
