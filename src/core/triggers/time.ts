/**
 * Time triggers (maestro-semantics §10): fire times, Maestro's fuzzy jitter, ids, the planner.
 *
 * Everything here reproduces Maestro's arithmetic so that the ids and times match it:
 * - a trigger's text is Maestro's `toString()` of CronTimeTrigger / PredefinedTimeTrigger
 *   (`CronTimeTrigger(cron=*\/2 * * * *, timezone=US/Pacific, fuzzyMaxDelay="30s")`);
 * - the subscription uuid is `UUID(list.toString())` (`[t1, t2]`);
 * - the jitter is `Random(UUID(cronTrigger.toString() + workflowId).lsb).nextInt(maxDelaySecs)`
 *   seconds, where a predefined trigger is first converted to its cron trigger (TriggerHelper);
 * - the next fire after `t` is the first cron match strictly after `t` (Quartz
 *   getNextValidTimeAfter) plus the jitter; the watermark is the last fire time, jitter included;
 * - a fire's request id is `UUID("<wfId>:<trigger.toString()>:<epochSecond>")`.
 */
import { CronExpressionParser } from 'cron-parser';
import type { Parsable, TimeTrigger } from '../definition/model.js';
import { parseMaestroCron } from '../definition/cron.js';
import { parseDurationMs } from '../definition/duration.js';
import { PREDEFINED_SCHEDULES } from '../definition/triggers.js';
import { JavaRandom, javaNameUuid } from '../java-compat.js';

/** Maestro's default timezone of a trigger without one (Defaults.DEFAULT_TIMEZONE). */
export const DEFAULT_TRIGGER_TIMEZONE = 'UTC';
/** Fires planned per round, counted across triggers (Maestro's max-triggers-per-message). */
export const MAX_TRIGGERS_PER_ROUND = 100;
/** Starts sent per batch (Maestro's trigger-batch-size). */
export const TRIGGER_BATCH_SIZE = 10;
/** Longest wait between two ticks of a subscription (Maestro's max-delay, 900 s). */
export const MAX_TICK_DELAY_MS = 900_000;

/** ParsableLong.toString: a number as is, a string quoted. */
function parsableText(p: Parsable): string {
  return typeof p === 'number' ? String(p) : `"${p}"`;
}

function fuzzySuffix(t: TimeTrigger): string {
  return t.fuzzyMaxDelay !== undefined ? `, fuzzyMaxDelay=${parsableText(t.fuzzyMaxDelay)}` : '';
}

/** The cron a trigger runs on, as written (a predefined trigger's schedule). */
export function cronOf(t: TimeTrigger): string {
  if (t.type === 'CRON' && t.cron !== undefined) return t.cron;
  if (t.type === 'PREDEFINED' && t.expression !== undefined) {
    const schedule = PREDEFINED_SCHEDULES[t.expression];
    if (schedule !== undefined) return schedule;
  }
  throw new Error(`time trigger ${JSON.stringify(t)} has no schedule (only validated CRON and PREDEFINED triggers run)`);
}

/** Maestro's `trigger.toString()` (request ids and the subscription uuid use it). */
export function timeTriggerText(t: TimeTrigger): string {
  const tz = t.timezone ?? 'null';
  if (t.type === 'PREDEFINED') {
    const name = (t.expression ?? '').replace(/^@/, '').toUpperCase();
    return `PredefinedTimeTrigger(expression=${name}, timezone=${tz}${fuzzySuffix(t)})`;
  }
  return `CronTimeTrigger(cron=${cronOf(t)}, timezone=${tz}${fuzzySuffix(t)})`;
}

/** The text the jitter hashes: a predefined trigger becomes its CronTimeTrigger first (TriggerHelper). */
function jitterText(t: TimeTrigger): string {
  return `CronTimeTrigger(cron=${cronOf(t)}, timezone=${t.timezone ?? 'null'}${fuzzySuffix(t)})`;
}

/** Maestro's trigger uuid of a workflow's time triggers: `UUID(list.toString())`. */
export function timeTriggerSetUuid(triggers: readonly TimeTrigger[]): string {
  return javaNameUuid(`[${triggers.map(timeTriggerText).join(', ')}]`).text;
}

/**
 * The stable delay (ms, whole seconds) added to every fire of `t` in `workflowId`, in
 * [0, fuzzy_max_delay). No fuzzy_max_delay, one under a second, or one that references params
 * (Maestro cannot parse those either) give 0.
 */
export function jitterMs(t: TimeTrigger, workflowId: string): number {
  if (t.fuzzyMaxDelay === undefined) return 0;
  const ms = parseDurationMs(t.fuzzyMaxDelay, 'fuzzy_max_delay');
  const secs = ms === undefined ? 0 : Math.trunc(ms / 1000);
  if (secs <= 0) return 0;
  return new JavaRandom(javaNameUuid(jitterText(t) + workflowId).lsb).nextInt(secs) * 1000;
}

/** The request id of the start at `fireMs` (idempotent per fire time): Maestro's. */
export function timeFireRequestId(workflowId: string, t: TimeTrigger, fireMs: number): string {
  return javaNameUuid(`${workflowId}:${timeTriggerText(t)}:${Math.floor(fireMs / 1000)}`).text;
}

