/**
 * A node shutting down: an instance's effect that fails because the transport closed (a parent's
 * end notice, seen flooding the log at error level when the 3-node bench closed its nodes while
 * partitions were still being opened) is redone by the partition's next owner from the journal,
 * so it is logged at debug; any other failure of the same effect stays an error.
 */
import test from 'ava';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import { TransportClosedError } from '../../src/transport/errors.js';
import { MemoryJournal } from '../../src/journal/memory/memory-journal.js';
import { MemoryKv } from '../../src/store/memory/memory-kv.js';
import { DefinitionRegistry } from '../../src/workflow/definitions.js';
import { PartitionHost } from '../../src/workflow/partition-host.js';
import { createSelEngine } from '../../src/expr/index.js';
import { parseWorkflowRequest } from '../../src/core/definition/index.js';
import { WIRE_SCHEMAS } from '../../src/workflow/message-schemas.js';
import { NoOpRuntime } from '../../src/executor/runtimes/noop.js';
import { MaestroError } from '../../src/core/errors.js';
import { recordingLogger } from '../helpers/log.js';

async function childEndsWith(notifyError: Error) {
  const definitions = new DefinitionRegistry(new MemoryKv(), Date.now);
  await definitions.create(parseWorkflowRequest(JSON.stringify({ properties: { owner: 't' }, workflow: { id: 'kid', steps: [{ step: { id: 's', type: 'NoOp' } }] } })));
  const log = recordingLogger();
  let told!: () => void;
  const notified = new Promise<void>((res) => (told = res));
  const children = {
    launch: () => Promise.reject(new Error('not used')),
    notify: () => {
      setImmediate(told);
      return Promise.reject(notifyError);
    },
    stop: () => Promise.resolve(),
    retryDelayMs: () => 20,
  };
  const host = await PartitionHost.open(0, 1, {
    journal: new MemoryJournal(),
    transport: new MemoryTransport({ schemas: WIRE_SCHEMAS, partitions: 1 }),
    definitions,
    machine: { engine: createSelEngine(), hasRuntime: () => true },
    now: Date.now,
    checkpointEveryRecords: 1000,
    retainFinishedPerPartition: 100,
    attemptLivenessMs: 600_000,
    onStale: () => undefined,
    log,
    children,
    inlineRuntimes: new Map([['noop', new NoOpRuntime()]]),
  });
  const parent = { workflowId: 'dad', instanceId: 1, runId: 1, stepId: 'sub', attempt: 1, sync: true };
  await host.deliver('kid/1', { type: 'Start', workflowId: 'kid', instanceId: 1, version: 1, params: {}, initiator: 'SUBWORKFLOW', parent });
  await notified;
  await host.close();
  return log.records.filter((r) => r.message.startsWith('parent not told'));
}

test('a parent notice refused by a closed transport is logged at debug, naming the shutdown', async (t) => {
  const records = await childEndsWith(new TransportClosedError());
  t.deepEqual(records.map((r) => r.level), ['debug']);
  t.regex(records[0]!.message, /the transport closed while this node shuts down/);
});

test('the same notice refused for another reason is an error', async (t) => {
  const records = await childEndsWith(new MaestroError('internal', 'boom'));
  t.deepEqual(records.map((r) => r.level), ['error']);
});
