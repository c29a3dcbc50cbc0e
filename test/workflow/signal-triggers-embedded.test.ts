/**
 * Signal triggers end to end on the embedded node, with the real signal store: Maestro's
 * sample-signal-trigger-wf (maestro-semantics §12.1). signal_a and signal_b joined on
 * updated_by = posted_by start exactly one instance (initiator SIGNAL); an identical signal_a
 * announced again without a request id is a duplicate and starts nothing; a restart of the node
 * (data dir) keeps the checkpoints, so the consumed pair never fires again (the sample's
 * dedup_expr is a random UUID, so a second firing would start a second instance).
 */
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedNode, type EmbeddedNode } from '../../src/node/embedded.js';
import type { Engine } from '../../src/workflow/engine.js';
import type { SignalTriggersReply } from '../../src/workflow/signal-trigger-messages.js';
import { CONFORMANCE_DIR, conformanceMissing, testIf } from '../helpers/skip.js';
import { testRuntimes } from '../fixtures/test-runtimes.js';
import { waitForEnd } from '../helpers/wait.js';

const t_ = testIf(conformanceMissing('samples'), { serial: true });
const WF = 'sample-signal-trigger-wf';
const A = { foo: 'bat', watermark: 123456, updated_by: 'tester' };
const B = { bar: 'baz', watermark: 123456, posted_by: 'tester' };

const engine = (n: EmbeddedNode) => n.api as unknown as Engine;

/** Waits until the trigger actor consumed `fired + skipped` matched sets and the queue answered every start. */
async function consumed(n: EmbeddedNode, count: number, timeoutMs = 20_000): Promise<SignalTriggersReply> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await engine(n).signalTriggers(WF);
    if (r.fired + r.skipped >= count && r.pending === 0) return r;
    if (Date.now() > deadline) throw new Error(`trigger did not consume ${count} matched sets: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 5));
  }
}

t_('sample-signal-trigger-wf: one instance per matched pair, a duplicate signal starts nothing, a restart keeps the checkpoints', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'sigtrig-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const open = () => createEmbeddedNode({ dataDir, partitions: 3, logLevel: 'silent', extraRuntimes: testRuntimes().runtimes });
  let node = await open();
  try {
    await node.api.createWorkflow(await readFile(join(CONFORMANCE_DIR, 'samples', `${WF}.json`), 'utf8'));
    const subscribed = await engine(node).signalTriggers(WF);
    t.is(subscribed.triggers.length, 1);
    t.deepEqual(subscribed.triggers[0]!.signals, ['signal_a', 'signal_b']);

    const a = await node.api.sendSignal('signal_a', { params: A, payload: {} });
    t.false(a.duplicate);
    await node.api.sendSignal('signal_b', { params: B, payload: {} });
    const fired = await consumed(node, 1);
    t.is(fired.fired, 1);
    t.deepEqual(fired.triggers[0]!.checkpoints, { signal_a: 1, signal_b: 1 });
    t.is((await engine(node).queueInfo(WF)).latestInstanceId, 1);
    const view = await node.api.getInstance(WF, 1);
    t.is(view.initiator, 'SIGNAL');
    t.is(view.version, 1);
    t.like(view.trigger, { kind: 'SIGNAL', signalIds: { signal_a: 1, signal_b: 1 }, params: { foo: 'bar' }, signalParams: { signal_a: A, signal_b: B } });

    // job.1 waits on the two table signals; then its params read the trigger (§12.1)
    const tables = { vtts_utc_dateint: '20500101', vtts_utc_hour: '00' };
    await node.api.sendSignal('db/test/table1', { params: tables, payload: {} });
    await node.api.sendSignal('db/test/table2', { params: tables, payload: {} });
    const ended = await waitForEnd(node.api, WF, 1, 10_000);
    t.is(ended.status, 'SUCCEEDED');
    const job1 = ended.steps.find((s) => s.stepId === 'job.1')!.params;
    t.is(job1['param1'], 'bar', "getFromSignal('foo'): the trigger's param");
    t.is(job1['param2'], 123456, "getFromSignal('signal_a', 'watermark'): the matched signal's param");
    t.is(job1['param3'], '20500101', "getFromSignalDependency('0', 'vtts_utc_dateint')");

    // the same signal_a again without a request id: a duplicate, stored once, fires nothing
    const again = await node.api.sendSignal('signal_a', { params: A, payload: { note: 'payload is not part of the dedup key' } });
    t.true(again.duplicate);
    t.is(again.instance.seqId, 1);
  } finally {
    await node.close();
  }

  node = await open();
  try {
    const recovered = await engine(node).signalTriggers(WF);
    t.is(recovered.fired, 1);
    t.deepEqual(recovered.triggers[0]!.checkpoints, { signal_a: 1, signal_b: 1 });
    // a new signal_a alone finds no signal_b above the checkpoint: the pair was consumed
    await node.api.sendSignal('signal_a', { params: A, payload: {}, requestId: 'second-a' });
    // a new signal_b completes a second pair
    await node.api.sendSignal('signal_b', { params: B, payload: {}, requestId: 'second-b' });
    const second = await consumed(node, 2);
    t.is(second.fired, 2);
    t.deepEqual(second.triggers[0]!.checkpoints, { signal_a: 2, signal_b: 2 });
    t.is((await engine(node).queueInfo(WF)).latestInstanceId, 2, 'one instance per matched pair, none from the first pair again');
  } finally {
    await node.close();
  }
});
