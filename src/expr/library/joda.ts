/**
 * Joda-Time as Maestro's SEL exposes it (DateTime, DateTimeZone, DateTimeFormat(ter),
 * DateTime.Property, Days), backed by luxon. The default zone is UTC (Maestro's servers run in
 * UTC) and "now" is the scope's nowMs, so results are deterministic under replay.
 */
import { DateTime, FixedOffsetZone, IANAZone, type Zone } from 'luxon';
import { SelFault } from '../errors.js';
import { SelObject, type SelValue } from '../values.js';
import { arity, instance, int, long, str, table, type LibContext, type LibFn, type MethodTable } from './args.js';
import { compilePattern, formatTokens, MONTHS, offsetText, parseTokens, WEEKDAYS, type FmtToken } from './joda-format.js';

export class SelZone extends SelObject {
  readonly kind = 'DATETIME_ZONE';
  constructor(
    readonly id: string,
    readonly zone: Zone,
  ) {
    super();
  }
  toJavaString(): string {
    return this.id;
  }
}

export const UTC = new SelZone('UTC', FixedOffsetZone.utcInstance);

export class SelDateTime extends SelObject {
  readonly kind = 'DATETIME';
  constructor(
    readonly dt: DateTime,
    readonly zone: SelZone,
  ) {
    super();
  }
  /** Joda's ISODateTimeFormat.dateTime(): 2019-09-20T22:20:00.000Z / ...-07:00. */
  toJavaString(): string {
    return `${formatTokens(this.dt, ISO_TOKENS)}${offsetText(this.dt.offset, true, true)}`;
  }
}

export class SelFormatter extends SelObject {
  readonly kind = 'DATETIME_FORMATTER';
  constructor(
    readonly pattern: string,
    readonly tokens: readonly FmtToken[],
    readonly zone: SelZone | undefined,
  ) {
    super();
  }
  toJavaString(): string {
    return `DateTimeFormatter[${this.pattern}]`;
  }
}

export class SelProperty extends SelObject {
  readonly kind = 'DATETIME_PROPERTY';
  constructor(
    readonly owner: SelDateTime,
    readonly field: Field,
  ) {
    super();
  }
  toJavaString(): string {
    return `Property[${this.field.name}]`;
  }
}

export class SelDays extends SelObject {
  readonly kind = 'DATETIME_DAYS';
  constructor(readonly days: bigint) {
    super();
  }
  toJavaString(): string {
    return `P${this.days}D`;
  }
}

const ISO_TOKENS = compilePattern("yyyy-MM-dd'T'HH:mm:ss.SSS");

export function forZoneId(id: string): SelZone {
  if (id === 'UTC') return UTC;
  const offset = /^([-+])(\d{2})(?::?(\d{2}))?$/.exec(id);
  if (offset) {
    const minutes = (Number(offset[2]) * 60 + Number(offset[3] ?? 0)) * (offset[1] === '-' ? -1 : 1);
    if (Math.abs(minutes) < 24 * 60) return new SelZone(minutes === 0 ? 'UTC' : offsetText(minutes, true, false), FixedOffsetZone.instance(minutes));
  } else if (/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(id) && IANAZone.isValidZone(id)) {
    return new SelZone(id, IANAZone.create(id));
  }
  throw new SelFault(`IllegalArgumentException: The datetime zone id '${id}' is not recognised`);
}

const luxonZone = (id: string): Zone => forZoneId(id).zone;

export function fromMillis(ms: number, zone: SelZone = UTC): SelDateTime {
  const dt = DateTime.fromMillis(ms, { zone: zone.zone });
  if (!dt.isValid) throw new SelFault(`IllegalArgumentException: ${ms} is outside the supported DateTime range`);
  return new SelDateTime(dt, zone);
}

export function parseWith(f: SelFormatter, text: string, c: LibContext): SelDateTime {
  const nowYear = DateTime.fromMillis(c.scope.nowMs, { zone: 'UTC' }).year;
  const zone = f.zone ?? UTC;
  return new SelDateTime(parseTokens(text, f.tokens, f.zone?.zone, nowYear, luxonZone), zone);
}

