/**
 * Dormant instances (src/workflow/dormant.ts): a finished, quiescent instance is held as one
 * encoded buffer instead of a live actor, and woken by the first message to it. Each test
 * checks that what callers see is the same as with the awake actor: get, list, watch, restart,
 * actions, recovery, retention (and its request ids).
 *
 * The node's clock is skewed forward to pass a watcher's lease (waitForEnd watches, and a
 * watched instance stays awake); hosts are put to sleep by calling `sleepQuiescent` (what every
 * sweep does, and what a host does right after instances finish), so nothing waits on the
 * sweep's period.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedNode, type EmbeddedNode, type EmbeddedNodeOptions } from '../../src/node/embedded.js';
import { NotFoundError, PreconditionError } from '../../src/core/errors.js';
import { DormantInstances } from '../../src/workflow/dormant.js';
import { WATCH_LEASE_MS } from '../../src/workflow/messages.js';
import type { PartitionHost } from '../../src/workflow/partition-host.js';
import type { InstanceChange, InstanceView } from '../../src/core/instance/view.js';
import type { InstanceState } from '../../src/core/instance/index.js';
import { testRuntimes } from '../fixtures/test-runtimes.js';
import { waitFor, waitForEnd } from '../helpers/wait.js';

const PARALLEL = { owner: 'tester', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 100 } };

/** s1 -> s2 (NoOp), s2 with a param; `steps` more NoOps in the chain (a long history). */
function chainWf(id: string, steps = 2): string {
  const list = Array.from({ length: steps }, (_, i) => ({
    step: { id: `s${i + 1}`, type: 'NoOp', params: i === 1 ? { x: { value: 7, type: 'LONG' } } : {}, ...(i + 1 < steps ? { transition: { successors: { [`s${i + 2}`]: 'true' } } } : {}) },
  }));
  return JSON.stringify({ properties: PARALLEL, workflow: { id, steps: list } });
}

interface Rig {
  node: EmbeddedNode;
  /** Moves the engine clock forward. */
  advance(ms: number): void;
  hosts(): PartitionHost[];
  /** Every host puts its quiescent finished instances to sleep; how many went. */
  sleepAll(): number;
  isDormant(workflowId: string, instanceId: number): boolean;
  dormantCount(): number;
}

async function rig(t: { teardown(fn: () => unknown): void }, opts: EmbeddedNodeOptions = {}): Promise<Rig> {
  let skew = 0;
  // no background sweep unless a test asks (it would race the explicit sleepQuiescent calls)
  const node = await createEmbeddedNode({ logLevel: 'warn', partitions: 2, attemptLivenessMs: 600_000, extraRuntimes: testRuntimes().runtimes, ...opts, now: () => Date.now() + skew });
  t.teardown(() => node.close());
  return rigOf(node, (ms) => (skew += ms));
}

function rigOf(node: EmbeddedNode, advance: (ms: number) => void): Rig {
  const hosts = () => [...node.partitions.owned().keys()].map((p) => node.partitions.host(p)!);
  return {
    node,
    advance,
    hosts,
    sleepAll: () => hosts().reduce((n, h) => n + h.sleepQuiescent(), 0),
    isDormant: (wf, id) => hosts().some((h) => h.isDormant(`${wf}/${id}`)),
    dormantCount: () => hosts().reduce((n, h) => n + h.dormantCount, 0),
  };
}

/** Ends a watch lease and puts everything quiescent to sleep. */
function passLeaseAndSleep(r: Rig): number {
  r.advance(WATCH_LEASE_MS + 1);
  return r.sleepAll();
}

