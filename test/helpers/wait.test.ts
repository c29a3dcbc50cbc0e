import test from 'ava';
import { definition, startHarness, type Harness } from '../control/harness.js';
import { waitFor, waitForEnd, waitForStep } from './wait.js';

// The wait helper itself, over the engine and over gRPC: what it resolves with, and how it fails.

let h: Harness;
test.before(async () => {
  h = await startHarness();
  await h.client.createWorkflow(definition('w-hold', [{ id: 'hold', type: 'Hold' }, { id: 'next' }]));
  await h.client.createWorkflow(definition('w-quick', [{ id: 'a' }]));
});
test.after.always(async () => {
  await h?.close();
});

for (const via of ['engine', 'grpc'] as const) {
  const source = () => (via === 'engine' ? h.node.api : h.client);

  test(`${via}: a status reached before the wait began is found; one reached later is seen as it happens`, async (t) => {
    const { instanceId } = await h.client.startWorkflow({ workflowId: 'w-hold' });
    const running = await waitForStep(source(), 'w-hold', instanceId, 'hold', 'RUNNING');
    t.is(running.steps[0]?.status, 'RUNNING');
    const ended = waitForEnd(source(), 'w-hold', instanceId);
    const next = waitForStep(source(), 'w-hold', instanceId, 'next', 'SUCCEEDED');
    h.holds.release(running, 'hold');
    t.like(await next, { steps: [{ status: 'SUCCEEDED' }, { status: 'SUCCEEDED' }] });
    t.is((await ended).status, 'SUCCEEDED');
  });

  test(`${via}: a timeout names the target and the last statuses seen`, async (t) => {
    const { instanceId } = await h.client.startWorkflow({ workflowId: 'w-hold' });
    const err = await t.throwsAsync(waitForStep(source(), 'w-hold', instanceId, 'hold', 'SUCCEEDED', { timeoutMs: 300 }));
    t.regex(err?.message ?? '', new RegExp(`^timed out after 300 ms waiting for w-hold/${instanceId}: step hold to reach SUCCEEDED; last seen: workflow IN_PROGRESS \\(run 1\\), step hold RUNNING$`));
  });

  test(`${via}: an instance that ends without the target fails the wait at once`, async (t) => {
    const { instanceId } = await h.client.startWorkflow({ workflowId: 'w-quick' });
    const started = Date.now();
    const err = await t.throwsAsync(waitFor(source(), 'w-quick', instanceId, { status: 'FAILED' }, { timeoutMs: 10_000 }));
    t.regex(err?.message ?? '', /ended SUCCEEDED without the workflow to reach FAILED/);
    t.true(Date.now() - started < 5_000, 'it did not wait for the timeout');
  });

  test(`${via}: an unknown instance or step fails the wait`, async (t) => {
    await t.throwsAsync(waitForEnd(source(), 'w-quick', 9999), { message: /9999/ });
    const { instanceId } = await h.client.startWorkflow({ workflowId: 'w-quick' });
    await t.throwsAsync(waitForStep(source(), 'w-quick', instanceId, 'nope', 'RUNNING'), { message: /has no step nope/ });
  });
}
