/**
 * Time triggers, pure part (core/triggers): Java compatibility (golden values printed by a JDK
 * 21 `UUID.nameUUIDFromBytes` / `java.util.Random`), Maestro's fire-time cases (§12.2: its
 * TriggerHelperTest and TimeTriggerExecutionPlannerTest), jitter, ids, and the `~cron` reducer.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseWorkflowInput } from '../../src/core/definition/parse.js';
import type { TimeTrigger } from '../../src/core/definition/model.js';
import {
  JavaRandom,
  advanceWatermarks,
  cronReducer,
  earliestFire,
  javaNameUuid,
  jitterMs,
  md5,
  nextFireAfter,
  planFires,
  scheduleOf,
  timeFireRequestId,
  timeTriggerSetUuid,
  timeTriggerText,
  upcomingFires,
  type CronEvent,
  type CronState,
} from '../../src/core/triggers/index.js';

const at = (iso: string) => Date.parse(iso);
const cron = (c: string, timezone?: string, fuzzyMaxDelay?: string | number): TimeTrigger => {
  const t: TimeTrigger = { type: 'CRON', cron: c };
  if (timezone !== undefined) t.timezone = timezone;
  if (fuzzyMaxDelay !== undefined) t.fuzzyMaxDelay = fuzzyMaxDelay;
  return t;
};
/** Maestro's test formats fire times in US/Pacific, `yyyy-MM-dd'T'HH:mm:ssX`. */
const pacific = (ms: number) => {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: 'US/Pacific', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'shortOffset' })
      .formatToParts(ms)
      .map((x) => [x.type, x.value]),
  );
  const off = Number(String(p.timeZoneName).replace('GMT', ''));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}-${String(-off).padStart(2, '0')}`;
};

test('md5 agrees with node:crypto over lengths around the block boundaries', (t) => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
    const bytes = new Uint8Array(n).map((_, i) => (i * 31 + 7) & 0xff);
    t.is(Buffer.from(md5(bytes)).toString('hex'), createHash('md5').update(bytes).digest('hex'), `length ${n}`);
  }
});

test('UUID.nameUUIDFromBytes and java.util.Random match a JDK', (t) => {
  // printed by JDK 21: UUID.nameUUIDFromBytes(s.getBytes(UTF_8)), getLeastSignificantBits, new Random(lsb).nextInt(b)
  const hello = javaNameUuid('hello');
  t.is(hello.text, '5d41402a-bc4b-3a76-b971-9d911017c592');
  t.is(hello.lsb, -5084109257958767214n);
  t.is(new JavaRandom(hello.lsb).nextInt(30), 10);
  t.is(new JavaRandom(hello.lsb).nextInt(1000000007), 193235500);
  t.is(new JavaRandom(hello.lsb).nextInt(64), 5);
  const uni = javaNameUuid('é✓ unicode');
  t.is(uni.text, '9e8ace11-9042-340c-9ea8-8f9e122fe25d');
  t.is(new JavaRandom(uni.lsb).nextInt(30), 1);
  t.is(new JavaRandom(42n).nextInt(), -1170105035);
  t.is(new JavaRandom(0n).nextInt(7), 5);
  t.throws(() => new JavaRandom(1n).nextInt(0), { instanceOf: RangeError });
});

test("trigger texts are Maestro's toString; set uuid, jitter and request ids are Maestro's", (t) => {
  const triggers: TimeTrigger[] = [cron('0 0 12 1/1 * ? *', 'US/Pacific'), { type: 'PREDEFINED', expression: '@daily', timezone: 'Asia/Tokyo' }, cron('*/2 * * * *', 'US/Pacific', '30s')];
  t.deepEqual(triggers.map(timeTriggerText), [
    'CronTimeTrigger(cron=0 0 12 1/1 * ? *, timezone=US/Pacific)',
    'PredefinedTimeTrigger(expression=DAILY, timezone=Asia/Tokyo)',
    'CronTimeTrigger(cron=*/2 * * * *, timezone=US/Pacific, fuzzyMaxDelay="30s")',
  ]);
  t.is(timeTriggerText(cron('0 * * * *', undefined, 30)), 'CronTimeTrigger(cron=0 * * * *, timezone=null, fuzzyMaxDelay=30)');
  // JDK values of UUID(list.toString()), UUID("<wf>:<text>:<epochSecond>") and Random(UUID(text + wf).lsb).nextInt(30)
  t.is(timeTriggerSetUuid(triggers), 'a6017fdf-d8c8-3243-8011-b8062afb0f6a');
  t.is(timeFireRequestId('sample-time-trigger-wf', triggers[2]!, 1_700_000_025_999), '76047419-4c62-3255-ba4e-fd15c17305be');
  t.is(jitterMs(triggers[2]!, 'sample-time-trigger-wf'), 25_000);
  t.is(jitterMs(cron('5 2 * * *', 'US/Pacific', '5 hours'), 'test-workflow'), 17_803_000);
  t.is(jitterMs(triggers[0]!, 'sample-time-trigger-wf'), 0, 'no fuzzy_max_delay, no jitter');
});

test('jitter is stable per (trigger, workflow), differs across workflows, and stays in [0, max)', (t) => {
  const trig = cron('*/2 * * * *', 'UTC', '90s');
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const j = jitterMs(trig, `wf-${i}`);
    t.is(jitterMs(trig, `wf-${i}`), j);
    t.true(j >= 0 && j < 90_000 && j % 1000 === 0, `wf-${i}: ${j}`);
    seen.add(j);
  }
  t.true(seen.size > 30, `jitters spread over the range (${seen.size} distinct)`);
});

test('TriggerHelperTest: the cron fixture from the epoch fires at 72000 s, @daily US/Pacific at 28800 s', (t) => {
  t.is(nextFireAfter(scheduleOf(cron('0 0 12 1/1 * ? *', 'US/Pacific'), 'test-id'), 0), 72_000_000);
  t.is(nextFireAfter(scheduleOf({ type: 'PREDEFINED', expression: '@daily', timezone: 'US/Pacific' }, 'test-id'), 0), 28_800_000);
});

test('planner: */1 over a day is capped at the per-round limit (20 here)', (t) => {
  const wm = at('2021-05-17T00:00:00-07:00');
  const planned = planFires([scheduleOf(cron('*/1 * * * *', 'US/Pacific'), 'test-workflow')], [wm], wm + 86_400_000, 20);
  t.is(planned.length, 20);
  t.is(planned[0]!.fireMs, wm + 60_000);
});

test('planner: 5 2 * * * over 3 days fires at 02:05 each day (PDT and UTC), none within the first hour', (t) => {
  const wm = at('2021-05-17T00:00:00-07:00');
  const s = scheduleOf(cron('5 2 * * *', 'US/Pacific'), 'test-workflow');
  t.deepEqual(planFires([s], [wm], wm + 3_600_000, 20), []);
  t.deepEqual(
    planFires([s], [wm], wm + 3 * 86_400_000, 20).map((p) => pacific(p.fireMs)),
    ['2021-05-17T02:05:00-07', '2021-05-18T02:05:00-07', '2021-05-19T02:05:00-07'],
  );
  const utc = at('2021-05-17T00:00:00Z');
  t.deepEqual(
    planFires([scheduleOf(cron('5 2 * * *', 'UTC'), 'test-workflow')], [utc], utc + 3 * 86_400_000, 20).map((p) => pacific(p.fireMs)),
    ['2021-05-16T19:05:00-07', '2021-05-17T19:05:00-07', '2021-05-18T19:05:00-07'],
  );
});

test('planner: two triggers, coinciding fires give two entries, sorted; watermarks move to each last fire', (t) => {
  const s = [scheduleOf(cron('5 2 * * *', 'US/Pacific'), 'w'), scheduleOf(cron('5,15 2,3 * * *', 'US/Pacific'), 'w')];
  const wm = [at('2021-05-17T00:00:00-07:00'), at('2021-05-18T00:00:00-07:00')];
  const planned = planFires(s, wm, wm[0]! + 2 * 86_400_000, 20);
  t.deepEqual(
    planned.map((p) => pacific(p.fireMs)),
    ['2021-05-17T02:05:00-07', '2021-05-18T02:05:00-07', '2021-05-18T02:05:00-07', '2021-05-18T02:15:00-07', '2021-05-18T03:05:00-07', '2021-05-18T03:15:00-07'],
  );
  t.deepEqual(planned.slice(1, 3).map((p) => p.index), [0, 1], 'coinciding fires keep trigger order');
  t.deepEqual(advanceWatermarks(wm, planned), [at('2021-05-18T02:05:00-07:00'), at('2021-05-18T03:15:00-07:00')]);
  // the earliest next fire over both (TimeTriggerExecutionPlannerTest, three triggers)
  const three = [scheduleOf(cron('0 30 2 7 12 ? 2021', 'US/Pacific'), 'w'), ...s];
  t.is(earliestFire(three, [at('2022-01-01T00:00:00Z'), at('2021-05-17T00:00:00-07:00'), at('2021-05-18T00:00:00-07:00')]), at('2021-05-17T02:05:00-07:00'));
});

test('Quartz year fields: a one-time fire, and none once its year has passed', (t) => {
  const once = scheduleOf(cron('0 30 2 7 5 ? 2021', 'US/Pacific'), 'w');
  t.is(nextFireAfter(once, at('2021-01-01T00:00:00Z')), at('2021-05-07T02:30:00-07:00'));
  const dec = scheduleOf(cron('0 30 2 7 12 ? 2021', 'US/Pacific'), 'w');
  t.deepEqual(
    planFires([dec], [at('2021-12-01T00:00:00Z')], at('2021-12-31T00:00:00Z'), 20).map((p) => pacific(p.fireMs)),
    ['2021-12-07T02:30:00-08'],
  );
  t.is(nextFireAfter(dec, at('2022-01-01T00:00:00Z')), undefined);
  t.is(earliestFire([dec], [at('2022-01-01T00:00:00Z')]), undefined);
  // a later year is reached without walking every fire in between
  t.is(nextFireAfter(scheduleOf(cron('0 */2 * * * ? 2030', 'UTC'), 'w'), at('2021-03-01T00:00:00Z')), at('2030-01-01T00:00:00Z'));
});

test('fuzzy delay: every fire is shifted by the stable jitter, within [fire, fire + max)', (t) => {
  const s = scheduleOf(cron('5 2 * * *', 'US/Pacific', '5 hours'), 'test-workflow');
  const wm = at('2021-05-17T00:00:00-07:00');
  const planned = planFires([s], [wm], wm + 86_400_000, 20);
  t.is(planned.length, 1);
  t.is(planned[0]!.fireMs, at('2021-05-17T02:05:00-07:00') + 17_803_000);
  // the watermark includes the jitter, and the next fire is the next day's (Maestro's nextExecutionDate)
  t.is(nextFireAfter(s, planned[0]!.fireMs), at('2021-05-18T02:05:00-07:00') + 17_803_000);
});

test('sample-time-trigger-wf is accepted and its triggers fire where Maestro says', (t) => {
  const text = readFileSync(new URL('../../../shared/conformance/maestro/samples/sample-time-trigger-wf.json', import.meta.url), 'utf8');
  const wf = parseWorkflowInput(text).workflow;
  t.is(wf.timeTriggers.length, 3);
  const from = at('2024-03-01T00:00:00Z'); // 2024-02-29 16:00 PST
  const next = wf.timeTriggers.map((tr) => upcomingFires(scheduleOf(tr, wf.id), from, 2));
  t.deepEqual(next[0], [at('2024-03-01T12:00:00-08:00'), at('2024-03-02T12:00:00-08:00')], 'Quartz daily 12:00 PT');
  t.deepEqual(next[1], [at('2024-03-01T00:00:00+09:00') + 86_400_000, at('2024-03-02T00:00:00+09:00') + 86_400_000], '@daily Asia/Tokyo: 00:00 JST');
  t.deepEqual(next[2], [from + 120_000 + 25_000, from + 240_000 + 25_000], '*/2 plus its stable 25 s jitter');
});

const reduce = (s: CronState, ...events: CronEvent[]) => events.reduce((acc, e) => cronReducer.apply(acc, e).state, s);

test('~cron reducer: subscription watermarks, fires pending until acknowledged, resume re-sends', (t) => {
  const s0 = cronReducer.initial('~cron/wf');
  t.is(s0.workflowId, 'wf');
  const trig = [cron('*/2 * * * *', 'UTC')];
  const s1 = reduce(s0, { t: 'subscribe', atMs: 1000, triggerUuid: 'u1', version: 1, triggers: trig });
  t.deepEqual(s1.sub?.watermarks, [1000]);
  t.is(s0.sub, undefined, 'apply does not mutate its input');
  const s2 = reduce(s1, { t: 'subscribe', atMs: 9000, triggerUuid: 'u1', version: 2, triggers: trig });
  t.deepEqual(s2.sub?.watermarks, [1000], 'same trigger set: watermarks kept');
  t.is(s2.sub?.version, 2);
  const s3 = reduce(s2, { t: 'subscribe', atMs: 9000, triggerUuid: 'u2', version: 3, triggers: trig });
  t.deepEqual(s3.sub?.watermarks, [9000], 'new trigger set: watermarks start at the subscription time');
  const fire = { index: 0, fireMs: 120_000, requestId: 'r1', version: 3, triggerUuid: 'u2', timezone: 'UTC' };
  const fired = cronReducer.apply(s3, { t: 'fired', atMs: 130_000, fires: [fire, { ...fire, fireMs: 240_000, requestId: 'r2' }], watermarks: [240_000] });
  t.deepEqual(fired.effects, [{ f: 'start', fires: fired.state.pending }]);
  t.deepEqual(fired.state.sub?.watermarks, [240_000]);
  t.deepEqual(cronReducer.resume(fired.state), [{ f: 'start', fires: fired.state.pending }, { f: 'sync' }]);
  const acked = reduce(fired.state, { t: 'acked', atMs: 131_000, requestIds: ['r1'] });
  t.deepEqual(acked.pending.map((f) => f.requestId), ['r2']);
  const ended = reduce(acked, { t: 'unsubscribe', atMs: 132_000, reason: 'time_trigger_disabled' });
  t.is(ended.sub, undefined);
  t.is(ended.ended?.reason, 'time_trigger_disabled');
  t.deepEqual(cronReducer.resume(reduce(ended, { t: 'acked', atMs: 1, requestIds: ['r2'] })), [{ f: 'sync' }]);
});
