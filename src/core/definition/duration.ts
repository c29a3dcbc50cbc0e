/**
 * Maestro's `ParsableLong` values and durations. A Parsable is a non-negative integer or a
 * string; a string holding `$` references params (`"$foo"`, `"${bar}s"`) and is only checked
 * once the params are known (the engine resolves it, then calls these functions again).
 *
 * Durations follow Maestro's DurationParser: a bare number is seconds; otherwise a sequence of
 * `<integer><unit>` parts such as "100s", "1h 30min", "10 days", "2d3h". Unlike Maestro (which
 * silently ignores text it does not recognise), unknown text is an error; "m" is accepted as
 * minutes.
 */
import type { Parsable } from './model.js';
import { MAX_TIMEOUT_MS } from './limits.js';
import { describe, fail } from './reader.js';

const UNIT_MS = new Map<string, number>();
function units(ms: number, ...names: string[]): void {
  for (const n of names) UNIT_MS.set(n, ms);
}
units(24 * 3600 * 1000, 'd', 'day', 'days');
units(3600 * 1000, 'h', 'hr', 'hrs', 'hour', 'hours');
units(60 * 1000, 'm', 'min', 'mins', 'minute', 'minutes');
units(1000, 's', 'sec', 'secs', 'second', 'seconds');
units(1, 'ms', 'milli', 'millis', 'millisecond', 'milliseconds');

const PART = /^(\d+)\s*([a-z]+)\s*/;

export function isParamReference(p: Parsable): p is string {
  return typeof p === 'string' && p.includes('$');
}

/** Reads a Parsable as written: a non-negative integer or a non-empty string. */
export function readParsable(v: unknown, path: string): Parsable {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) fail(path, `must be a non-negative integer, got ${describe(v)}`);
    return v;
  }
  if (typeof v === 'string') {
    if (v.trim() === '') fail(path, 'must not be empty');
    return v;
  }
  return fail(path, `must be a number or a string, got ${describe(v)}`);
}

/** Parses a duration string (no param references) into milliseconds. */
export function parseDurationText(text: string, path: string): number {
  let rest = text.trim().toLowerCase();
  if (/^\d+$/.test(rest)) return Number(rest) * 1000;
  if (rest === '') fail(path, 'duration must not be empty');
  let total = 0;
  while (rest !== '') {
    const m = PART.exec(rest);
    const unit = m ? UNIT_MS.get(m[2]!) : undefined;
    if (!m || unit === undefined) {
      fail(
        path,
        `invalid duration '${text}': expected parts like '30s', '5 min', '1h', '10 days' (units: d, h, m/min, s, ms) or a number of seconds`,
      );
    }
    total += Number(m[1]) * unit;
    rest = rest.slice(m[0].length);
  }
  return total;
}

/**
 * A timeout-like duration (step/workflow timeout, fuzzy_max_delay) in ms: a number is seconds.
 * Undefined when it references params. Must be positive and at most 120 days.
 */
export function parseDurationMs(p: Parsable, path: string): number | undefined {
  if (isParamReference(p)) return undefined;
  let ms: number;
  if (typeof p === 'number') {
    if (!Number.isSafeInteger(p) || p < 0) fail(path, `must be a non-negative integer number of seconds, got ${p}`);
    ms = p * 1000;
  } else {
    ms = parseDurationText(p, path);
  }
  if (ms <= 0 || ms > MAX_TIMEOUT_MS) {
    fail(path, `duration ${JSON.stringify(p)} must be positive and at most 120 days, got ${ms} ms`);
  }
  return ms;
}

/** A count (retry limit, exponent) in [min, max]; a string must be an integer unless it references params. */
export function checkParsableCount(p: Parsable, path: string, min: number, max: number): void {
  if (isParamReference(p)) return;
  const n = typeof p === 'number' ? p : /^\s*\d+\s*$/.test(p) ? Number(p) : NaN;
  if (Number.isNaN(n)) fail(path, `'${p}' is not a number or a param reference`);
  if (n < min || n > max) fail(path, `must be between ${min} and ${max}, got ${n}`);
}

/** A wait in seconds (retry backoff); a string may be a duration ("1 min"). In [min, max] seconds. */
export function checkParsableSeconds(p: Parsable, path: string, min: number, max: number): void {
  if (isParamReference(p)) return;
  const secs = typeof p === 'number' ? p : Math.floor(parseDurationText(p, path) / 1000);
  if (secs < min || secs > max) fail(path, `must be between ${min} and ${max} seconds, got ${secs}`);
}
