/**
 * Step actions and breakpoints end to end on the embedded node: through the EngineApi, the
 * transport, the actor and the real executor (Hold steps are cancelled for real).
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedNode } from '../../src/node/embedded.js';
import { testRuntimes } from '../fixtures/test-runtimes.js';
import { waitFor, waitForEnd, waitForStep } from '../helpers/wait.js';
import { NotFoundError, PreconditionError, ValidationError, AlreadyExistsError } from '../../src/core/errors.js';

const def = (id: string, steps: unknown[]) => JSON.stringify({ properties: { owner: 'tester', run_strategy: 'parallel' }, workflow: { id, steps } });
const hold = (id: string, next: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({ step: { id, type: 'Hold', transition: { successors: next }, ...extra } });

async function node(dataDir?: string) {
  const { holds, runtimes } = testRuntimes();
  const n = await createEmbeddedNode({ extraRuntimes: runtimes, partitions: 2, logLevel: 'silent', ...(dataDir ? { dataDir } : {}) });
  return { n, api: n.api, holds };
}

test('stop of one step cancels its attempt on the executor; the other branch finishes; the run ends STOPPED', async (t) => {
  const { n, api, holds } = await node();
  t.teardown(() => n.close());
  await api.createWorkflow(def('two', [hold('a'), hold('b')]));
  const run = await api.startWorkflow({ workflowId: 'two' });
  await waitForStep(api, 'two', run.instanceId, 'b', 'RUNNING');
  const after = await api.stepAction('two', run.instanceId, 'b', 'stop');
  t.is(after.steps.find((s) => s.stepId === 'b')!.status, 'STOPPED');
  t.is(after.status, 'IN_PROGRESS');
  const err = await t.throwsAsync(api.stepAction('two', run.instanceId, 'b', 'kill'));
  t.true(err instanceof PreconditionError);
  t.regex(err!.message, /it is STOPPED; allowed there: RESTART, SKIP/);
  const a = await waitForStep(api, 'two', run.instanceId, 'a', 'RUNNING');
  holds.release(a, 'a');
  const end = await waitForEnd(api, 'two', run.instanceId);
  t.is(end.status, 'STOPPED');
  t.deepEqual(holds.held(), [], 'the stopped attempt was cancelled on the executor');
});

test('restart from a step after the end: run 2 from that step, aggregated view over both runs', async (t) => {
  const { n, api, holds } = await node();
  t.teardown(() => n.close());
  await api.createWorkflow(def('chain', [hold('a', { b: 'true' }), hold('b'), hold('x')]));
  const run = await api.startWorkflow({ workflowId: 'chain' });
  let v = await waitForStep(api, 'chain', run.instanceId, 'a', 'RUNNING');
  holds.release(v, 'a');
  holds.release(v, 'x');
  v = await waitForStep(api, 'chain', run.instanceId, 'b', 'RUNNING');
  holds.release(v, 'b', { status: 'FATALLY_FAILED', error: 'boom' });
  const end1 = await waitForEnd(api, 'chain', run.instanceId);
  t.is(end1.status, 'FAILED');
  await t.throwsAsync(api.restart('chain', run.instanceId, 'RESTART_FROM_BEGINNING', 'b'), { instanceOf: ValidationError, message: /restart_policy/ });
  const r2 = await api.restart('chain', run.instanceId, undefined, 'b');
  t.is(r2.runId, 2);
  t.is(r2.runPolicy, 'RESTART_FROM_SPECIFIC');
  // the restart answers before b's tag permits are granted (WAITING_FOR_PERMITS until then)
  const running2 = await waitForStep(api, 'chain', run.instanceId, 'b', 'RUNNING', { runId: 2 });
  t.deepEqual(running2.aggregatedInfo!.steps.map((s) => [s.stepId, s.runId, s.status]), [
    ['a', 1, 'SUCCEEDED'],
    ['b', 2, 'RUNNING'],
    ['x', 1, 'SUCCEEDED'],
  ]);
  holds.release(r2, 'b');
  const end2 = await waitFor(api, 'chain', run.instanceId, { status: 'terminal', runId: 2 });
  t.is(end2.status, 'SUCCEEDED');
  t.is(end2.aggregatedInfo!.workflowInstanceStatus, 'SUCCEEDED');
});

test('skip of a terminal step after the end: a new run where it is SKIPPED and its successor runs', async (t) => {
  const { n, api, holds } = await node();
  t.teardown(() => n.close());
  await api.createWorkflow(def('sk', [hold('a', { b: 'true' }), hold('b')]));
  const run = await api.startWorkflow({ workflowId: 'sk' });
  const v = await waitForStep(api, 'sk', run.instanceId, 'a', 'RUNNING');
  holds.release(v, 'a', { status: 'FATALLY_FAILED', error: 'x' });
  await waitForEnd(api, 'sk', run.instanceId);
  const r2 = await api.stepAction('sk', run.instanceId, 'a', 'skip');
  t.is(r2.runId, 2);
  t.is(r2.steps.find((s) => s.stepId === 'a')!.status, 'SKIPPED');
  const b = await waitForStep(api, 'sk', run.instanceId, 'b', 'RUNNING', { runId: 2 });
  holds.release(b, 'b');
  t.is((await waitFor(api, 'sk', run.instanceId, { status: 'terminal', runId: 2 })).status, 'SUCCEEDED');
});

test('breakpoints: create (once), pause, list paused, resume one, delete with resume, a retry pauses again; stored across a restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'maestro-bp-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let { n, api, holds } = await node(dir);
  await api.createWorkflow(def('bp', [hold('a', {}, { retry_policy: { error_retry_limit: 1, backoff: { type: 'FIXED_BACKOFF', error_retry_backoff_in_secs: 1 } } })]));
  const bp = await api.createBreakpoint('bp', 'a');
  t.is(bp.stepId, 'a');
  await t.throwsAsync(api.createBreakpoint('bp', 'a'), { instanceOf: AlreadyExistsError });
  t.deepEqual((await api.listBreakpoints('bp')).map((b) => b.stepId), ['a']);
  await n.close();
  ({ n, api, holds } = await node(dir)); // the breakpoint is in the KV, not only in memory
  t.teardown(() => n.close());
  t.deepEqual((await api.listBreakpoints()).map((b) => `${b.workflowId}/${b.stepId}`), ['bp/a']);

  const i1 = await api.startWorkflow({ workflowId: 'bp' });
  const i2 = await api.startWorkflow({ workflowId: 'bp' });
  t.is(i1.steps[0]!.status, 'PAUSED');
  t.is(i2.steps[0]!.status, 'PAUSED');
  t.deepEqual((await api.listPausedAttempts('bp', 'a')).map((p) => [p.instanceId, p.attempt]), [
    [i1.instanceId, 1],
    [i2.instanceId, 1],
  ]);
  await t.throwsAsync(api.stepAction('bp', i1.instanceId, 'a', 'resume', { attempt: 3 }), { instanceOf: PreconditionError, message: /paused attempt is 1/ });
  const r1 = await api.stepAction('bp', i1.instanceId, 'a', 'resume', { attempt: 1 });
  t.true(['WAITING_FOR_PERMITS', 'RUNNING'].includes(r1.steps[0]!.status));
  const running = await waitForStep(api, 'bp', i1.instanceId, 'a', 'RUNNING');
  holds.release(running, 'a', { status: 'USER_FAILED', error: 'again' });
  const retried = await waitForStep(api, 'bp', i1.instanceId, 'a', 'PAUSED', { timeoutMs: 10_000 });
  t.is(retried.steps[0]!.attempts.length, 2, 'the retry paused again');
  t.deepEqual((await api.listPausedAttempts('bp', 'a')).map((p) => [p.instanceId, p.attempt]), [
    [i1.instanceId, 2],
    [i2.instanceId, 1],
  ]);
  t.is(await api.deleteBreakpoint('bp', 'a', true), 2);
  t.deepEqual(await api.listPausedAttempts('bp', 'a'), []);
  await t.throwsAsync(api.deleteBreakpoint('bp', 'a', false), { instanceOf: NotFoundError });
  const i3 = await api.startWorkflow({ workflowId: 'bp' });
  t.not(i3.steps[0]!.status, 'PAUSED', 'no breakpoint, no pause');
});