test('DormantInstances: a state round-trips exactly (undefined fields, nested maps); the summary and request id are kept beside it', (t) => {
  const d = new DormantInstances();
  const state = {
    workflowId: 'wf',
    instanceId: 3,
    version: 2,
    runId: 1,
    uuid: 'u',
    status: 'SUCCEEDED',
    runPolicy: 'START_FRESH_NEW_RUN',
    initiator: 'MANUAL',
    requestId: 'req-1',
    runParams: { a: 1, big: 1796580767507, neg: -2.5, list: [1, 'x', null] },
    params: { p: { type: 'STRING', value: 'v', mode: 'MUTABLE', source: 'DEFINED' } },
    steps: { s: { stepId: 's', status: 'SUCCEEDED', attempts: [], retries: { user: 0, platform: 0, timeout: 0 }, params: {}, endedAtMs: undefined } },
    timers: {},
    createdAtMs: 1,
    endedAtMs: 2,
    runs: [],
    seq: 5,
  } as unknown as InstanceState;
  d.put('wf/3', state);
  // a second state of another shape (shared record structures grow) must not disturb the first
  d.put('wf/4', { ...state, instanceId: 4, extra: { deep: { deeper: [{ k: 1 }] } } } as unknown as InstanceState);
  t.deepEqual(d.state('wf/3'), state);
  t.not(d.state('wf/3'), d.state('wf/3'), 'a fresh copy each time');
  t.deepEqual(d.get('wf/3')!.summary, { workflowId: 'wf', instanceId: 3, runId: 1, version: 2, status: 'SUCCEEDED', createdAtMs: 1, endedAtMs: 2 });
  t.deepEqual(d.get('wf/3')!.request, { workflowId: 'wf', instanceId: 3, requestId: 'req-1' });
  t.is(d.get('wf/3')!.seq, 5);
  t.is(d.size, 2);
  t.true(d.delete('wf/3'));
  t.is(d.state('wf/3'), undefined);
});

test('a finished instance goes dormant once quiescent (not while watched); get wakes it with the same view, and it sleeps again', async (t) => {
  const r = await rig(t);
  await r.node.api.createWorkflow(chainWf('d-get'));
  const run = await r.node.api.startWorkflow({ workflowId: 'd-get' });
  const ended = await waitForEnd(r.node.api, 'd-get', run.instanceId);
  t.is(ended.status, 'SUCCEEDED');
  const before = await r.node.api.getInstance('d-get', run.instanceId);

  r.sleepAll();
  t.false(r.isDormant('d-get', run.instanceId), 'the watch of waitForEnd holds a lease: the instance stays awake');
  t.true(passLeaseAndSleep(r) >= 1);
  t.true(r.isDormant('d-get', run.instanceId));
  const resident = r.hosts().reduce((n, h) => n + h.residentCount, 0);
  const held = r.hosts().reduce((n, h) => n + h.size, 0);
  t.is(held - resident, r.dormantCount(), 'size counts dormant instances too');

  t.deepEqual(await r.node.api.getInstance('d-get', run.instanceId), before, 'a dormant instance reads as it did awake');
  t.false(r.isDormant('d-get', run.instanceId), 'woken by the read');
  t.is(r.sleepAll(), 1, 'a read holds no lease: asleep again at the next sweep');
  t.true(r.isDormant('d-get', run.instanceId));
});

test('the sweep puts finished instances to sleep by itself', async (t) => {
  const r = await rig(t, { attemptLivenessMs: 300 }); // sweeps every 50 ms
  await r.node.api.createWorkflow(chainWf('d-sweep'));
  const run = await r.node.api.startWorkflow({ workflowId: 'd-sweep' });
  await waitForEnd(r.node.api, 'd-sweep', run.instanceId);
  r.advance(WATCH_LEASE_MS + 1);
  const until = Date.now() + 10_000;
  while (!r.isDormant('d-sweep', run.instanceId) && Date.now() < until) await new Promise((res) => setTimeout(res, 10));
  t.true(r.isDormant('d-sweep', run.instanceId), 'dormant within 10 s of sweeps');
});

