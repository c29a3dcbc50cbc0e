/** TriggerService over gRPC against the real embedded node with a fake clock; `maestro triggers` rendering. */
import test from 'ava';
import { status } from '@grpc/grpc-js';
import { ControlError } from '../../src/control/errors.js';
import { renderTriggers } from '../../src/cli/trigger-commands.js';
import { startHarness, type Harness } from './harness.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 30);
const clock = { ms: T0 };
let h: Harness;
test.before(async () => {
  h = await startHarness({ now: () => clock.ms });
});
test.after.always(async () => {
  await h?.close();
});

test('GetTriggers shows time triggers (jitter, watermark, next fires) and signal triggers; SyncTimeTriggers starts what is due', async (t) => {
  await h.client.createWorkflow(
    JSON.stringify({
      properties: { owner: 't', run_strategy: 'parallel' },
      workflow: {
        id: 'g-trig',
        time_triggers: [
          { type: 'CRON', cron: '*/2 * * * *', timezone: 'US/Pacific', fuzzy_max_delay: '30s' },
          { type: 'PREDEFINED', expression: '@daily' },
        ],
        signal_triggers: [{ definitions: { signal_a: { match_params: { foo: { value: 'bat', operator: '=' } } } } }],
        steps: [{ step: { id: 'job', type: 'NoOp' } }],
      },
    }),
  );
  const v = await h.client.getTriggers('g-trig', 2);
  t.true(v.time.subscribed);
  t.is(v.time.subscribedAtMs, T0);
  const [cron, daily] = v.time.triggers;
  t.is(cron!.text, 'CronTimeTrigger(cron=*/2 * * * *, timezone=US/Pacific, fuzzyMaxDelay="30s")');
  t.is(cron!.timezone, 'US/Pacific');
  t.true(cron!.jitterMs >= 0 && cron!.jitterMs < 30_000);
  t.deepEqual(cron!.nextFiresMs, [T0 + 90_000 + cron!.jitterMs, T0 + 210_000 + cron!.jitterMs]);
  t.is(cron!.watermarkMs, T0);
  t.deepEqual(JSON.parse(daily!.definitionJson), { type: 'PREDEFINED', expression: '@daily' });
  t.is(daily!.timezone, 'UTC');
  t.deepEqual(daily!.nextFiresMs, [Date.UTC(2026, 0, 2), Date.UTC(2026, 0, 3)]);
  t.is(v.signal.length, 1);
  t.like(JSON.parse(v.signal[0]!.definitionJson), { definitions: { signal_a: { match_params: { foo: { value: 'bat', operator: '=' } } } } });
  t.deepEqual(v.signal[0]!.checkpoints, { signal_a: 0 }, 'subscribed at activation: consumed up to the latest seq then (none)');

  clock.ms = T0 + 4 * 60_000; // 00:04:30 -> */2 fires at 00:02 and 00:04 (+ jitter < 30 s)
  t.deepEqual(await h.client.syncTimeTriggers('g-trig'), { subscribed: true, fired: 2 });
  const after = await h.client.getTriggers('g-trig', 1);
  t.is(after.time.triggers[0]!.watermarkMs, T0 + 210_000 + cron!.jitterMs);
  t.is((await h.client.listInstances({ workflowId: 'g-trig' })).instances.length, 2);

  const lines = renderTriggers(after).join('\n');
  t.regex(lines, /time triggers: subscribed since 2026-01-01T00:00:30.000Z/);
  t.regex(lines, /#\s+DEFINITION\s+TIMEZONE\s+JITTER\s+WATERMARK\s+NEXT FIRES/);
  t.regex(lines, /US\/Pacific/);
  t.regex(lines, /signal triggers:/);
});

test('bad input is INVALID_ARGUMENT naming the field; an unknown workflow is NOT_FOUND', async (t) => {
  const noId = await t.throwsAsync(h.client.getTriggers(''), { instanceOf: ControlError });
  t.is(noId?.code, status.INVALID_ARGUMENT);
  t.regex(noId?.message ?? '', /workflow_id/);
  const many = await t.throwsAsync(h.client.getTriggers('g-trig', 101), { instanceOf: ControlError });
  t.is(many?.code, status.INVALID_ARGUMENT);
  t.regex(many?.message ?? '', /upcoming/);
  const gone = await t.throwsAsync(h.client.getTriggers('no-such-wf'), { instanceOf: ControlError });
  t.is(gone?.code, status.NOT_FOUND);
});
