/**
 * Cron expressions as Maestro accepts them (utils/TriggerHelper: cron-utils, UNIX first, then
 * QUARTZ):
 * - UNIX: 5 fields `min hour day-of-month month day-of-week`; `* , - /`, month and weekday
 *   names, weekday 0-7 (0 and 7 are Sunday). No `?`, `L`, `W`, `#`.
 * - QUARTZ: 6 or 7 fields `sec min hour day-of-month month day-of-week [year]`; weekday 1-7
 *   with 1 = Sunday; day-of-month also `L`, `L-n`, `nW`, `LW`; weekday also `L`, `nL`, `n#k`;
 *   exactly one of day-of-month and day-of-week must be `?`; year 1970-2099.
 * So `0 30 * * *` is rejected: it is UNIX (5 fields) and hour 30 is outside 0-23.
 *
 * The grammar is checked here (cron-parser accepts more, e.g. `H`); the expression is then
 * rewritten in cron-parser's dialect (numeric, Sunday = 0, seconds first for Quartz) and parsed
 * by cron-parser, which also computes firing times for the minimum-interval rule. Reversed
 * ranges (`22-2`) are rejected in both dialects.
 */
import { CronExpressionParser } from 'cron-parser';
import { fail } from './reader.js';

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  /** Names for values min, min+1, ... (month, weekday). */
  names?: readonly string[];
  special?: 'dom' | 'dow';
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const UNIX: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 0, max: 7, names: DAYS },
];
const QUARTZ: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, special: 'dom' },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, special: 'dow' },
  { name: 'year', min: 1970, max: 2099 },
];

export interface MaestroCron {
  dialect: 'unix' | 'quartz';
  /** The same schedule in cron-parser's dialect. */
  normalized: string;
  /** A Quartz year field other than `*`: firings may stop, so no interval rule applies. */
  yearRestricted: boolean;
}

/** Parses `cron` as Maestro does, throwing a ValidationError at `path` that says what is wrong. */
export function parseMaestroCron(cron: string, path: string): MaestroCron {
  const fields = cron.trim().split(/\s+/);
  const bad = (msg: string): never => fail(path, `invalid cron expression '${cron}': ${msg}`);
  if (cron.trim() === '') bad('it is empty');
  let out: string[];
  let dialect: MaestroCron['dialect'];
  let yearRestricted = false;
  if (fields.length === 5) {
    dialect = 'unix';
    out = fields.map((f, i) => normalizeField(f, UNIX[i]!, false, bad));
  } else if (fields.length === 6 || fields.length === 7) {
    dialect = 'quartz';
    const [dom, dow] = [fields[3]!, fields[5]!];
    if ((dom === '?') === (dow === '?')) {
      bad("Quartz crons need '?' in exactly one of day-of-month and day-of-week");
    }
    out = fields.map((f, i) => normalizeField(f, QUARTZ[i]!, true, bad));
    yearRestricted = fields.length === 7 && fields[6] !== '*';
    out = out.slice(0, 6);
  } else {
    return bad(`expected 5 fields (unix) or 6-7 fields (Quartz, seconds first), got ${fields.length}`);
  }
  const normalized = out.join(' ');
  try {
    CronExpressionParser.parse(normalized, { tz: 'UTC' });
  } catch (e) {
    bad((e as Error).message);
  }
  return { dialect, normalized, yearRestricted };
}

function normalizeField(field: string, spec: FieldSpec, quartz: boolean, bad: (m: string) => never): string {
  const f = field.toUpperCase();
  const shift = spec.special === 'dow' ? -1 : 0; // Quartz weekday 1-7 -> cron-parser 0-6
  if (spec.special && f === '?') return '*';
  if (spec.special === 'dom') {
    if (f === 'L' || f === 'LW' || /^L-\d+$/.test(f)) {
      if (f.startsWith('L-') && Number(f.slice(2)) > 30) bad(`day-of-month offset in '${field}' must be at most 30`);
      return 'L';
    }
    const w = /^(\d+)W$/.exec(f);
    if (w) return String(value(w[1]!, spec, bad)); // nearest weekday: same firing frequency
  }
  if (spec.special === 'dow') {
    if (f === 'L') return '6'; // last day of the week: Saturday
    const l = /^(\w+)L$/.exec(f);
    if (l) return `${value(l[1]!, spec, bad) + shift}L`;
    const h = /^(\w+)#(\d+)$/.exec(f);
    if (h) {
      const k = Number(h[2]);
      if (k < 1 || k > 5) bad(`'${field}': the week number after '#' must be 1-5`);
      return `${value(h[1]!, spec, bad) + shift}#${k}`;
    }
  }
  return f.split(',').map((item) => normalizeItem(item, field, spec, quartz, shift, bad)).join(',');
}

function normalizeItem(
  item: string,
  field: string,
  spec: FieldSpec,
  quartz: boolean,
  shift: number,
  bad: (m: string) => never,
): string {
  const m = /^(\*|\w+(?:-\w+)?)(?:\/(\d+))?$/.exec(item);
  if (!m) {
    const hint = quartz ? '' : " (unix crons do not support '?', 'L', 'W' or '#')";
    return bad(`${spec.name} field '${field}' is not valid${hint}`);
  }
  const step = m[2] === undefined ? '' : `/${Number(m[2])}`;
  if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > spec.max)) {
    bad(`${spec.name} step in '${field}' must be between 1 and ${spec.max}`);
  }
  if (m[1] === '*') return `*${step}`;
  const [a, b] = m[1]!.split('-');
  const from = value(a!, spec, bad);
  if (b === undefined) return `${from + shift}${step}`;
  const to = value(b, spec, bad);
  if (from > to) bad(`${spec.name} range '${m[1]}' goes backwards`);
  return `${from + shift}-${to + shift}${step}`;
}

function value(token: string, spec: FieldSpec, bad: (m: string) => never): number {
  let n: number;
  if (/^\d+$/.test(token)) n = Number(token);
  else {
    const i = spec.names?.indexOf(token) ?? -1;
    if (i < 0) return bad(`${spec.name} value '${token}' is not a number${spec.names ? ' or a name' : ''}`);
    n = i + (spec.name === 'month' ? 1 : spec.special === 'dow' ? 1 : 0);
  }
  if (n < spec.min || n > spec.max) bad(`${spec.name} value ${n} is out of range ${spec.min}-${spec.max}`);
  return n;
}

/** How many upcoming firings the interval rule looks at; a fixed start keeps validation deterministic. */
const INTERVAL_SAMPLE = 16;
const INTERVAL_FROM = Date.UTC(2025, 0, 1);

/**
 * The smallest gap (ms) between consecutive firings among the first few after a fixed instant,
 * in `timezone`. Maestro compares the first two firings after "now"; sampling more from a fixed
 * start gives the same verdict for regular schedules and is deterministic.
 */
export function minFiringGapMs(normalized: string, timezone: string): number {
  const it = CronExpressionParser.parse(normalized, { tz: timezone, currentDate: new Date(INTERVAL_FROM) });
  const times = it.take(INTERVAL_SAMPLE).map((d) => d.getTime());
  let min = Number.POSITIVE_INFINITY;
  for (let i = 1; i < times.length; i++) min = Math.min(min, times[i]! - times[i - 1]!);
  return min;
}
