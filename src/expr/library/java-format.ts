/**
 * Java's String.format (java.util.Formatter) for the conversions SEL scripts use:
 * %s %S %d %f %e %E %x %X %o %b %B %c %n %%, with argument indexes (`%2$s`, `%<s`), width,
 * precision and the flags `-`, `0`, `+`, ` `, `,` and `(`. Floating point rounds HALF_UP on the
 * shortest decimal representation, as Java does.
 */
import { SelFault } from '../errors.js';
import type { SelLimits } from '../limits.js';
import { checkSize } from '../budget.js';
import { javaString, typeNameOf, type SelValue } from '../values.js';

const SPEC = /%(?:(\d+)\$|(<))?([-#+ 0,(]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g;

export function javaFormat(format: string, args: SelValue[], limits: SelLimits): string {
  let next = 0;
  let previous = -1;
  const out = format.replace(SPEC, (spec: string, index?: string, relative?: string, flags = '', width?: string, precision?: string, conv = 's') => {
    if (conv === 'n') return '\n';
    if (conv === '%') return pad('%', flags, width, limits);
    const at = relative ? previous : index ? Number(index) - 1 : next++;
    if (at < 0 || at >= args.length) throw new SelFault(`MissingFormatArgumentException: Format specifier '${spec}'`);
    previous = at;
    const arg = args[at] as SelValue;
    return pad(convert(conv, arg, flags, precision === undefined ? undefined : Number(precision), spec), flags, width, limits);
  });
  checkSize(limits, 'stringLength', out.length);
  return out;
}

function pad(s: string, flags: string, width: string | undefined, limits: SelLimits): string {
  const w = width === undefined ? 0 : Number(width);
  if (s.length >= w) return s;
  checkSize(limits, 'stringLength', w);
  if (flags.includes('-')) return s.padEnd(w);
  if (flags.includes('0') && /^[-+ (]?[0-9]/.test(s)) {
    const sign = /^[-+ (]/.test(s) ? s.charAt(0) : '';
    return sign + s.slice(sign.length).padStart(w - sign.length, '0');
  }
  return s.padStart(w);
}

function mismatch(conv: string, arg: SelValue): never {
  throw new SelFault(`IllegalFormatConversionException: ${conv} != ${typeNameOf(arg)}`);
}

function convert(conv: string, arg: SelValue, flags: string, precision: number | undefined, spec: string): string {
  switch (conv) {
    case 's':
    case 'S': {
      const s = precision === undefined ? javaString(arg) : javaString(arg).slice(0, precision);
      return conv === 'S' ? s.toUpperCase() : s;
    }
    case 'b':
    case 'B': {
      const s = arg === null ? 'false' : typeof arg === 'boolean' ? String(arg) : 'true';
      return conv === 'B' ? s.toUpperCase() : s;
    }
    case 'c':
      if (typeof arg === 'bigint' && arg >= 0n && arg <= 0x10ffffn) return String.fromCodePoint(Number(arg));
      if (typeof arg === 'string' && arg.length === 1) return arg;
      return mismatch(conv, arg);
    case 'd':
      if (typeof arg !== 'bigint') return mismatch(conv, arg);
      return signed(arg < 0n, group((arg < 0n ? -arg : arg).toString(), flags), flags);
    case 'x':
    case 'X':
    case 'o': {
      if (typeof arg !== 'bigint') return mismatch(conv, arg);
      const s = BigInt.asUintN(64, arg).toString(conv === 'o' ? 8 : 16);
      return conv === 'X' ? s.toUpperCase() : s;
    }
    case 'f':
    case 'e':
    case 'E': {
      if (typeof arg !== 'number') return mismatch(conv, arg);
      if (!Number.isFinite(arg)) return signed(arg < 0, Number.isNaN(arg) ? 'NaN' : 'Infinity', flags);
      const p = precision ?? 6;
      const body = conv === 'f' ? group(fixedHalfUp(Math.abs(arg), p), flags) : scientificHalfUp(Math.abs(arg), p, conv === 'E');
      return signed(arg < 0 || Object.is(arg, -0), body, flags);
    }
    default:
      throw new SelFault(`UnknownFormatConversionException: unsupported conversion in '${spec}'`);
  }
}

function signed(negative: boolean, body: string, flags: string): string {
  if (negative) return flags.includes('(') ? `(${body})` : `-${body}`;
  if (flags.includes('+')) return `+${body}`;
  if (flags.includes(' ')) return ` ${body}`;
  return body;
}

function group(digits: string, flags: string): string {
  if (!flags.includes(',')) return digits;
  const [int = '', frac] = digits.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

/** The shortest decimal digits of a finite non-negative number and its decimal exponent. */
function decimalDigits(n: number): { digits: string; exp: number } {
  const [m = '0', e = '0'] = n.toExponential().split('e');
  return { digits: m.replace('.', ''), exp: Number(e) };
}

/** Rounds a digit string HALF_UP to `keep` digits; on a carry the result has keep + 1 digits. */
function roundDigits(digits: string, keep: number): { digits: string; carried: boolean } {
  if (keep < 0) return { digits: '', carried: false };
  if (digits.length <= keep) return { digits: digits.padEnd(keep, '0'), carried: false };
  const head = digits.slice(0, keep);
  if ((digits.charCodeAt(keep) - 48) < 5) return { digits: head, carried: false };
  const up = (BigInt(head === '' ? '0' : head) + 1n).toString().padStart(keep, '0');
  return { digits: up, carried: up.length > keep };
}

export function fixedHalfUp(n: number, precision: number): string {
  if (n === 0) return precision > 0 ? `0.${'0'.repeat(precision)}` : '0';
  const { digits, exp } = decimalDigits(n);
  const intDigits = exp + 1;
  const keep = intDigits + precision;
  const rounded = roundDigits(digits, keep);
  let r = rounded.digits;
  const ints = intDigits + (rounded.carried ? 1 : 0);
  if (keep < 0 || r === '') r = '0'.repeat(precision + Math.max(ints, 0));
  const whole = ints > 0 ? r.slice(0, ints) : '0';
  const frac = ints > 0 ? r.slice(ints) : `${'0'.repeat(-ints)}${r}`.slice(0, precision);
  return precision > 0 ? `${whole}.${frac.padEnd(precision, '0')}` : whole;
}

function scientificHalfUp(n: number, precision: number, upper: boolean): string {
  let { digits, exp } = decimalDigits(n);
  if (n === 0) exp = 0;
  const rounded = roundDigits(digits, precision + 1);
  digits = rounded.carried ? rounded.digits.slice(0, precision + 1) : rounded.digits;
  if (rounded.carried) exp++;
  const mantissa = precision > 0 ? `${digits.charAt(0)}.${digits.slice(1)}` : digits.charAt(0);
  const e = `${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return `${mantissa}${upper ? 'E' : 'e'}${e}`;
}
