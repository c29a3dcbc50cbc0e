/**
 * Workflow triggers: time_triggers (Maestro's CronTimeTrigger, PredefinedTimeTrigger with
 * TimeTriggerConstraint) and signal_triggers (SignalTrigger with SignalTriggerConstraint).
 * INTERVAL time triggers are rejected, as Maestro's TimeTriggerConstraint rejects them.
 */
import type { SignalTrigger, SignalTriggerDefinition, TimeTrigger } from './model.js';
import { minFiringGapMs, parseMaestroCron } from './cron.js';
import { parseDurationMs, readParsable } from './duration.js';
import { MAX_SIGNAL_NAMES_IN_A_TRIGGER, TIME_TRIGGER_MINIMUM_INTERVAL_MS } from './limits.js';
import { readParamDefinitions } from './params.js';
import { readOperator } from './signals.js';
import {
  checkKeys,
  describe,
  fail,
  join,
  optional,
  readArray,
  readEnum,
  readNonEmptyString,
  readObject,
  readString,
  readStringArray,
  required,
  setOwn,
} from './reader.js';

const TRIGGER_TYPES = ['CRON', 'PREDEFINED', 'INTERVAL'] as const;
/** Maestro's PredefinedSchedule, as unix crons. */
export const PREDEFINED_SCHEDULES: Readonly<Record<string, string>> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
};

export function readTimezone(v: unknown, path: string): string {
  const tz = readNonEmptyString(v, path);
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch (e) {
    if (!(e instanceof RangeError)) throw e; // Intl's answer to an unknown time zone
    fail(path, `unknown timezone '${tz}' (expected an IANA name such as 'UTC' or 'America/Los_Angeles')`);
  }
  return tz;
}

export function readTimeTriggers(v: unknown, path: string): TimeTrigger[] {
  return readArray(v, path).map((e, i) => readTimeTrigger(e, join(path, i)));
}

function readTimeTrigger(v: unknown, path: string): TimeTrigger {
  const o = readObject(v, path);
  const type = required(o, 'type', path, readEnum(TRIGGER_TYPES, 'time trigger type'));
  if (type === 'INTERVAL') fail(join(path, 'type'), 'INTERVAL time triggers are not supported (Maestro rejects them too)');
  const field = type === 'CRON' ? 'cron' : 'expression';
  checkKeys(o, ['type', field, 'timezone', 'fuzzy_max_delay'], path);
  const trigger: TimeTrigger = { type };
  const timezone = optional(o, 'timezone', path, readTimezone);
  let cron: string;
  if (type === 'CRON') {
    cron = required(o, 'cron', path, readString);
    trigger.cron = cron;
  } else {
    const raw = required(o, 'expression', path, readString);
    const key = `@${raw.replace(/^@/, '').toLowerCase()}`;
    const schedule = PREDEFINED_SCHEDULES[key];
    if (!Object.hasOwn(PREDEFINED_SCHEDULES, key) || schedule === undefined) {
      fail(join(path, 'expression'), `unknown predefined schedule '${raw}' (expected one of ${Object.keys(PREDEFINED_SCHEDULES).join(', ')})`);
    }
    trigger.expression = key;
    cron = schedule;
  }
  if (timezone !== undefined) trigger.timezone = timezone;
  const fuzzy = optional(o, 'fuzzy_max_delay', path, readParsable);
  if (fuzzy !== undefined) {
    parseDurationMs(fuzzy, join(path, 'fuzzy_max_delay'));
    trigger.fuzzyMaxDelay = fuzzy;
  }
  const cronPath = join(path, field);
  const parsed = parseMaestroCron(cron, cronPath);
  if (!parsed.yearRestricted) {
    const gap = minFiringGapMs(parsed.normalized, timezone ?? 'UTC');
    if (gap < TIME_TRIGGER_MINIMUM_INTERVAL_MS) {
      fail(
        cronPath,
        `'${cron}' fires ${gap / 1000} s apart; time triggers must be at least ${TIME_TRIGGER_MINIMUM_INTERVAL_MS / 1000} s apart`,
      );
    }
  }
  return trigger;
}

export function readSignalTriggers(v: unknown, path: string): SignalTrigger[] {
  return readArray(v, path).map((e, i) => readSignalTrigger(e, join(path, i)));
}

function readSignalTrigger(v: unknown, path: string): SignalTrigger {
  const o = readObject(v, path);
  checkKeys(o, ['definitions', 'params', 'condition', 'dedup_expr'], path);
  const defsPath = join(path, 'definitions');
  const defs = required(o, 'definitions', path, readObject);
  const names = Object.keys(defs);
  if (names.length === 0) fail(defsPath, 'must name at least one signal');
  if (names.length > MAX_SIGNAL_NAMES_IN_A_TRIGGER) {
    fail(defsPath, `has ${names.length} signals, more than the limit of ${MAX_SIGNAL_NAMES_IN_A_TRIGGER}`);
  }
  const definitions: Record<string, SignalTriggerDefinition> = {};
  let joinKeyCount: number | undefined;
  for (const name of names) {
    const p = join(defsPath, name);
    if (name.trim() === '') fail(p, 'signal name must not be empty');
    const d = readSignalTriggerDefinition(defs[name], p);
    if (joinKeyCount !== undefined && d.joinKeys.length !== joinKeyCount) {
      fail(join(p, 'join_keys'), 'every signal in a trigger must have the same number of join_keys');
    }
    joinKeyCount = d.joinKeys.length;
    setOwn(definitions, name, d);
  }
  const trigger: SignalTrigger = {
    definitions,
    params: optional(o, 'params', path, readParamDefinitions) ?? {},
  };
  const condition = optional(o, 'condition', path, readNonEmptyString);
  if (condition !== undefined) trigger.condition = condition;
  const dedup = optional(o, 'dedup_expr', path, readNonEmptyString);
  if (dedup !== undefined) trigger.dedupExpr = dedup;
  return trigger;
}

function readSignalTriggerDefinition(v: unknown, path: string): SignalTriggerDefinition {
  const o = readObject(v, path);
  checkKeys(o, ['match_params', 'join_keys'], path);
  const matchParams: SignalTriggerDefinition['matchParams'] = {};
  const mpPath = join(path, 'match_params');
  for (const [key, raw] of Object.entries(optional(o, 'match_params', path, readObject) ?? {})) {
    const p = join(mpPath, key);
    const entry = readObject(raw, p);
    checkKeys(entry, ['value', 'operator'], p);
    const value = required(entry, 'value', p, readSignalValue);
    setOwn(matchParams, key, { value, operator: required(entry, 'operator', p, readOperator) });
  }
  const joinKeys = optional(o, 'join_keys', path, readStringArray) ?? [];
  joinKeys.forEach((k, i) => {
    if (Object.hasOwn(matchParams, k)) {
      fail(join(join(path, 'join_keys'), i), `join key '${k}' cannot also be used in match_params`);
    }
  });
  return { matchParams, joinKeys };
}

/** Maestro's SignalParamValue: an integer or a string. */
function readSignalValue(v: unknown, path: string): number | string {
  if (typeof v === 'string' || (typeof v === 'number' && Number.isSafeInteger(v))) return v;
  return fail(path, `must be an integer or a string, got ${describe(v)}`);
}
