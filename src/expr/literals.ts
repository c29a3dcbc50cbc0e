/** Converts SEL literal token images to values (Maestro's SelLong.of / SelDouble.of / SelTypeUtil.preprocess). */
import { LONG_MAX } from './values.js';

/**
 * Integer literal to long. Like Maestro (Long.parseLong of the image), a leading zero does not
 * mean octal: `010` is ten. Hex literals follow Java. Returns undefined when out of range.
 */
export function integerLiteral(image: string): bigint | undefined {
  const digits = /[lL]$/.test(image) ? image.slice(0, -1) : image;
  const value = /^0[xX]/.test(digits) ? BigInt(digits) : BigInt(digits.replace(/^0+(?=\d)/, ''));
  if (/^0[xX]/.test(digits)) {
    if (value > 0xffff_ffff_ffff_ffffn) return undefined;
    return BigInt.asIntN(64, value);
  }
  return value > LONG_MAX ? undefined : value;
}

export function floatLiteral(image: string): number {
  return Number(/[fFdD]$/.test(image) ? image.slice(0, -1) : image);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n', t: '\t', b: '\b', r: '\r', f: '\f', '\\': '\\', "'": "'", '"': '"',
};

/** Strips the quotes of a string literal and processes Java escapes (simple, octal, \uXXXX). */
export function stringLiteral(image: string): string {
  const body = image.slice(1, -1);
  if (!body.includes('\\')) return body;
  return body.replace(/\\(?:([ntbrf\\'"])|([0-3][0-7]{2}|[0-7]{1,2})|u+([0-9a-fA-F]{4}))/g, (_m, simple?: string, octal?: string, hex?: string) => {
    if (simple !== undefined) return SIMPLE_ESCAPES[simple] ?? simple;
    if (octal !== undefined) return String.fromCharCode(parseInt(octal, 8));
    return String.fromCharCode(parseInt(hex ?? '0', 16));
  });
}