export function printWith(f: SelFormatter, v: SelValue, sig: string): string {
  const dt = v instanceof SelDateTime ? v : typeof v === 'bigint' ? fromMillis(Number(v)) : undefined;
  if (dt === undefined) throw new SelFault(`${sig}: argument must be a DateTime or long`);
  return formatTokens(f.zone ? dt.dt.setZone(f.zone.zone) : dt.dt, f.tokens);
}

export function forPattern(pattern: string): SelFormatter {
  return new SelFormatter(pattern, compilePattern(pattern), undefined);
}

/** A DateTime field: its Joda name, accessor, setter with range check, and bounds. */
export interface Field {
  name: string;
  get(dt: DateTime): number;
  set(dt: DateTime, v: number): DateTime;
  min(dt: DateTime): number;
  max(dt: DateTime): number;
  text?(dt: DateTime, short: boolean): string;
}

function field(name: string, get: (dt: DateTime) => number, set: (dt: DateTime, v: number) => DateTime, min: number | ((dt: DateTime) => number), max: number | ((dt: DateTime) => number), text?: Field['text']): Field {
  const bound = (b: number | ((dt: DateTime) => number)) => (typeof b === 'number' ? () => b : b);
  const lo = bound(min);
  const hi = bound(max);
  const f: Field = {
    name,
    get,
    min: lo,
    max: hi,
    set: (dt, v) => {
      if (v < lo(dt) || v > hi(dt)) {
        throw new SelFault(`IllegalFieldValueException: Value ${v} for ${name} must be in the range [${lo(dt)},${hi(dt)}]`);
      }
      return set(dt, v);
    },
  };
  if (text) f.text = text;
  return f;
}

const YEAR_MAX = 292278993;
export const FIELDS: ReadonlyMap<string, Field> = new Map(
  [
    field('year', (d) => d.year, (d, v) => d.set({ year: v }), -YEAR_MAX, YEAR_MAX),
    field('weekyear', (d) => d.weekYear, (d, v) => d.set({ weekYear: v }), -YEAR_MAX, YEAR_MAX),
    field('monthOfYear', (d) => d.month, (d, v) => d.set({ month: v }), 1, 12, (d, s) => (s ? (MONTHS[d.month - 1] ?? '').slice(0, 3) : (MONTHS[d.month - 1] ?? ''))),
    field('weekOfWeekyear', (d) => d.weekNumber, (d, v) => d.set({ weekNumber: v }), 1, (d) => d.weeksInWeekYear),
    field('dayOfYear', (d) => d.ordinal, (d, v) => d.set({ ordinal: v }), 1, (d) => d.daysInYear),
    field('dayOfMonth', (d) => d.day, (d, v) => d.set({ day: v }), 1, (d) => d.daysInMonth ?? 31),
    field('dayOfWeek', (d) => d.weekday, (d, v) => d.set({ weekday: v as 1 }), 1, 7, (d, s) => (s ? (WEEKDAYS[d.weekday - 1] ?? '').slice(0, 3) : (WEEKDAYS[d.weekday - 1] ?? ''))),
    field('hourOfDay', (d) => d.hour, (d, v) => d.set({ hour: v }), 0, 23),
    field('minuteOfDay', (d) => d.hour * 60 + d.minute, (d, v) => d.set({ hour: Math.floor(v / 60), minute: v % 60 }), 0, 1439),
    field('minuteOfHour', (d) => d.minute, (d, v) => d.set({ minute: v }), 0, 59),
    field('secondOfDay', (d) => d.hour * 3600 + d.minute * 60 + d.second, (d, v) => d.set({ hour: Math.floor(v / 3600), minute: Math.floor(v / 60) % 60, second: v % 60 }), 0, 86399),
    field('secondOfMinute', (d) => d.second, (d, v) => d.set({ second: v }), 0, 59),
    field('millisOfDay', (d) => d.hour * 3_600_000 + d.minute * 60_000 + d.second * 1000 + d.millisecond, (d, v) => d.startOf('day').plus({ milliseconds: v }), 0, 86_399_999),
    field('millisOfSecond', (d) => d.millisecond, (d, v) => d.set({ millisecond: v }), 0, 999),
  ].map((f) => [f.name, f]),
);

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const dtSelf = (v: SelValue): SelDateTime => v as SelDateTime;
const sig = (name: string): string => `DateTime.${name}`;
const zoneArg = (a: SelValue[], i: number, s: string): SelZone => instance(a, i, s, SelZone, 'DateTimeZone');
const dtArg = (a: SelValue[], i: number, s: string): SelDateTime => instance(a, i, s, SelDateTime, 'DateTime');

