/**
 * Recovery on a real embedded node over the file journal: replay folds recorded decisions (a
 * node without Shell shows the Shell run that succeeded as it was), format-1 journals are read,
 * and an instance whose journal cannot be folded is held read-only with the reason — logged,
 * counted, shown in get-instance — never dropped.
 */
import test from 'ava';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedNode, type EmbeddedNode } from '../../src/node/embedded.js';
import { FileJournal } from '../../src/journal/file/file-journal.js';
import { encodeRecordEvent } from '../../src/core/instance/index.js';
import { partitionOf } from '../../src/core/partition.js';
import { waitForEnd } from '../helpers/wait.js';
import { recordingLogger } from '../helpers/log.js';
import type { InstanceView } from '../../src/core/instance/view.js';

async function tempDir(t: import('ava').ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'maestro-replay-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function open(t: import('ava').ExecutionContext, dataDir: string, opts: Parameters<typeof createEmbeddedNode>[0] = {}): Promise<EmbeddedNode> {
  const node = await createEmbeddedNode({ dataDir, partitions: 4, ...opts });
  t.teardown(() => node.close());
  return node;
}

/** The latest `...AtMs` time anywhere in `x`. */
function latestTime(x: unknown): number {
  if (Array.isArray(x)) return Math.max(0, ...x.map(latestTime));
  if (typeof x !== 'object' || x === null) return 0;
  return Math.max(0, ...Object.entries(x).map(([k, v]) => (k.endsWith('AtMs') && typeof v === 'number' ? v : latestTime(v))));
}

const shellFlow = JSON.stringify({
  properties: { owner: 'replay-test' },
  workflow: {
    id: 'shelly',
    steps: [
      { step: { id: 'say', type: 'Shell', params: { command: { value: 'echo hi', type: 'STRING' } }, transition: { successors: { after: 'true' } } } },
      { step: { id: 'after', type: 'NoOp' } },
    ],
  },
});

test('a Shell run that succeeded on a node with --shell shows the same after a restart without it', async (t) => {
  const dataDir = await tempDir(t);
  const first = await open(t, dataDir, { shellEnabled: true });
  await first.api.createWorkflow(shellFlow);
  const { instanceId } = await first.api.startWorkflow({ workflowId: 'shelly' });
  const done = await waitForEnd(first.api, 'shelly', instanceId);
  t.is(done.status, 'SUCCEEDED', JSON.stringify(done.steps.map((s) => [s.stepId, s.status, s.attempts[0]?.error])));
  await first.close();

  const second = await open(t, dataDir, { shellEnabled: false });
  t.deepEqual(await second.api.getInstance('shelly', instanceId), done);
});

