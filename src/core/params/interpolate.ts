/**
 * Maestro's string interpolation (LiteralEvaluator), scanned left to right:
 *
 * - `$name` (a letter, then letters, digits, `_`) and `${name}` (also `-`, `.`, `/`) are replaced
 *   by the param's value; a missing param is an error, never left as is.
 * - `$$` is an escaped `$`: `$$` -> `$`, `$$foo` -> `$foo`, `$${foo}` -> `${foo}`.
 * - Any other `$` stays.
 *
 * Values print as Maestro prints them: DOUBLE like Java (`1.0`), arrays and maps as JSON.
 */
import type { TypedValue } from '../expr-port.js';
import { javaDouble } from './coerce.js';
import { ParamEvaluationError } from './errors.js';

type Lookup = (name: string) => TypedValue | undefined;

interface Token {
  kind: 'text' | 'var';
  text: string;
}

const BRACED = /^\$\{([a-zA-Z][-_./a-zA-Z0-9]*)\}/;
const BARE = /^\$([a-zA-Z][_a-zA-Z0-9]*)/;

function tokenize(template: string): Token[] {
  const out: Token[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c !== '$') {
      text += c;
      i++;
      continue;
    }
    const rest = template.slice(i);
    const v = BRACED.exec(rest) ?? BARE.exec(rest);
    if (v) {
      if (text) out.push({ kind: 'text', text });
      text = '';
      out.push({ kind: 'var', text: v[1]! });
      i += v[0].length;
      continue;
    }
    if (template[i + 1] === '$') {
      const escaped = BRACED.exec(rest.slice(1)) ?? BARE.exec(rest.slice(1));
      text += escaped ? escaped[0] : '$';
      i += escaped ? 1 + escaped[0].length : 2;
      continue;
    }
    text += '$';
    i++;
  }
  if (text) out.push({ kind: 'text', text });
  return out;
}

/** Names that `template` references (in order, without duplicates). */
export function referencedNames(template: string): string[] {
  return [...new Set(tokenize(template).filter((t) => t.kind === 'var').map((t) => t.text))];
}

/** A param value as interpolation prints it. */
export function formatValue(v: TypedValue): string {
  switch (v.type) {
    case 'STRING':
      return String(v.value);
    case 'DOUBLE':
      return javaDouble(v.value as number);
    case 'LONG':
    case 'BOOLEAN':
      return String(v.value);
    case 'DOUBLE_ARRAY':
      return `[${(v.value as number[]).map(javaDouble).join(',')}]`;
    default:
      return JSON.stringify(v.value);
  }
}

/** Replaces `$var`/`${var}` from `lookup` and unescapes `$$`; throws naming `path` when a param is missing. */
export function interpolate(template: string, lookup: Lookup, path = ''): string {
  if (!template.includes('$')) return template;
  let out = '';
  for (const t of tokenize(template)) {
    if (t.kind === 'text') {
      out += t.text;
      continue;
    }
    const v = lookup(t.text);
    if (v === undefined) {
      throw new ParamEvaluationError(path, `cannot interpolate ${JSON.stringify(template)}: param [${t.text}] is not found`);
    }
    out += formatValue(v);
  }
  return out;
}