function withDt(self: SelDateTime, dt: DateTime): SelDateTime {
  if (!dt.isValid) throw new SelFault(`IllegalArgumentException: ${dt.invalidExplanation ?? 'the result is not a valid DateTime'}`);
  return new SelDateTime(dt, self.zone);
}

const dateTimeMethods: Record<string, LibFn> = {
  toString: (_c: LibContext, a: SelValue[], s: SelValue): SelValue => {
    arity(a, sig('toString([String])'), 0, 1);
    return a.length === 0 ? dtSelf(s).toJavaString() : formatTokens(dtSelf(s).dt, compilePattern(str(a, 0, sig('toString'))));
  },
  withZone: (_c, a, s) => {
    arity(a, sig('withZone(DateTimeZone)'), 1);
    const z = zoneArg(a, 0, sig('withZone'));
    return new SelDateTime(dtSelf(s).dt.setZone(z.zone), z);
  },
  isAfter: (_c, a, s) => (arity(a, sig('isAfter(DateTime)'), 1), dtSelf(s).dt.toMillis() > dtArg(a, 0, sig('isAfter')).dt.toMillis()),
  isBefore: (_c, a, s) => (arity(a, sig('isBefore(DateTime)'), 1), dtSelf(s).dt.toMillis() < dtArg(a, 0, sig('isBefore')).dt.toMillis()),
  isEqual: (_c, a, s) => (arity(a, sig('isEqual(DateTime)'), 1), dtSelf(s).dt.toMillis() === dtArg(a, 0, sig('isEqual')).dt.toMillis()),
  equals: (_c, a, s) => {
    arity(a, sig('equals(Object)'), 1);
    const o = a[0];
    return o instanceof SelDateTime && o.dt.toMillis() === dtSelf(s).dt.toMillis() && o.zone.id === dtSelf(s).zone.id;
  },
  getMillis: (_c, a, s) => (arity(a, sig('getMillis()'), 0), BigInt(dtSelf(s).dt.toMillis())),
  getZone: (_c, a, s) => (arity(a, sig('getZone()'), 0), dtSelf(s).zone),
  withTimeAtStartOfDay: (_c, a, s) => (arity(a, sig('withTimeAtStartOfDay()'), 0), withDt(dtSelf(s), dtSelf(s).dt.startOf('day'))),
};
dateTimeMethods.toDateTime = dateTimeMethods.withZone as LibFn;

for (const unit of ['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds', 'millis'] as const) {
  const luxonUnit = unit === 'millis' ? 'milliseconds' : unit;
  for (const [verb, factor] of [['plus', 1], ['minus', -1]] as const) {
    const name = `${verb}${cap(unit)}`;
    dateTimeMethods[name] = (_c, a, s) => {
      arity(a, sig(`${name}(int)`), 1);
      return withDt(dtSelf(s), dtSelf(s).dt.plus({ [luxonUnit]: factor * int(a, 0, sig(name)) }));
    };
  }
}

for (const f of FIELDS.values()) {
  dateTimeMethods[f.name] = (_c, a, s) => (arity(a, sig(`${f.name}()`), 0), new SelProperty(dtSelf(s), f));
  dateTimeMethods[`get${cap(f.name)}`] = (_c, a, s) => (arity(a, sig(`get${cap(f.name)}()`), 0), BigInt(f.get(dtSelf(s).dt)));
  dateTimeMethods[`with${cap(f.name)}`] = (_c, a, s) => {
    arity(a, sig(`with${cap(f.name)}(int)`), 1);
    return withDt(dtSelf(s), f.set(dtSelf(s).dt, int(a, 0, sig(`with${cap(f.name)}`))));
  };
}