test('list and count read dormant instances without waking them', async (t) => {
  const r = await rig(t);
  await r.node.api.createWorkflow(chainWf('d-list'));
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) {
    const run = await r.node.api.startWorkflow({ workflowId: 'd-list' });
    await waitForEnd(r.node.api, 'd-list', run.instanceId);
    ids.push(run.instanceId);
  }
  const awake = (await r.node.api.listInstances({ workflowId: 'd-list' })).instances;
  passLeaseAndSleep(r);
  for (const id of ids) t.true(r.isDormant('d-list', id));
  const asleep = (await r.node.api.listInstances({ workflowId: 'd-list' })).instances;
  const byId = (a: { instanceId: number }, b: { instanceId: number }) => a.instanceId - b.instanceId;
  t.deepEqual(asleep.sort(byId), awake.sort(byId));
  t.is(asleep.length, 5);
  t.deepEqual((await r.node.api.listInstances({ workflowId: 'd-list', status: 'SUCCEEDED' })).instances.length, 5);
  t.deepEqual((await r.node.api.listInstances({ workflowId: 'd-list', status: 'FAILED' })).instances.length, 0);
  t.is(r.node.partitions.count({ workflowId: 'd-list', terminal: true }), 5);
  t.is(r.node.partitions.count({ workflowId: 'd-list', terminal: false }), 0);
  t.is(r.node.partitions.count({ workflowId: 'other', terminal: true }), 0);
  for (const id of ids) t.true(r.isDormant('d-list', id), 'listing woke nothing');
});

test('a watch on a dormant instance sees its restart; the restarted run ends and sleeps again', async (t) => {
  const r = await rig(t);
  await r.node.api.createWorkflow(chainWf('d-watch'));
  const run = await r.node.api.startWorkflow({ workflowId: 'd-watch' });
  await waitForEnd(r.node.api, 'd-watch', run.instanceId);
  passLeaseAndSleep(r);
  t.true(r.isDormant('d-watch', run.instanceId));

  const changes: InstanceChange[] = [];
  let sawEnd!: () => void;
  const ended = new Promise<void>((res) => (sawEnd = res));
  const stop = await r.node.api.watchInstance('d-watch', run.instanceId, (c) => {
    changes.push(c);
    if (c.runId === 2 && c.stepId === undefined && c.status === 'SUCCEEDED') sawEnd();
  });
  t.teardown(stop);
  t.false(r.isDormant('d-watch', run.instanceId), 'the watch woke it');
  r.sleepAll();
  t.false(r.isDormant('d-watch', run.instanceId), 'and holds it awake while the lease runs');

  const restarted = await r.node.api.restart('d-watch', run.instanceId);
  t.is(restarted.runId, 2);
  await ended; // the watcher sees run 2 end (the test times out otherwise)
  t.true(changes.every((c) => c.runId === 2), 'only the new run changed');
  stop();
  passLeaseAndSleep(r);
  t.true(r.isDormant('d-watch', run.instanceId));
  const view = await r.node.api.getInstance('d-watch', run.instanceId);
  t.is(view.runId, 2);
  t.is(view.status, 'SUCCEEDED');
});

test('actions on a dormant instance answer as on an awake one: restart from a step runs; stop is refused naming the status', async (t) => {
  const r = await rig(t);
  await r.node.api.createWorkflow(chainWf('d-act'));
  const a = await r.node.api.startWorkflow({ workflowId: 'd-act' });
  const b = await r.node.api.startWorkflow({ workflowId: 'd-act' });
  await waitForEnd(r.node.api, 'd-act', a.instanceId);
  await waitForEnd(r.node.api, 'd-act', b.instanceId);
  passLeaseAndSleep(r);
  t.true(r.isDormant('d-act', a.instanceId));
  // the same refused action on an awake instance (b, woken by a read and held by a watch) and a dormant one (a)
  const unwatch = await r.node.api.watchInstance('d-act', b.instanceId, () => undefined);
  t.teardown(unwatch);
  const awakeErr = await t.throwsAsync(r.node.api.stop('d-act', b.instanceId), { instanceOf: PreconditionError });
  const dormantErr = await t.throwsAsync(r.node.api.stop('d-act', a.instanceId), { instanceOf: PreconditionError });
  t.is(dormantErr!.message.replace(`/${a.instanceId}`, '/N'), awakeErr!.message.replace(`/${b.instanceId}`, '/N'));
  t.regex(dormantErr!.message, /SUCCEEDED/);

  passLeaseAndSleep(r);
  t.true(r.isDormant('d-act', a.instanceId));
  const restarted = await r.node.api.restart('d-act', a.instanceId, 'RESTART_FROM_SPECIFIC', 's2');
  t.is(restarted.runId, 2);
  const end = await waitFor(r.node.api, 'd-act', a.instanceId, { status: 'terminal', runId: 2 });
  t.is(end.status, 'SUCCEEDED');
});

