/**
 * The date system params are memoized per 15-minute bucket (src/core/params/dates.ts). These
 * tests pin values in zones with 30- and 45-minute offsets and on DST change days, and compare
 * every value, memoized or not, with luxon computing it from scratch.
 */
import test from 'ava';
import { DateTime } from 'luxon';
import { JSONIFIED_PARAMS_STRING_SIZE_LIMIT, ParamLimitError, resolveWorkflowParams, type ParamValues } from '../../src/core/params/index.js';
import { env, pick, system } from './params-fixtures.js';

const DATE_PARAMS = [
  'TARGET_RUN_DATE',
  'TARGET_RUN_HOUR',
  'DERIVED_RUN_TS',
  'DERIVED_RUN_DATE_US_PACIFIC',
  'DERIVED_RUN_DATE_US_PACIFIC_MINUS_ONE',
  'DERIVED_RUN_DATE_UTC',
  'DERIVED_RUN_DATE_UTC_MINUS_ONE',
  'DERIVED_RUN_DATE_UTC_PLUS_ONE',
  'DERIVED_RUN_DATE_UTC_MINUS_ONE_HOUR',
  'DERIVED_RUN_DATE_UTC_PLUS_ONE_HOUR',
  'DERIVED_RUN_HOUR_US_PACIFIC',
  'DERIVED_RUN_HOUR_UTC',
  'DERIVED_RUN_HOUR_UTC_MINUS_ONE_HOUR',
  'DERIVED_RUN_HOUR_UTC_PLUS_ONE_HOUR',
  'LOCAL_RUN_DATE',
  'RUN_DATE',
  'RUN_DATE_MINUS_1',
  'RUN_DATE_MINUS_7',
];

function timeTriggered(nowMs: number, timezone: string): ParamValues {
  return resolveWorkflowParams(undefined, undefined, { env: env(undefined, nowMs), system: system({ initiatorType: 'TIME', timezone, startedAtMs: nowMs }) });
}

function dates(nowMs: number, timezone: string): Record<string, unknown> {
  return pick(timeTriggered(nowMs, timezone), ...DATE_PARAMS);
}

/** The same params computed by luxon from scratch, as Maestro's default params define them. */
function reference(nowMs: number, zone: string): Record<string, unknown> {
  const at = (ms: number, z: string) => DateTime.fromMillis(ms, { zone: z });
  const local = at(nowMs, zone);
  const derived = DateTime.fromFormat(local.toFormat('yyyyMMddHH'), 'yyyyMMddHH', { zone }).toMillis();
  const pacific = at(derived, 'America/Los_Angeles');
  const utc = at(derived, 'UTC');
  const run = at(nowMs, 'UTC');
  return {
    TARGET_RUN_DATE: local.toFormat('yyyyMMdd'),
    TARGET_RUN_HOUR: local.toFormat('HH'),
    DERIVED_RUN_TS: derived,
    DERIVED_RUN_DATE_US_PACIFIC: pacific.toFormat('yyyyMMdd'),
    DERIVED_RUN_DATE_US_PACIFIC_MINUS_ONE: pacific.minus({ days: 1 }).toFormat('yyyyMMdd'),
    DERIVED_RUN_DATE_UTC: utc.toFormat('yyyyMMdd'),
    DERIVED_RUN_DATE_UTC_MINUS_ONE: utc.minus({ days: 1 }).toFormat('yyyyMMdd'),
    DERIVED_RUN_DATE_UTC_PLUS_ONE: utc.plus({ days: 1 }).toFormat('yyyyMMdd'),
    DERIVED_RUN_DATE_UTC_MINUS_ONE_HOUR: utc.minus({ hours: 1 }).toFormat('yyyyMMdd'),
    DERIVED_RUN_DATE_UTC_PLUS_ONE_HOUR: utc.plus({ hours: 1 }).toFormat('yyyyMMdd'),
    DERIVED_RUN_HOUR_US_PACIFIC: pacific.toFormat('HH'),
    DERIVED_RUN_HOUR_UTC: utc.toFormat('HH'),
    DERIVED_RUN_HOUR_UTC_MINUS_ONE_HOUR: utc.minus({ hours: 1 }).toFormat('HH'),
    DERIVED_RUN_HOUR_UTC_PLUS_ONE_HOUR: utc.plus({ hours: 1 }).toFormat('HH'),
    LOCAL_RUN_DATE: local.toFormat('yyyyMMdd'),
    RUN_DATE: run.toFormat('yyyyMMdd'),
    RUN_DATE_MINUS_1: run.minus({ days: 1 }).toFormat('yyyyMMdd'),
    RUN_DATE_MINUS_7: run.minus({ days: 7 }).toFormat('yyyyMMdd'),
  };
}