export const DATETIME_METHODS: MethodTable = new Map(Object.entries(dateTimeMethods));

const prop = (v: SelValue): SelProperty => v as SelProperty;

export const PROPERTY_METHODS: MethodTable = table({
  get: (_c, a, s) => (arity(a, 'Property.get()', 0), BigInt(prop(s).field.get(prop(s).owner.dt))),
  getAsText: (_c, a, s) => (arity(a, 'Property.getAsText()', 0), propertyText(prop(s), false)),
  getAsShortText: (_c, a, s) => (arity(a, 'Property.getAsShortText()', 0), propertyText(prop(s), true)),
  getAsString: (_c, a, s) => (arity(a, 'Property.getAsString()', 0), String(prop(s).field.get(prop(s).owner.dt))),
  getMinimumValue: (_c, a, s) => (arity(a, 'Property.getMinimumValue()', 0), BigInt(prop(s).field.min(prop(s).owner.dt))),
  getMaximumValue: (_c, a, s) => (arity(a, 'Property.getMaximumValue()', 0), BigInt(prop(s).field.max(prop(s).owner.dt))),
  withMinimumValue: (_c, a, s) => (arity(a, 'Property.withMinimumValue()', 0), propertySet(prop(s), prop(s).field.min(prop(s).owner.dt))),
  withMaximumValue: (_c, a, s) => (arity(a, 'Property.withMaximumValue()', 0), propertySet(prop(s), prop(s).field.max(prop(s).owner.dt))),
  setCopy: (_c, a, s) => (arity(a, 'Property.setCopy(int)', 1), propertySet(prop(s), int(a, 0, 'Property.setCopy'))),
});

function propertyText(p: SelProperty, short: boolean): string {
  return p.field.text ? p.field.text(p.owner.dt, short) : String(p.field.get(p.owner.dt));
}

function propertySet(p: SelProperty, v: number): SelDateTime {
  return withDt(p.owner, p.field.set(p.owner.dt, v));
}

const zoneSelf = (v: SelValue): SelZone => v as SelZone;

export const ZONE_METHODS: MethodTable = table({
  getOffset: (_c, a, s) => {
    arity(a, 'DateTimeZone.getOffset(DateTime)', 1);
    const v = a[0];
    const ms = v instanceof SelDateTime ? v.dt.toMillis() : Number(long(a, 0, 'DateTimeZone.getOffset'));
    return BigInt(zoneSelf(s).zone.offset(ms) * 60_000);
  },
  getID: (_c, a, s) => (arity(a, 'DateTimeZone.getID()', 0), zoneSelf(s).id),
  toString: (_c, a, s) => (arity(a, 'DateTimeZone.toString()', 0), zoneSelf(s).id),
});

export const ZONE_STATICS: MethodTable = table({
  forID: (_c, a) => (arity(a, 'DateTimeZone.forID(String)', 1), forZoneId(str(a, 0, 'DateTimeZone.forID'))),
  forOffsetHours: (_c, a) => {
    arity(a, 'DateTimeZone.forOffsetHours(int)', 1);
    const h = int(a, 0, 'DateTimeZone.forOffsetHours');
    return forZoneId(offsetText(h * 60, true, false));
  },
  getDefault: (_c, a) => (arity(a, 'DateTimeZone.getDefault()', 0), UTC),
});

export const ZONE_FIELDS = new Map<string, SelValue>([['UTC', UTC]]);

const fmtSelf = (v: SelValue): SelFormatter => v as SelFormatter;

