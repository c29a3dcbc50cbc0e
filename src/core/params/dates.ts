/**
 * Memoized date arithmetic for the system default params (system-params.ts). luxon stays the
 * reference: every value is one luxon computed; the memos only avoid computing it again.
 *
 * Invariants:
 * - A ZonedFormat's value (the formats are dates and hours; shifts are whole days on the wall
 *   clock and whole hours on the timeline) depends on the timestamp only through the zone's
 *   local wall time at hour resolution. It is memoized per 15-minute UTC bucket of the
 *   timestamp, and only when the zone's offset is the same at both ends of the bucket (and of
 *   the bucket moved by the hour shift) and is a whole multiple of 15 minutes: then all of the
 *   bucket's local times fall in one local hour, and a gap or overlap (whose ends are 15-minute
 *   aligned too) covers either all or none of them. Buckets holding a zone transition, a
 *   historical offset such as LMT (-7:52:58), or timestamps near luxon's range limits are
 *   computed every time.
 * - localHourMs is a pure function of its two strings and is memoized as is.
 * - Invalid input (unknown zone, out-of-range timestamp, unparsable text) is never memoized:
 *   it yields undefined every time, and the caller reports it.
 * - Memos are bounded (a full one is cleared), so memory stays flat as time advances.
 */
import { DateTime } from 'luxon';

const BUCKET_MS = 15 * 60_000;
/** Well inside luxon's ±8.64e15 ms range, leaving room for the shifts. */
const SAFE_MS = 8.6e15;
const MAX_ZONES = 64;
const MAX_ENTRIES = 256;

export interface Shift {
  /** Whole days on the wall clock (luxon `plus({ days })`). */
  days?: number;
  /** Whole hours on the timeline (luxon `plus({ hours })`). */
  hours?: number;
}

function memoFor<K, V>(memo: Map<string, Map<K, V>>, zone: string): Map<K, V> {
  let m = memo.get(zone);
  if (m === undefined) {
    if (memo.size >= MAX_ZONES) memo.clear();
    m = new Map<K, V>();
    memo.set(zone, m);
  }
  if (m.size >= MAX_ENTRIES) m.clear();
  return m;
}

/** The zone's offset in minutes, when the same at `from` and `to`; NaN when not or invalid. */
function steadyOffset(from: number, to: number, zone: string): number {
  const a = DateTime.fromMillis(from, { zone });
  const b = DateTime.fromMillis(to, { zone });
  return a.isValid && b.isValid && a.offset === b.offset ? a.offset : NaN;
}

/** `DateTime.fromMillis(ms, { zone }).plus(shift).toFormat(format)`, memoized (see above). */
export class ZonedFormat {
  private readonly memo = new Map<string, Map<number, string>>();
  private readonly shiftMs: number;
  private readonly shifted: boolean;

  constructor(
    private readonly format: string,
    private readonly shift: Shift = {},
  ) {
    this.shiftMs = (shift.hours ?? 0) * 3_600_000;
    this.shifted = (shift.days ?? 0) !== 0 || this.shiftMs !== 0;
  }

  /** Undefined when `zone` is unknown or `ms` out of luxon's range. */
  at(ms: number, zone: string): string | undefined {
    const bucket = Math.floor(ms / BUCKET_MS);
    const hit = this.memo.get(zone)?.get(bucket);
    if (hit !== undefined) return hit;
    const dt = DateTime.fromMillis(ms, { zone });
    if (!dt.isValid) return undefined;
    const value = (this.shifted ? dt.plus(this.shift) : dt).toFormat(this.format);
    if (this.cacheable(bucket * BUCKET_MS, zone)) memoFor(this.memo, zone).set(bucket, value);
    return value;
  }

  private cacheable(start: number, zone: string): boolean {
    const end = start + BUCKET_MS - 1;
    if (start < -SAFE_MS || end > SAFE_MS) return false;
    const offset = steadyOffset(start, end, zone);
    if (!Number.isInteger(offset / 15)) return false;
    return this.shiftMs === 0 || Number.isInteger(steadyOffset(start + this.shiftMs, end + this.shiftMs, zone) / 15);
  }
}

const localHours = new Map<string, Map<string, number>>();

/**
 * `DateTime.fromFormat(local, 'yyyyMMddHH', { zone }).toMillis()`, memoized; undefined when
 * `local` does not parse or `zone` is unknown.
 */
export function localHourMs(local: string, zone: string): number | undefined {
  const hit = localHours.get(zone)?.get(local);
  if (hit !== undefined) return hit;
  const dt = DateTime.fromFormat(local, 'yyyyMMddHH', { zone });
  if (!dt.isValid) return undefined;
  const ms = dt.toMillis();
  memoFor(localHours, zone).set(local, ms);
  return ms;
}
