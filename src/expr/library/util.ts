/**
 * Maestro's `Util` helpers (netflix-sel SelUtilFunc): dateInt (yyyyMMdd) arithmetic, timestamps
 * and deadlines. Arguments accept a String or a long wherever Maestro does (SelString.create /
 * SelLong.create); results that are arrays are bounded by the arraySize limit before they are built.
 */
import { SelFault } from '../errors.js';
import { chargeArray } from '../budget.js';
import { SelArray, type SelValue } from '../values.js';
import { arity, instance, int, longish, parseJavaLong, str, stringish, table, type LibContext, type MethodTable } from './args.js';
import { compilePattern, formatTokens } from './joda-format.js';
import { daysBetween, forPattern, forZoneId, parseWith, printWith, SelDateTime, SelFormatter } from './joda.js';

const DATE_INT = forPattern('YYYYMMdd');
const DATE_INT_HOUR = forPattern('YYYYMMddHH');
const YYYYMMDD = compilePattern('yyyyMMdd');

const dateIntToDateTime = (c: LibContext, dateInt: string): SelDateTime => parseWith(DATE_INT, dateInt, c);

function toInt(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

const UNIT_MS: Record<string, number> = {
  week: 604_800_000,
  day: 86_400_000,
  hour: 3_600_000,
  minute: 60_000,
  second: 1000,
  millisecond: 1,
};

/** Joda's PeriodFormat.wordBased() English periods ("1 day", "2 hours and 30 minutes"), as millis. */
export function parseWordPeriod(text: string): number {
  const parts = text.trim().split(/\s*,\s*|\s+and\s+/);
  let total = 0;
  for (const part of parts) {
    const m = /^(-?\d+)\s+([a-z]+?)s?$/i.exec(part.trim());
    const unit = m?.[2]?.toLowerCase();
    if (!m || unit === undefined) throw new SelFault(`IllegalArgumentException: Invalid format: "${text}"`);
    if (unit === 'year' || unit === 'month') {
      throw new SelFault(`UnsupportedOperationException: Cannot convert to Duration as this period contains ${unit}s and ${unit}s vary in length`);
    }
    const ms = UNIT_MS[unit];
    if (ms === undefined) throw new SelFault(`IllegalArgumentException: Invalid format: "${text}" (unknown unit ${m[2]})`);
    total += Number(m[1]) * ms;
  }
  return total;
}

function timeout(c: LibContext, dt: SelDateTime, duration: string): string {
  const deadline = dt.dt.toMillis() + parseWordPeriod(duration);
  return `${Math.max(deadline - Math.floor(c.scope.nowMs), 0)} milliseconds`;
}

function dateIntsBetween(c: LibContext, a: SelValue[]): SelArray {
  const sig = 'Util.dateIntsBetween';
  const inc = Number(parseJavaLong(stringish(a, 2, sig), -(2n ** 31n), 2n ** 31n - 1n));
  if (inc === 0) throw new SelFault(`IllegalArgumentException: Invalid incremental interval value: ${inc}`);
  const [from, to] = inc > 0 ? [0, 1] : [1, 0];
  const d1 = dateIntToDateTime(c, stringish(a, from, sig));
  const d2 = dateIntToDateTime(c, stringish(a, to, sig));
  const days = Number(daysBetween(d1, d2));
  const step = Math.abs(inc);
  const count = days > 0 ? Math.ceil(days / step) : 0;
  chargeArray(c, count);
  const items: bigint[] = [];
  for (let i = 0; i < days; i += step) items.push(BigInt(formatTokens(d1.dt.plus({ days: i }), YYYYMMDD)));
  if (inc < 0) items.reverse();
  return new SelArray('LONG', items);
}

function intsBetween(c: LibContext, a: SelValue[]): SelArray {
  const sig = 'Util.intsBetween';
  const from = toInt(longish(a, 0, sig));
  const to = toInt(longish(a, 1, sig));
  const inc = toInt(longish(a, 2, sig));
  const span = inc > 0 ? to - from : from - to;
  if (span > 0 && inc === 0) throw new SelFault(`${sig}: the increment must not be 0`);
  const count = span > 0 ? Math.ceil(span / Math.abs(inc)) : 0;
  chargeArray(c, count);
  const items: bigint[] = [];
  for (let i = 0, v = from; i < count; i++, v += inc) items.push(BigInt(v));
  return new SelArray('LONG', items);
}

export const UTIL_STATICS: MethodTable = table({
  dateIntToTs: (c, a) => (arity(a, 'Util.dateIntToTs(dateInt)', 1), BigInt(dateIntToDateTime(c, stringish(a, 0, 'Util.dateIntToTs')).dt.toMillis())),
  tsToDateInt: (_c, a) => (arity(a, 'Util.tsToDateInt(ts)', 1), printWith(DATE_INT, longish(a, 0, 'Util.tsToDateInt'), 'Util.tsToDateInt')),
  incrementDateInt: (c, a) => {
    arity(a, 'Util.incrementDateInt(dateInt, days)', 2);
    const dt = dateIntToDateTime(c, stringish(a, 0, 'Util.incrementDateInt'));
    return printWith(DATE_INT, new SelDateTime(dt.dt.plus({ days: int(a, 1, 'Util.incrementDateInt') }), dt.zone), 'Util.incrementDateInt');
  },
  dateIntHourToTs: (c, a) => {
    const sig = 'Util.dateIntHourToTs';
    arity(a, `${sig}(dateInt, hour, timezone, dayOffset, hourOffset)`, 5);
    const fmt = new SelFormatter(DATE_INT_HOUR.pattern, DATE_INT_HOUR.tokens, forZoneId(stringish(a, 2, sig)));
    const dt = parseWith(fmt, stringish(a, 0, sig) + stringish(a, 1, sig), c);
    const shifted = dt.dt.minus({ days: toInt(longish(a, 3, sig)) }).minus({ hours: toInt(longish(a, 4, sig)) });
    return BigInt(shifted.toMillis());
  },
  timeoutForDateTimeDeadline: (c, a) => {
    arity(a, 'Util.timeoutForDateTimeDeadline(DateTime, duration)', 2);
    const dt = instance(a, 0, 'Util.timeoutForDateTimeDeadline', SelDateTime, 'DateTime');
    return timeout(c, dt, str(a, 1, 'Util.timeoutForDateTimeDeadline'));
  },
  timeoutForDateIntDeadline: (c, a) => {
    arity(a, 'Util.timeoutForDateIntDeadline(dateInt, duration)', 2);
    return timeout(c, dateIntToDateTime(c, stringish(a, 0, 'Util.timeoutForDateIntDeadline')), str(a, 1, 'Util.timeoutForDateIntDeadline'));
  },
  dateIntsBetween: (c, a) => (arity(a, 'Util.dateIntsBetween(from, to, increment)', 3), dateIntsBetween(c, a)),
  intsBetween: (c, a) => (arity(a, 'Util.intsBetween(from, to, increment)', 3), intsBetween(c, a)),
});
