/**
 * Joda-Time DateTimeFormat patterns (`yyyyMMdd`, `EEEE`, `HH:mm:ss.SSS Z`...) printed and parsed
 * over luxon DateTimes. Patterns are compiled into tokens once; printing reads luxon's fields;
 * parsing follows Joda's rules: a numeric field followed by another numeric field is read with
 * at most its pattern width ("yyyyMMddHH"), otherwise greedily; the whole text must be consumed;
 * field values are range-checked; a parsed offset or zone only fixes the instant, and the result
 * is in the formatter's zone (UTC when it has none).
 */
import { DateTime, FixedOffsetZone, type Zone } from 'luxon';
import { SelFault } from '../errors.js';

export type FmtToken = { kind: 'literal'; text: string } | { kind: 'field'; letter: string; count: number };

const LETTERS = new Set([...'GCYxweEyDMdaKhHkmsSzZ']);
const NUMERIC = new Set([...'CYxweyDdKhHkmsS']);

export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

export function compilePattern(pattern: string): FmtToken[] {
  const tokens: FmtToken[] = [];
  const literal = (text: string): void => {
    const last = tokens[tokens.length - 1];
    if (last?.kind === 'literal') last.text += text;
    else tokens.push({ kind: 'literal', text });
  };
  for (let i = 0; i < pattern.length; ) {
    const c = pattern.charAt(i);
    if (c === "'") {
      if (pattern.charAt(i + 1) === "'") {
        literal("'");
        i += 2;
        continue;
      }
      let text = '';
      let j = i + 1;
      for (; j < pattern.length; j++) {
        if (pattern.charAt(j) !== "'") text += pattern.charAt(j);
        else if (pattern.charAt(j + 1) === "'") text += pattern.charAt(j++);
        else break;
      }
      if (j >= pattern.length) throw new SelFault(`IllegalArgumentException: unterminated quote in pattern "${pattern}"`);
      literal(text);
      i = j + 1;
    } else if (/[A-Za-z]/.test(c)) {
      if (!LETTERS.has(c)) throw new SelFault(`IllegalArgumentException: Illegal pattern component: ${c}`);
      let j = i;
      while (pattern.charAt(j) === c) j++;
      tokens.push({ kind: 'field', letter: c, count: j - i });
      i = j;
    } else {
      literal(c);
      i++;
    }
  }
  return tokens;
}

function isNumeric(t: FmtToken | undefined): boolean {
  return t?.kind === 'field' && (NUMERIC.has(t.letter) || (t.letter === 'M' && t.count <= 2));
}

const pad = (n: number, width: number): string => (n < 0 ? `-${String(-n).padStart(width, '0')}` : String(n).padStart(width, '0'));