test('Asia/Kolkata (+05:30): the local day turns at 18:30 UTC', (t) => {
  const before = Date.UTC(2024, 0, 1, 18, 29, 59, 999);
  t.like(dates(before, 'Asia/Kolkata'), {
    TARGET_RUN_DATE: '20240101',
    TARGET_RUN_HOUR: '23',
    DERIVED_RUN_TS: Date.UTC(2024, 0, 1, 17, 30),
    DERIVED_RUN_HOUR_UTC: '17',
    DERIVED_RUN_HOUR_UTC_PLUS_ONE_HOUR: '18',
    DERIVED_RUN_DATE_US_PACIFIC: '20240101',
    RUN_DATE: '20240101',
  });
  // The next millisecond is in the same UTC hour but another local day.
  t.like(dates(before + 1, 'Asia/Kolkata'), {
    TARGET_RUN_DATE: '20240102',
    TARGET_RUN_HOUR: '00',
    DERIVED_RUN_TS: Date.UTC(2024, 0, 1, 18, 30),
    DERIVED_RUN_HOUR_UTC: '18',
    RUN_DATE: '20240101',
  });
  t.like(dates(before, 'Asia/Kolkata'), { TARGET_RUN_DATE: '20240101', TARGET_RUN_HOUR: '23' }, 'the memo keeps both buckets apart');
});

test('Asia/Kathmandu (+05:45): hours turn at quarter past the UTC hour', (t) => {
  const at = Date.UTC(2024, 5, 30, 18, 14, 59, 999);
  t.like(dates(at, 'Asia/Kathmandu'), {
    TARGET_RUN_DATE: '20240630',
    TARGET_RUN_HOUR: '23',
    DERIVED_RUN_TS: Date.UTC(2024, 5, 30, 17, 15),
    DERIVED_RUN_DATE_UTC: '20240630',
    DERIVED_RUN_DATE_UTC_PLUS_ONE: '20240701',
    DERIVED_RUN_HOUR_US_PACIFIC: '10',
  });
  t.like(dates(at + 1, 'Asia/Kathmandu'), { TARGET_RUN_DATE: '20240701', TARGET_RUN_HOUR: '00', DERIVED_RUN_TS: Date.UTC(2024, 5, 30, 18, 15) });
  t.like(dates(at + 3_600_000, 'Asia/Kathmandu'), { TARGET_RUN_DATE: '20240701', TARGET_RUN_HOUR: '00' }, 'an hour later is still 00:59');
  t.like(dates(at + 3_600_001, 'Asia/Kathmandu'), { TARGET_RUN_HOUR: '01' });
});

test('America/Los_Angeles, spring forward (2024-03-10): 01:59 PST is followed by 03:00 PDT', (t) => {
  const last = Date.UTC(2024, 2, 10, 9, 59, 59, 999);
  t.like(dates(last, 'America/Los_Angeles'), {
    TARGET_RUN_DATE: '20240310',
    TARGET_RUN_HOUR: '01',
    DERIVED_RUN_TS: Date.UTC(2024, 2, 10, 9, 0),
    DERIVED_RUN_HOUR_US_PACIFIC: '01',
    DERIVED_RUN_DATE_US_PACIFIC_MINUS_ONE: '20240309',
  });
  t.like(dates(last + 1, 'America/Los_Angeles'), {
    TARGET_RUN_DATE: '20240310',
    TARGET_RUN_HOUR: '03',
    DERIVED_RUN_TS: Date.UTC(2024, 2, 10, 10, 0),
    DERIVED_RUN_HOUR_US_PACIFIC: '03',
    DERIVED_RUN_HOUR_UTC: '10',
  });
});