test('recovery after dormancy: the journal is unchanged by sleeping, dirty dormant instances are checkpointed (long histories snapshotted), all read the same after a restart', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'maestro-dormant-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const opts = { dataDir, partitions: 2, logLevel: 'warn' as const, attemptLivenessMs: 600_000, extraRuntimes: testRuntimes().runtimes, checkpointEveryRecords: 1_000_000 };
  let skew = 0;
  let node = await createEmbeddedNode({ ...opts, now: () => Date.now() + skew });
  let r = rigOf(node, (ms) => (skew += ms));
  await node.api.createWorkflow(chainWf('d-short'));
  await node.api.createWorkflow(chainWf('d-long', 40)); // > SHORT_HISTORY_RECORDS records: snapshotted
  const runs: Array<[string, number]> = [];
  for (const wf of ['d-short', 'd-long', 'd-short', 'd-long']) {
    const run = await node.api.startWorkflow({ workflowId: wf });
    await waitForEnd(node.api, wf, run.instanceId);
    runs.push([wf, run.instanceId]);
  }
  const views = new Map<string, InstanceView>();
  for (const [wf, id] of runs) views.set(`${wf}/${id}`, await node.api.getInstance(wf, id));
  passLeaseAndSleep(r);
  for (const [wf, id] of runs) t.true(r.isDormant(wf, id));
  for (const h of r.hosts()) await h.checkpoint(); // dirty and dormant: the long ones are decoded and snapshotted
  for (const [wf, id] of runs) t.true(r.isDormant(wf, id), 'a checkpoint wakes nothing');
  await node.close();

  node = await createEmbeddedNode({ ...opts, now: () => Date.now() + skew });
  r = rigOf(node, (ms) => (skew += ms));
  t.teardown(() => node.close());
  for (const [wf, id] of runs) t.true(r.isDormant(wf, id), 'recovered finished instances go dormant at once');
  for (const [wf, id] of runs) t.deepEqual(await node.api.getInstance(wf, id), views.get(`${wf}/${id}`), `${wf}/${id} reads the same`);
});