export function offsetText(minutes: number, colon: boolean, zeroAsZ: boolean): string {
  if (minutes === 0 && zeroAsZ) return 'Z';
  const abs = Math.abs(minutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${minutes < 0 ? '-' : '+'}${hh}${colon ? ':' : ''}${mm}`;
}

function printField(dt: DateTime, letter: string, count: number): string {
  switch (letter) {
    case 'G':
      return dt.year > 0 ? 'AD' : 'BC';
    case 'C':
      return pad(Math.floor(Math.abs(dt.year) / 100), count);
    case 'y':
    case 'Y':
      return count === 2 ? pad(((dt.year % 100) + 100) % 100, 2) : pad(dt.year, count);
    case 'x':
      return count === 2 ? pad(((dt.weekYear % 100) + 100) % 100, 2) : pad(dt.weekYear, count);
    case 'w':
      return pad(dt.weekNumber, count);
    case 'e':
      return pad(dt.weekday, count);
    case 'E': {
      const name = WEEKDAYS[dt.weekday - 1] ?? '';
      return count >= 4 ? name : name.slice(0, 3);
    }
    case 'D':
      return pad(dt.ordinal, count);
    case 'M': {
      if (count <= 2) return pad(dt.month, count);
      const name = MONTHS[dt.month - 1] ?? '';
      return count >= 4 ? name : name.slice(0, 3);
    }
    case 'd':
      return pad(dt.day, count);
    case 'a':
      return dt.hour < 12 ? 'AM' : 'PM';
    case 'K':
      return pad(dt.hour % 12, count);
    case 'h':
      return pad(dt.hour % 12 === 0 ? 12 : dt.hour % 12, count);
    case 'H':
      return pad(dt.hour, count);
    case 'k':
      return pad(dt.hour === 0 ? 24 : dt.hour, count);
    case 'm':
      return pad(dt.minute, count);
    case 's':
      return pad(dt.second, count);
    case 'S': {
      const ms = String(dt.millisecond).padStart(3, '0');
      return count <= 3 ? ms.slice(0, count) : ms.padEnd(count, '0');
    }
    case 'z': {
      const named = dt.setLocale('en-US');
      return (count >= 4 ? named.offsetNameLong : named.offsetNameShort) ?? offsetText(dt.offset, true, false);
    }
    default:
      return count >= 3 ? dt.zoneName ?? offsetText(dt.offset, true, false) : offsetText(dt.offset, count === 2, false);
  }
}

export function formatTokens(dt: DateTime, tokens: readonly FmtToken[]): string {
  let out = '';
  for (const t of tokens) out += t.kind === 'literal' ? t.text : printField(dt, t.letter, t.count);
  return out;
}

interface Parsed {
  year?: number;
  twoDigitYear?: number;
  month?: number;
  day?: number;
  ordinal?: number;
  weekYear?: number;
  weekNumber?: number;
  weekday?: number;
  hour?: number;
  hour12?: number;
  pm?: boolean;
  minute?: number;
  second?: number;
  millisecond?: number;
  zone?: Zone;
}

const RANGES: [keyof Parsed, string, number, number][] = [
  ['month', 'monthOfYear', 1, 12],
  ['hour', 'hourOfDay', 0, 23],
  ['minute', 'minuteOfHour', 0, 59],
  ['second', 'secondOfMinute', 0, 59],
  ['weekday', 'dayOfWeek', 1, 7],
  ['weekNumber', 'weekOfWeekyear', 1, 53],
  ['ordinal', 'dayOfYear', 1, 366],
];

/**
 * Parses `text` with `tokens`. `zone` is the formatter's zone (UTC when undefined); `nowYear`
 * anchors two-digit years the way Joda does (pivot = now - 30).
 */
export function parseTokens(text: string, tokens: readonly FmtToken[], zone: Zone | undefined, nowYear: number, resolveZone: (id: string) => Zone): DateTime {
  const p: Parsed = {};
  let i = 0;
  const malformed = (): never => {
    throw new SelFault(i >= text.length ? `IllegalArgumentException: Invalid format: "${text}" is too short` : `IllegalArgumentException: Invalid format: "${text}" is malformed at "${text.slice(i)}"`);
  };
  const digits = (max: number, signed: boolean): number => {
    const m = new RegExp(`^${signed ? '[-+]?' : ''}\\d{1,${max}}`).exec(text.slice(i));
    if (!m) return malformed();
    i += m[0].length;
    return Number(m[0]);
  };
  const oneOf = (names: string[]): number => {
    const rest = text.slice(i).toLowerCase();
    for (const [idx, name] of names.entries()) {
      for (const candidate of [name, name.slice(0, 3)]) {
        if (rest.startsWith(candidate.toLowerCase())) {
          i += candidate.length;
          return idx + 1;
        }
      }
    }
    return malformed();
  };
  for (const [k, t] of tokens.entries()) {
    if (t.kind === 'literal') {
      if (text.slice(i, i + t.text.length).toLowerCase() !== t.text.toLowerCase()) malformed();
      i += t.text.length;
      continue;
    }
    const fixed = isNumeric(tokens[k + 1]);
    const width = (min: number): number => (fixed ? t.count : Math.max(t.count, min));
    switch (t.letter) {
      case 'y':
      case 'Y':
      case 'x': {
        let year: number;
        if (t.count === 2 && (fixed || !/^\d{3}|^[-+]/.test(text.slice(i)))) {
          const yy = digits(2, false);
          const low = nowYear - 30 - 49;
          year = low + ((((yy - (low % 100)) % 100) + 100) % 100);
        } else {
          year = digits(fixed ? t.count : 9, true);
        }
        if (t.letter === 'x') p.weekYear = year;
        else p.year = year;
        break;
      }
      case 'M':
        p.month = t.count >= 3 ? oneOf(MONTHS) : digits(width(2), false);
        break;
      case 'd':
        p.day = digits(width(2), false);
        break;
      case 'D':
        p.ordinal = digits(width(3), false);
        break;
      case 'w':
        p.weekNumber = digits(width(2), false);
        break;
      case 'e':
        p.weekday = digits(width(1), false);
        break;
      case 'E':
        p.weekday = oneOf(WEEKDAYS);
        break;
      case 'H':
        p.hour = digits(width(2), false);
        break;
      case 'k':
        p.hour = digits(width(2), false) % 24;
        break;
      case 'h':
      case 'K':
        p.hour12 = digits(width(2), false) % 12;
        break;
      case 'a':
        p.pm = oneOf(['AM', 'PM']) === 2;
        break;
      case 'm':
        p.minute = digits(width(2), false);
        break;
      case 's':
        p.second = digits(width(2), false);
        break;
      case 'S': {
        const start = i;
        digits(fixed ? t.count : 9, false);
        p.millisecond = Number(text.slice(start, i).padEnd(3, '0').slice(0, 3));
        break;
      }
      case 'G':
        if (oneOf(['AD', 'BC']) === 2) throw new SelFault('IllegalArgumentException: BC years are not supported');
        break;
      case 'Z': {
        if (t.count >= 3) {
          const m = /^[A-Za-z0-9_/+-]+/.exec(text.slice(i));
          if (!m) return malformed();
          p.zone = resolveZone(m[0]);
          i += m[0].length;
          break;
        }
        if (text.charAt(i) === 'Z' || text.charAt(i) === 'z') {
          p.zone = FixedOffsetZone.utcInstance;
          i++;
          break;
        }
        const m = /^([-+])(\d{2}):?(\d{2})?/.exec(text.slice(i));
        if (!m) return malformed();
        i += m[0].length;
        const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0);
        p.zone = FixedOffsetZone.instance(m[1] === '-' ? -minutes : minutes);
        break;
      }
      default:
        throw new SelFault(`UnsupportedOperationException: parsing the pattern letter '${t.letter}' is not supported`);
    }
  }
  if (i < text.length) malformed();
  return build(p, text, zone);
}

function build(p: Parsed, text: string, zone: Zone | undefined): DateTime {
  const target = zone ?? FixedOffsetZone.utcInstance;
  if (p.hour12 !== undefined) p.hour = p.hour12 + (p.pm ? 12 : 0);
  else if (p.pm !== undefined && p.hour !== undefined && p.pm && p.hour < 12) p.hour += 12;
  for (const [key, field, min, max] of RANGES) {
    const v = p[key];
    if (typeof v === 'number' && (v < min || v > max)) {
      throw new SelFault(`IllegalFieldValueException: Cannot parse "${text}": Value ${v} for ${field} must be in the range [${min},${max}]`);
    }
  }
  const time = { hour: p.hour ?? 0, minute: p.minute ?? 0, second: p.second ?? 0, millisecond: p.millisecond ?? 0 };
  const opts = { zone: p.zone ?? target };
  let dt: DateTime;
  if (p.weekNumber !== undefined || (p.weekYear !== undefined && p.month === undefined)) {
    dt = DateTime.fromObject({ weekYear: p.weekYear ?? p.year ?? 1970, weekNumber: p.weekNumber ?? 1, weekday: (p.weekday ?? 1) as 1, ...time }, opts);
  } else if (p.ordinal !== undefined) {
    dt = DateTime.fromObject({ year: p.year ?? 1970, ordinal: p.ordinal, ...time }, opts);
  } else {
    const year = p.year ?? 1970;
    const month = p.month ?? 1;
    const day = p.day ?? 1;
    const days = DateTime.fromObject({ year, month, day: 1 }, opts).daysInMonth ?? 31;
    if (day < 1 || day > days) {
      throw new SelFault(`IllegalFieldValueException: Cannot parse "${text}": Value ${day} for dayOfMonth must be in the range [1,${days}]`);
    }
    dt = DateTime.fromObject({ year, month, day, ...time }, opts);
  }
  if (!dt.isValid) throw new SelFault(`IllegalArgumentException: Cannot parse "${text}": ${dt.invalidExplanation ?? dt.invalidReason ?? 'invalid date'}`);
  return dt.setZone(target);
}