export const FORMATTER_METHODS: MethodTable = table({
  withZone: (_c, a, s) => {
    arity(a, 'DateTimeFormatter.withZone(DateTimeZone)', 1);
    return new SelFormatter(fmtSelf(s).pattern, fmtSelf(s).tokens, zoneArg(a, 0, 'DateTimeFormatter.withZone'));
  },
  withZoneUTC: (_c, a, s) => (arity(a, 'DateTimeFormatter.withZoneUTC()', 0), new SelFormatter(fmtSelf(s).pattern, fmtSelf(s).tokens, UTC)),
  parseDateTime: (c, a, s) => {
    arity(a, 'DateTimeFormatter.parseDateTime(String)', 1);
    const v = a[0];
    const text = typeof v === 'bigint' ? v.toString() : str(a, 0, 'DateTimeFormatter.parseDateTime');
    return parseWith(fmtSelf(s), text, c);
  },
  parseMillis: (c, a, s) => (arity(a, 'DateTimeFormatter.parseMillis(String)', 1), BigInt(parseWith(fmtSelf(s), str(a, 0, 'DateTimeFormatter.parseMillis'), c).dt.toMillis())),
  print: (_c, a, s) => (arity(a, 'DateTimeFormatter.print(DateTime)', 1), printWith(fmtSelf(s), a[0] ?? null, 'DateTimeFormatter.print')),
});

export const FORMAT_STATICS: MethodTable = table({
  forPattern: (_c, a) => (arity(a, 'DateTimeFormat.forPattern(String)', 1), forPattern(str(a, 0, 'DateTimeFormat.forPattern'))),
});

export const DAYS_METHODS: MethodTable = table({
  getDays: (_c, a, s) => (arity(a, 'Days.getDays()', 0), (s as SelDays).days),
});

/** Joda's Days.daysBetween: whole days between two instants, counted in the first one's zone. */
export function daysBetween(start: SelDateTime, end: SelDateTime): bigint {
  const diff = end.dt.setZone(start.dt.zone).diff(start.dt, 'days').days;
  return BigInt(Math.trunc(diff));
}

export const DAYS_STATICS: MethodTable = table({
  daysBetween: (_c, a) => {
    arity(a, 'Days.daysBetween(DateTime, DateTime)', 2);
    return new SelDays(daysBetween(dtArg(a, 0, 'Days.daysBetween'), dtArg(a, 1, 'Days.daysBetween')));
  },
});

export const DATETIME_STATICS: MethodTable = table({
  parse: (c, a) => {
    arity(a, 'DateTime.parse(String, DateTimeFormatter)', 2);
    return parseWith(instance(a, 1, 'DateTime.parse', SelFormatter, 'DateTimeFormatter'), str(a, 0, 'DateTime.parse'), c);
  },
  now: (c, a) => (arity(a, 'DateTime.now()', 0), fromMillis(c.scope.nowMs)),
});

/** `new DateTime()`, `(long)`, `(long, zone)`, `(String[, zone])`, `(y, M, d, H, m, s, S[, zone])`. */
export const newDateTime: LibFn = (c, a) => {
  const s = 'new DateTime';
  const [first] = a;
  if (a.length === 0) return fromMillis(c.scope.nowMs);
  if (a.length <= 2) {
    const zone = a.length === 2 ? zoneArg(a, 1, s) : UTC;
    if (typeof first === 'bigint') return fromMillis(Number(first), zone);
    const text = str(a, 0, s);
    const dt = DateTime.fromISO(text, { zone: zone.zone });
    if (!dt.isValid) throw new SelFault(`IllegalArgumentException: Invalid format: "${text}"`);
    return new SelDateTime(dt, zone);
  }
  arity(a, `${s}(year, month, day, hour, minute, second, millis[, zone])`, 7, 8);
  const zone = a.length === 8 ? zoneArg(a, 7, s) : UTC;
  const [year, month, day, hour, minute, second, millisecond] = [0, 1, 2, 3, 4, 5, 6].map((i) => int(a, i, s));
  const dt = DateTime.fromObject({ year, month, day, hour, minute, second, millisecond }, { zone: zone.zone });
  if (!dt.isValid) throw new SelFault(`IllegalFieldValueException: ${dt.invalidExplanation ?? 'invalid DateTime fields'}`);
  return new SelDateTime(dt, zone);
};