test('a format-1 journal (the committed fixture) is read: every instance as that engine showed it, and it goes on', async (t) => {
  const dataDir = await tempDir(t);
  await cp('test/fixtures/journal-v1/data', dataDir, { recursive: true });
  const expected = JSON.parse(await readFile('test/fixtures/journal-v1/expected.json', 'utf8')) as InstanceView[];
  // The engine's clock stays at the fixture's time, so its running Sleep (1 h) and step timeout
  // (2 h) are still pending whenever this runs.
  const fixtureNow = latestTime(expected) + 1_000;
  const now = () => fixtureNow;
  const node = await open(t, dataDir, { now });
  const asJson = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown; // the fixture was written as JSON
  // Views gained fields after the fixture was written, all derived: aggregatedInfo (from the
  // steps), the rollup, initiator, depth and correlation id of a root instance, the journal
  // position (seq), the declared param types (paramTypes, from the definition) and the raw status
  // and run list (from the status and runs). The fixture's views are compared without them, and
  // they are checked against what they derive from.
  for (const v of expected) {
    const { aggregatedInfo, rollup, initiator, depth, correlationId, seq, paramTypes, rawStatus, runs, ...view } = await node.api.getInstance(v.workflowId, v.instanceId);
    t.is(rawStatus, v.status, 'no unblock in the fixture: raw as shown');
    t.deepEqual(runs?.at(-1), { runId: v.runId, status: v.status, rawStatus: v.status, ...(v.startedAtMs === undefined ? {} : { startedAtMs: v.startedAtMs }), ...(v.endedAtMs === undefined ? {} : { endedAtMs: v.endedAtMs }) });
    t.true(seq === undefined || seq > 0);
    t.true(paramTypes === undefined || typeof paramTypes === 'object');
    const got = { ...view, steps: view.steps.map(({ paramTypes: types, ...step }) => (t.true(types === undefined || typeof types === 'object'), step)) };
    const key = `${v.workflowId}/${v.instanceId}`;
    t.deepEqual(asJson(got), v, key);
    t.deepEqual(aggregatedInfo?.steps.map((s) => [s.stepId, s.status]), v.steps.map((s) => [s.stepId, s.status]), `${key} aggregated`);
    t.is(rollup.total, v.steps.length, `${key}: one leaf per step`);
    t.deepEqual([initiator, depth, correlationId], ['MANUAL', 0, `${v.workflowId}:${v.instanceId}:1`], key);
  }
  const running = expected.find((v) => v.workflowId === 'fixture-sleep' && v.status === 'IN_PROGRESS')!;
  t.is((await node.api.stop('fixture-sleep', running.instanceId)).status, 'STOPPED', 'a format-1 instance takes new events');
  const chain = expected.find((v) => v.workflowId === 'fixture-chain')!;
  const restarted = await node.api.restart('fixture-chain', chain.instanceId, 'RESTART_FROM_BEGINNING');
  await waitForEnd(node.api, 'fixture-chain', chain.instanceId);
  const after = await node.api.getInstance('fixture-chain', chain.instanceId);
  t.is(after.runId, restarted.runId);
  await node.close();

  const again = await open(t, dataDir, { now }); // format-1 records followed by format-2 ones
  t.is((await again.api.getInstance('fixture-sleep', running.instanceId)).status, 'STOPPED');
  t.deepEqual(await again.api.getInstance('fixture-chain', chain.instanceId), after);
});

test('an instance whose journal cannot be folded is held read-only with the reason, logged and counted; the rest recover', async (t) => {
  const dataDir = await tempDir(t);
  const first = await open(t, dataDir);
  await first.api.createWorkflow(JSON.stringify({ properties: { owner: 't' }, workflow: { id: 'w', steps: [{ step: { id: 'a', type: 'NoOp' } }] } }));
  const bad = (await first.api.startWorkflow({ workflowId: 'w' })).instanceId;
  const good = (await first.api.startWorkflow({ workflowId: 'w' })).instanceId;
  const badView = await waitForEnd(first.api, 'w', bad);
  await waitForEnd(first.api, 'w', good);
  await first.close();

  // A record this engine would not have written: a restart whose decisions do not match.
  const key = `w/${bad}`;
  const p = partitionOf(key, 4);
  const journal = await FileJournal.open(join(dataDir, 'journal'));
  const image = await journal.load(p);
  const seq = image.instances.get(key)!.records.length + 1;
  await journal.claim(p, image.epoch + 1);
  await journal.append(p, image.epoch + 1, [{ instanceKey: key, seq, event: encodeRecordEvent({ t: 'restart', atMs: Date.now(), policy: 'RESTART_FROM_BEGINNING' }, [['retry', [0, 0]]]) }]);
  await journal.close();

  const log = recordingLogger();
  const node = await open(t, dataDir, { log });
  const v = await node.api.getInstance('w', bad);
  t.regex(v.replayError ?? '', new RegExp(`replay of w/${bad} stopped at seq ${seq}: ReplayDivergenceError: expected a '\\w+' decision at position 0, the journal has 'retry'`));
  t.is(v.status, badView.status, 'the state as of the last record that folded');
  await t.throwsAsync(node.api.restart('w', bad, 'RESTART_FROM_INCOMPLETE'), { message: /held read-only: replay of/ });
  t.is(node.partitions.host(p)!.replayFailures, 1);
  t.true(log.records.some((r) => r.level === 'error' && /instance held read-only/.test(r.message) && r.fields['instance'] === key), 'logged as an error');
  t.is((await node.api.getInstance('w', good)).status, 'SUCCEEDED');
  t.is((await node.api.getInstance('w', good)).replayError, undefined);
});
