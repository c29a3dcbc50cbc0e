/**
 * Two partitions on the memory transport with a journal, the queue owner and an Engine, no
 * executor: tests of attempt liveness (re-dispatch of attempts nobody announces) bring their own.
 * The workflow `w` has one step, `job`, of `stepType`.
 */
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import { MemoryJournal } from '../../src/journal/memory/memory-journal.js';
import { MemoryKv } from '../../src/store/memory/memory-kv.js';
import { DefinitionRegistry } from '../../src/workflow/definitions.js';
import { LocalPartitions } from '../../src/workflow/partitions.js';
import { PartitionIndex } from '../../src/workflow/partition-index.js';
import { Engine } from '../../src/workflow/engine.js';
import { createSelEngine } from '../../src/expr/index.js';
import { parseWorkflowRequest } from '../../src/core/definition/index.js';
import type { StepTask } from '../../src/executor/runtime.js';
import { WIRE_SCHEMAS } from '../../src/workflow/message-schemas.js';
import { queueServiceKind } from '../../src/workflow/queue-service.js';
import { recordingLogger } from './log.js';

export async function livenessRig(opts: { livenessMs: number; stepType: string; onDispatch?: (task: StepTask) => void }) {
  const transport = new MemoryTransport({ schemas: WIRE_SCHEMAS, partitions: 2 });
  const kv = new MemoryKv();
  const definitions = new DefinitionRegistry(kv, Date.now);
  const partitions = new LocalPartitions({
    journal: new MemoryJournal(),
    transport,
    definitions,
    machine: { engine: createSelEngine(), hasRuntime: () => true },
    now: Date.now,
    checkpointEveryRecords: 1000,
    retainFinishedPerPartition: 100,
    attemptLivenessMs: opts.livenessMs,
    partitionCount: 2,
    log: recordingLogger(),
    onDispatch: opts.onDispatch,
    services: [queueServiceKind({ definitions, kv, requestTimeoutMs: 1000 })],
  });
  await partitions.acquire(0, 1);
  await partitions.acquire(1, 1);
  const api = new Engine({ definitions, kv, transport, index: new PartitionIndex(transport, 2, 1000), expressions: createSelEngine(), hasRuntime: () => true, requestTimeoutMs: 1000 });
  const steps = [{ step: { id: 'job', type: opts.stepType } }];
  await definitions.create(parseWorkflowRequest(JSON.stringify({ properties: { owner: 't' }, workflow: { id: 'w', steps } })));
  return { transport, partitions, api };
}