test('America/Los_Angeles, fall back (2024-11-03): 01:xx happens twice and both read the same local hour', (t) => {
  const pdt = Date.UTC(2024, 10, 3, 8, 30);
  const pst = Date.UTC(2024, 10, 3, 9, 30);
  for (const at of [pdt, pst]) {
    t.like(dates(at, 'America/Los_Angeles'), {
      TARGET_RUN_DATE: '20241103',
      TARGET_RUN_HOUR: '01',
      // luxon reads the ambiguous 2024-11-03 01:00 with the later (standard time) offset.
      DERIVED_RUN_TS: Date.UTC(2024, 10, 3, 9, 0),
      DERIVED_RUN_HOUR_US_PACIFIC: '01',
    });
  }
  t.like(dates(Date.UTC(2024, 10, 3, 7, 59, 59, 999), 'America/Los_Angeles'), { TARGET_RUN_HOUR: '00', DERIVED_RUN_TS: Date.UTC(2024, 10, 3, 7, 0) });
  t.like(dates(Date.UTC(2024, 10, 3, 10, 0), 'America/Los_Angeles'), { TARGET_RUN_HOUR: '02', DERIVED_RUN_TS: Date.UTC(2024, 10, 3, 10, 0) });
});

test('a bucket whose zone offset is no multiple of 15 minutes is not memoized (LMT, -07:52:58)', (t) => {
  // 1880-06-01 00:00 LMT in Los Angeles is 07:52:58 UTC, inside the 07:45-08:00 UTC bucket.
  const before = Date.UTC(1880, 5, 1, 7, 46);
  const after = Date.UTC(1880, 5, 1, 7, 55);
  t.like(dates(before, 'America/Los_Angeles'), { TARGET_RUN_DATE: '18800531', TARGET_RUN_HOUR: '23' });
  t.like(dates(after, 'America/Los_Angeles'), { TARGET_RUN_DATE: '18800601', TARGET_RUN_HOUR: '00' });
  t.like(dates(before, 'America/Los_Angeles'), { TARGET_RUN_DATE: '18800531' });
});

test('memoized values equal luxon computed from scratch, across zones, transitions and bucket edges', (t) => {
  const zones = ['UTC', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/Los_Angeles', 'America/St_Johns', 'Australia/Lord_Howe', 'Pacific/Chatham'];
  const days = [Date.UTC(2024, 2, 10), Date.UTC(2024, 10, 3), Date.UTC(2024, 3, 7), Date.UTC(2024, 8, 29), Date.UTC(1883, 10, 18)];
  let seed = 7;
  const jitter = () => (seed = (seed * 16807) % 2147483647) % 900_000;
  let checked = 0;
  for (const zone of zones) {
    for (const day of days) {
      // Two passes over the same buckets at other offsets within them: the second pass reads memoized values.
      for (let pass = 0; pass < 2; pass++) {
        for (let m = -12 * 60; m < 36 * 60; m += 45) {
          const bucket = day + m * 60_000 - ((day + m * 60_000) % 900_000);
          const at = pass === 0 ? bucket + jitter() : bucket + (pass === 1 && m % 2 === 0 ? 899_999 : jitter());
          t.deepEqual(dates(at, zone), reference(at, zone), `${zone} at ${new Date(at).toISOString()}`);
          checked++;
        }
      }
    }
  }
  t.true(checked > 1000);
});

test('the size check still counts exactly near the limit', (t) => {
  const sized = (value: string) => () => resolveWorkflowParams({ big: { type: 'STRING', value } }, undefined, { env: env(), system: system() });
  const overhead = JSON.stringify(sized('')()).length;
  t.notThrows(sized('x'.repeat(JSONIFIED_PARAMS_STRING_SIZE_LIMIT - overhead)), 'exactly at the limit');
  const e = t.throws(sized('x'.repeat(JSONIFIED_PARAMS_STRING_SIZE_LIMIT - overhead + 1)), { instanceOf: ParamLimitError });
  t.regex(e!.message, /total size \[750001\] chars is larger than the limit \[750000\]/);
  // A control char serializes as 6 chars (\u0001): 130,000 of them are over the limit.
  t.throws(sized('\u0001'.repeat(130_000)), { instanceOf: ParamLimitError, message: /total size \[\d{6}\] chars/ });
  t.notThrows(sized('\u0001'.repeat(120_000)));
});
