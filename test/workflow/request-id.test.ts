/**
 * A start's request_id: the dedup record travels in the queue owner's enqueue append (no extra
 * journal write), a repeat writes nothing, and the id is remembered as long as its instance
 * (retention forgetting the instance drops it at the queue owner).
 */
import test from 'ava';
import { MemoryJournal } from '../../src/journal/memory/memory-journal.js';
import { MemoryKv } from '../../src/store/memory/memory-kv.js';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import { assembleEngine } from '../../src/node/engine-core.js';
import { defaultNodeConfig } from '../../src/node/config.js';
import { WIRE_SCHEMAS } from '../../src/workflow/message-schemas.js';
import { createEmbeddedNode } from '../../src/node/embedded.js';
import { queueReducer } from '../../src/core/queue/reducer.js';
import { NotFoundError } from '../../src/core/errors.js';
import { recordingLogger } from '../helpers/log.js';
import { waitForEnd } from '../helpers/wait.js';

test('a start with a request_id appends exactly what one without does; a repeat appends nothing', async (t) => {
  const journal = new MemoryJournal();
  const appends: Array<{ keys: string[] }> = [];
  const append = journal.append.bind(journal);
  journal.append = (p, e, records) => {
    appends.push({ keys: records.map((r) => r.instanceKey) });
    return append(p, e, records);
  };
  const transport = new MemoryTransport({ schemas: WIRE_SCHEMAS, partitions: 1, requestTimeoutMs: 5_000 });
  const config = defaultNodeConfig({ partitions: 1, logLevel: 'warn', tagPermits: false });
  const { engine, partitions, executor } = await assembleEngine({ journal, kv: new MemoryKv(), transport, config, log: recordingLogger(), runExecutor: true });
  t.teardown(async () => {
    await partitions.releaseAll();
    await executor?.close();
    await transport.close();
  });
  await partitions.acquire(0, 'next');
  // SEQUENTIAL and the first run parked on a long Sleep: later starts queue, and nothing else writes.
  await engine.createWorkflow(
    JSON.stringify({ properties: { owner: 't', run_strategy: 'SEQUENTIAL' }, workflow: { id: 'wf', steps: [{ step: { id: 's', type: 'Sleep', params: { sleep_seconds: { value: 600, type: 'LONG' } } } }] } }),
  );
  await engine.startWorkflow({ workflowId: 'wf' });
  await engine.startWorkflow({ workflowId: 'wf' }); // warm: the queue path as measured below

  const measure = async (requestId?: string) => {
    const before = appends.length;
    const view = await engine.startWorkflow(requestId === undefined ? { workflowId: 'wf' } : { workflowId: 'wf', requestId });
    return { view, appends: appends.slice(before).map((a) => a.keys.map((k) => (k.startsWith('~') ? k : 'instance')).join('+')) };
  };
  const plain = await measure();
  const withId = await measure('req-1');
  t.is(plain.view.status, 'CREATED');
  t.is(withId.view.status, 'CREATED');
  t.deepEqual(withId.appends, plain.appends, 'the same appends with and without a request_id');
  t.deepEqual(plain.appends, ['~queue/wf', 'instance'], 'one queue append (the enqueue, carrying the request id) and one for the instance');
  const repeat = await measure('req-1');
  t.is(repeat.view.instanceId, withId.view.instanceId);
  t.deepEqual(repeat.appends, [], 'a repeated request_id appends nothing');
});

test('the queue reducer drops forgotten request ids', (t) => {
  const s = queueReducer.initial('~queue/wf');
  const strategy = { rule: 'PARALLEL' as const, workflowConcurrency: 10 };
  queueReducer.apply(s, { t: 'enqueue', atMs: 1, strategy, id: 1, start: { version: 1, params: {}, requestId: 'a' } });
  queueReducer.apply(s, { t: 'enqueue', atMs: 2, strategy, id: 2, start: { version: 1, params: {}, requestId: 'b' } });
  t.deepEqual(s.requests, { a: 1, b: 2 });
  queueReducer.apply(s, { t: 'forgetRequests', atMs: 3, requestIds: ['a'] });
  t.deepEqual(s.requests, { b: 2 });
});

test('a request_id is remembered as long as its instance: once retention forgets it, the same id starts a new instance', async (t) => {
  const node = await createEmbeddedNode({ partitions: 1, checkpointEveryRecords: 4, retainFinishedPerPartition: 2, logLevel: 'warn' });
  t.teardown(() => node.close());
  await node.api.createWorkflow(
    JSON.stringify({ properties: { owner: 't', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 100 } }, workflow: { id: 'wf', steps: [{ step: { id: 's', type: 'NoOp' } }] } }),
  );
  const first = await node.api.startWorkflow({ workflowId: 'wf', requestId: 'once' });
  await waitForEnd(node.api, 'wf', first.instanceId);
  t.is((await node.api.startWorkflow({ workflowId: 'wf', requestId: 'once' })).instanceId, first.instanceId, 'remembered while the instance is kept');

  // Newer finished instances push the first one out of retention (2 kept per partition); each
  // round then asks again: NOT_FOUND while the queue owner still names the forgotten instance,
  // then a new instance once the forget reached it.
  let again: number | undefined;
  let expiredSeen = 0;
  for (let i = 0; i < 100 && again === undefined; i++) {
    const other = await node.api.startWorkflow({ workflowId: 'wf' });
    await waitForEnd(node.api, 'wf', other.instanceId);
    try {
      const v = await node.api.startWorkflow({ workflowId: 'wf', requestId: 'once' });
      if (v.instanceId !== first.instanceId) again = v.instanceId;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      expiredSeen++;
    }
  }
  if (again === undefined) return t.fail('the request id was never forgotten');
  t.true(again > first.instanceId, `a new instance ${again} (NOT_FOUND answers meanwhile: ${expiredSeen})`);
  await t.throwsAsync(node.api.getInstance('wf', first.instanceId), { instanceOf: NotFoundError });
  t.is((await node.api.getInstance('wf', again)).requestId, 'once');
  t.is((await node.api.startWorkflow({ workflowId: 'wf', requestId: 'once' })).instanceId, again, 'and the new instance is remembered in turn');
});