test('retention forgets dormant instances in finish order, and their request ids at the queue owner', async (t) => {
  const r = await rig(t, { partitions: 1, retainFinishedPerPartition: 2, checkpointEveryRecords: 1_000_000 });
  await r.node.api.createWorkflow(chainWf('d-ret'));
  const ids: number[] = [];
  for (let i = 0; i < 4; i++) {
    const run = await r.node.api.startWorkflow({ workflowId: 'd-ret', requestId: `req-${i}` });
    await waitForEnd(r.node.api, 'd-ret', run.instanceId);
    ids.push(run.instanceId);
  }
  passLeaseAndSleep(r);
  for (const id of ids) t.true(r.isDormant('d-ret', id));
  const host = r.hosts()[0]!;
  await host.checkpoint();
  t.is(r.dormantCount(), 2);
  await t.throwsAsync(r.node.api.getInstance('d-ret', ids[0]!), { instanceOf: NotFoundError });
  await t.throwsAsync(r.node.api.getInstance('d-ret', ids[1]!), { instanceOf: NotFoundError });
  t.is((await r.node.api.getInstance('d-ret', ids[2]!)).status, 'SUCCEEDED');
  t.is((await r.node.api.getInstance('d-ret', ids[3]!)).status, 'SUCCEEDED');
  // the queue owner drops the forgotten request ids (sent once the forget is durable)
  const requests = () => (host.serviceState('~queue/d-ret') as { requests: Record<string, number> }).requests;
  const until = Date.now() + 10_000;
  while ('req-0' in requests() && Date.now() < until) await new Promise((res) => setTimeout(res, 10));
  t.false('req-0' in requests());
  t.false('req-1' in requests());
  t.true('req-2' in requests() && 'req-3' in requests(), 'the kept instances keep theirs');
  const again = await r.node.api.startWorkflow({ workflowId: 'd-ret', requestId: 'req-0' });
  t.true(again.instanceId > ids[3]!, 'a forgotten request id starts a new instance');
});

test("a foreach's iterations go dormant; restarting a failed iteration's step wakes it and re-runs the loop from incomplete", async (t) => {
  const failed = new Set<string>();
  const failOnce = {
    type: 'FailOnce',
    run(task: { workflowId: string; instanceId: number; params: Record<string, unknown> }) {
      const key = `${task.workflowId}/${task.instanceId}`;
      if (task.params['bad'] !== true || failed.has(key)) return Promise.resolve({ status: 'SUCCEEDED' as const });
      failed.add(key);
      return Promise.resolve({ status: 'USER_FAILED' as const, error: 'first attempt fails' });
    },
  };
  const r = await rig(t, { extraRuntimes: [...testRuntimes().runtimes, failOnce] });
  const body = [{ step: { id: 'f', type: 'FailOnce', retry_policy: { error_retry_limit: 0 }, params: { bad: { expression: 'i == 7', type: 'BOOLEAN' } } } }];
  await r.node.api.createWorkflow(
    JSON.stringify({ properties: PARALLEL, workflow: { id: 'd-fe', steps: [{ foreach: { id: 'loop', concurrency: 5, params: { loop_params: { value: { i: { expression: 'Util.intsBetween(1, 21, 1)', type: 'LONG_ARRAY' } }, type: 'MAP' } }, steps: body } }] } }),
  );
  const run = await r.node.api.startWorkflow({ workflowId: 'd-fe' });
  const first = await waitForEnd(r.node.api, 'd-fe', run.instanceId);
  t.is(first.status, 'FAILED');
  const ov = first.steps.find((s) => s.stepId === 'loop')!.overview as { inlineWorkflowId: string };
  const inline = ov.inlineWorkflowId;
  passLeaseAndSleep(r);
  const launched = (await r.node.api.listInstances({ workflowId: inline })).instances.map((s) => s.instanceId);
  t.true(launched.length >= 7, 'iterations up to the failed one were launched (no more after it)');
  for (const id of launched) t.true(r.isDormant(inline, id), `iteration ${id} dormant`);
  t.true(r.isDormant('d-fe', run.instanceId), 'the root too');
  const failedIt = (await r.node.api.listInstances({ workflowId: inline, status: 'FAILED' })).instances;
  t.deepEqual(failedIt.map((s) => s.instanceId), [7], 'iteration 7 (i == 7) failed, listed from its summary');

  await r.node.api.stepAction(inline, 7, 'f', 'restart');
  const second = await waitFor(r.node.api, 'd-fe', run.instanceId, { status: 'terminal', runId: 2 });
  t.is(second.status, 'SUCCEEDED');
  t.is((await r.node.api.getInstance(inline, 7)).runId, 2, 'the failed iteration re-ran');
  t.is((await r.node.api.getInstance(inline, 1)).runId, 1, 'a SUCCEEDED one was kept');
});

