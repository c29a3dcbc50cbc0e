/** TagPermitService over gRPC against the real embedded node: set/get/list/delete and error mapping. */
import test from 'ava';
import { status } from '@grpc/grpc-js';
import { ControlError } from '../../src/control/errors.js';
import { startHarness, type Harness } from './harness.js';
import { waitForStep } from '../helpers/wait.js';

let h: Harness;
test.before(async () => {
  h = await startHarness();
});
test.after.always(async () => {
  await h?.close();
});

test('set, get, list and delete a limit; a held tag shows its holders and waiters', async (t) => {
  t.deepEqual(await h.client.setTagPermit('grpc-team', 1), { tag: 'grpc-team', maxAllowed: 1, holders: 0, waiting: 0 });
  await h.client.createWorkflow(
    JSON.stringify({
      properties: { owner: 't', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 10 } },
      workflow: { id: 'gtp', steps: [{ step: { id: 'job', type: 'Hold', tags: ['grpc-team'] } }] },
    }),
  );
  const a = await h.client.startWorkflow({ workflowId: 'gtp' });
  const b = await h.client.startWorkflow({ workflowId: 'gtp' });
  const running = await waitForStep(h.client, 'gtp', a.instanceId, 'job', 'RUNNING');
  await waitForStep(h.client, 'gtp', b.instanceId, 'job', 'WAITING_FOR_PERMITS');
  t.deepEqual(await h.client.getTagPermit('grpc-team'), { tag: 'grpc-team', maxAllowed: 1, holders: 1, waiting: 1 });
  t.like((await h.client.listTagPermits()).find((p) => p.tag === 'maestro_gtp'), { holders: 1, waiting: 1 });
  t.false('maxAllowed' in (await h.client.getTagPermit('maestro_gtp')), 'a runtime tag with no API limit shows none');
  h.holds.release(running, 'job');
  await waitForStep(h.client, 'gtp', b.instanceId, 'job', 'RUNNING');
  t.like(await h.client.deleteTagPermit('grpc-team'), { tag: 'grpc-team', holders: 1 });
  t.false('maxAllowed' in (await h.client.getTagPermit('grpc-team')));
});

test('bad input is INVALID_ARGUMENT naming the field; deleting an unset limit is NOT_FOUND', async (t) => {
  const bad = await t.throwsAsync(h.client.setTagPermit('', 1), { instanceOf: ControlError });
  t.is(bad?.code, status.INVALID_ARGUMENT);
  t.regex(bad?.message ?? '', /tag/);
  const neg = await t.throwsAsync(h.client.setTagPermit('x', -2), { instanceOf: ControlError });
  t.is(neg?.code, status.INVALID_ARGUMENT);
  t.regex(neg?.message ?? '', /max_allowed/);
  const gone = await t.throwsAsync(h.client.deleteTagPermit('never-set'), { instanceOf: ControlError });
  t.is(gone?.code, status.NOT_FOUND);
});