/** A trigger ready to compute fire times. */
export interface TimeSchedule {
  /** cron-parser's dialect (cron.ts). */
  normalized: string;
  timezone: string;
  jitterMs: number;
  /** A Quartz year field: the years it may fire in (ascending); absent: every year. */
  years?: number[];
}

export function scheduleOf(t: TimeTrigger, workflowId: string): TimeSchedule {
  const cron = cronOf(t);
  const parsed = parseMaestroCron(cron, 'cron');
  const s: TimeSchedule = { normalized: parsed.normalized, timezone: t.timezone ?? DEFAULT_TRIGGER_TIMEZONE, jitterMs: jitterMs(t, workflowId) };
  if (parsed.yearRestricted) s.years = expandYears(cron.trim().split(/\s+/)[6]!);
  return s;
}

/** A Quartz year field (already validated by cron.ts) as the years it names, in 1970-2099. */
function expandYears(field: string): number[] {
  const out = new Set<number>();
  for (const item of field.split(',')) {
    const [range = '*', stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let from = 1970;
    let to = 2099;
    if (range !== '*') {
      const [a, b] = range.split('-');
      from = Number(a);
      to = b === undefined ? (stepText === undefined ? from : 2099) : Number(b);
    }
    for (let y = from; y <= to; y += step) out.add(y);
  }
  return [...out].sort((a, b) => a - b);
}

const yearFormats = new Map<string, Intl.DateTimeFormat>();
function yearIn(ms: number, timezone: string): number {
  let f = yearFormats.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, year: 'numeric' });
    yearFormats.set(timezone, f);
  }
  return Number(f.format(ms));
}

const DAY_MS = 86_400_000;
/** Matches a year-restricted search walks through before it gives up (a bug guard, never reached by valid crons). */
const YEAR_SEARCH_LIMIT = 200_000;

/** The first cron match strictly after `afterMs` (no jitter), or undefined when it never fires again. */
export function cronMatchAfter(s: TimeSchedule, afterMs: number): number | undefined {
  let from = afterMs;
  let it = CronExpressionParser.parse(s.normalized, { tz: s.timezone, currentDate: new Date(from) });
  for (let n = 0; n < YEAR_SEARCH_LIMIT; n++) {
    let at: number;
    try {
      at = it.next().getTime();
    } catch (err) {
      // cron-parser gives up on a schedule with no match (e.g. 30 February)
      if (err instanceof Error) return undefined;
      throw err;
    }
    if (s.years === undefined) return at;
    const y = yearIn(at, s.timezone);
    if (s.years.includes(y)) return at;
    const next = s.years.find((v) => v > y);
    if (next === undefined) return undefined;
    // jump to a day before the next allowed year (no time zone is a day off UTC)
    const jump = Date.UTC(next, 0, 1) - DAY_MS;
    if (jump > at) {
      from = jump;
      it = CronExpressionParser.parse(s.normalized, { tz: s.timezone, currentDate: new Date(from) });
    }
  }
  throw new Error(`cron '${s.normalized}' found no fire in its years after ${YEAR_SEARCH_LIMIT} matches`);
}

/** The next fire (jitter included) after the watermark `afterMs` (Maestro's nextExecutionDate). */
export function nextFireAfter(s: TimeSchedule, afterMs: number): number | undefined {
  const at = cronMatchAfter(s, afterMs);
  return at === undefined ? undefined : at + s.jitterMs;
}

/** The next `count` fires after `afterMs`. */
export function upcomingFires(s: TimeSchedule, afterMs: number, count: number): number[] {
  const out: number[] = [];
  let t: number | undefined = afterMs;
  while (out.length < count && (t = nextFireAfter(s, t)) !== undefined) out.push(t);
  return out;
}

export interface PlannedFire {
  /** Index of the trigger in the workflow's time_triggers. */
  index: number;
  fireMs: number;
}

/**
 * Maestro's TimeTriggerExecutionPlanner: for each trigger in order, its fires after its
 * watermark and before `nowMs`, until `max` are planned in total (counted across triggers);
 * then sorted by time (stable: coinciding fires keep trigger order).
 */
export function planFires(schedules: readonly TimeSchedule[], watermarks: readonly number[], nowMs: number, max = MAX_TRIGGERS_PER_ROUND): PlannedFire[] {
  const out: PlannedFire[] = [];
  schedules.forEach((s, index) => {
    let next = nextFireAfter(s, watermarks[index]!);
    while (out.length < max && next !== undefined && next < nowMs) {
      out.push({ index, fireMs: next });
      next = nextFireAfter(s, next);
    }
  });
  return out.sort((a, b) => a.fireMs - b.fireMs);
}

/** The earliest next fire over all triggers, or undefined when none fires again. */
export function earliestFire(schedules: readonly TimeSchedule[], watermarks: readonly number[]): number | undefined {
  let min: number | undefined;
  schedules.forEach((s, i) => {
    const next = nextFireAfter(s, watermarks[i]!);
    if (next !== undefined && (min === undefined || next < min)) min = next;
  });
  return min;
}

/** Each trigger's watermark after `fired`: its latest fire there, else unchanged. */
export function advanceWatermarks(watermarks: readonly number[], fired: readonly PlannedFire[]): number[] {
  const out = [...watermarks];
  for (const f of fired) if (f.fireMs > out[f.index]!) out[f.index] = f.fireMs;
  return out;
}