test("a dormant instance's work still in flight (a parent notice being retried) goes on after it sleeps, and ends quietly once its host closes", async (t) => {
  const { MemoryTransport } = await import('../../src/transport/memory/memory-transport.js');
  const { MemoryJournal } = await import('../../src/journal/memory/memory-journal.js');
  const { MemoryKv } = await import('../../src/store/memory/memory-kv.js');
  const { DefinitionRegistry } = await import('../../src/workflow/definitions.js');
  const { PartitionHost } = await import('../../src/workflow/partition-host.js');
  const { createSelEngine } = await import('../../src/expr/index.js');
  const { parseWorkflowRequest } = await import('../../src/core/definition/index.js');
  const { WIRE_SCHEMAS } = await import('../../src/workflow/message-schemas.js');
  const { NoOpRuntime } = await import('../../src/executor/runtimes/noop.js');
  const { MaestroError } = await import('../../src/core/errors.js');
  const { recordingLogger } = await import('../helpers/log.js');

  const transport = new MemoryTransport({ schemas: WIRE_SCHEMAS, partitions: 1 });
  const definitions = new DefinitionRegistry(new MemoryKv(), Date.now);
  await definitions.create(parseWorkflowRequest(JSON.stringify({ properties: { owner: 't' }, workflow: { id: 'kid', steps: [{ step: { id: 's', type: 'NoOp' } }] } })));
  const log = recordingLogger();
  // the parent never answers (its owner is "moving"): the child retries its notice every 20 ms
  let notices = 0;
  let retryFired: Promise<unknown> = Promise.resolve();
  let noticeAfterSleep: () => void = () => undefined;
  const children = {
    launch: () => Promise.reject(new Error('not used')),
    notify: () => {
      notices++;
      noticeAfterSleep();
      return Promise.reject(new MaestroError('unavailable', 'parent moving', { retryable: true }));
    },
    stop: () => Promise.resolve(),
    retryDelayMs: () => {
      // resolves once a timer armed now with the actor's (shorter) delay has fired: equal or shorter timers go first
      retryFired = new Promise((res) => setTimeout(res, 21));
      return 20;
    },
  };
  const host = await PartitionHost.open(0, 1, {
    journal: new MemoryJournal(),
    transport,
    definitions,
    machine: { engine: createSelEngine(), hasRuntime: () => true },
    now: Date.now,
    checkpointEveryRecords: 1000,
    retainFinishedPerPartition: 100,
    attemptLivenessMs: 600_000, // no sweep during the test: sleepQuiescent is called here
    onStale: () => undefined,
    log,
    children,
    inlineRuntimes: new Map([['noop', new NoOpRuntime()]]),
  });
  t.teardown(() => host.close());
  const keepAlive = setInterval(() => undefined, 1_000); // the actor's retry timers are unref'd
  t.teardown(() => clearInterval(keepAlive));
  const parent = { workflowId: 'dad', instanceId: 1, runId: 1, stepId: 'sub', attempt: 1, sync: true };
  await host.deliver('kid/1', { type: 'Start', workflowId: 'kid', instanceId: 1, version: 1, params: {}, initiator: 'SUBWORKFLOW', parent });
  t.is(host.stateOf('kid/1')?.status, 'SUCCEEDED');
  host.sleepQuiescent(); // (the host may have done so already, right after the run ended)
  t.true(host.isDormant('kid/1'), 'quiescent although its notice is still being retried');

  await new Promise<void>((res) => (noticeAfterSleep = res));
  t.pass('the notice is still retried after the instance went dormant');
  const logged = log.records.length; // (the queue owner's end notice failed earlier: this rig has none)
  await host.close();
  const after = notices;
  // the retry already armed fires (20 ms) and finds its host closed: no notice, nothing logged
  await retryFired;
  t.is(notices, after, 'no notice once the host closed');
  t.deepEqual(log.records.slice(logged).filter((r) => r.level === 'error'), [], 'and nothing logged as a failure');
});
