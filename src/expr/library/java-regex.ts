/**
 * Java regular expressions (String.split, replaceAll, replaceFirst, matches) on V8's
 * linear-time regexp engine, so a user pattern can never backtrack catastrophically and hang the
 * process (the wall-time limit cannot interrupt a running RegExp).
 *
 * Invariants and failure modes:
 * - The linear engine is enabled once per process with the V8 flag
 *   `--enable-experimental-regexp-engine`, which only adds the `l` RegExp flag and changes no
 *   other regexp.
 * - Patterns the linear engine cannot run because of a flag or a large counted repetition (and
 *   all patterns, if the V8 flag cannot be enabled) run on the backtracking engine only when they
 *   have no backreference, lookaround, or quantified group containing a quantifier or an
 *   alternation (the shapes that backtrack exponentially).
 * - Java-only syntax (possessive quantifiers, atomic groups, \p{...} classes, inline flags other
 *   than a leading (?i)) is refused with an error naming it rather than silently misread.
 */
import { setFlagsFromString } from 'node:v8';
import { SelFault } from '../errors.js';
import type { SelLimits } from '../limits.js';
import { checkSize } from '../budget.js';

let linear: boolean | undefined;

function linearEngine(): boolean {
  if (linear === undefined) {
    try {
      setFlagsFromString('--enable-experimental-regexp-engine');
      new RegExp('a', 'l');
      linear = true;
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e; // this V8 has no linear engine ('l' is an invalid flag)
      linear = false;
    }
  }
  return linear;
}

const cache = new Map<string, RegExp>();
const CACHE_MAX = 256;

/** Compiles a Java pattern to a JS RegExp (global when `global`), or throws a SelFault. */
function javaRegex(pattern: string, global: boolean, anchored = false): RegExp {
  const key = `${global ? 'g' : '-'}${anchored ? 'a' : '-'}${pattern}`;
  const hit = cache.get(key);
  if (hit) {
    hit.lastIndex = 0;
    return hit;
  }
  let source = pattern;
  let flags = global ? 'g' : '';
  if (source.startsWith('(?i)')) {
    source = source.slice(4);
    flags += 'i';
  }
  source = source.replace(/\\Q([\s\S]*?)(?:\\E|$)/g, (_m, lit: string) => lit.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'));
  const unsupported = /\(\?[^:=!<]|\(\?<[=!]|[*+?}]\+|\\[pPQEGZAz]/.exec(source);
  if (unsupported) throw new SelFault(`unsupported Java regex syntax '${unsupported[0]}' in pattern "${pattern}"`);
  if (anchored) source = `^(?:${source})$`;
  let re: RegExp;
  try {
    re = compile(source, flags);
  } catch (e) {
    const reason = e instanceof Error && /linear time/.test(e.message) ? 'it could backtrack without bound (backreferences, lookarounds and nested quantifiers are not allowed)' : 'it is not a valid regular expression';
    throw new SelFault(`regex "${pattern}" is refused: ${reason}`, { cause: e });
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(key, re);
  return re;
}

/** Backreferences, lookarounds, and quantified groups that contain a quantifier or alternation. */
const BACKTRACKING = [/\\[1-9]|\\k<|\(\?<?[=!]/, /\((?:[^()\\]|\\.)*(?:[*+?}|])(?:[^()\\]|\\.)*\)[*+?{]/];

/**
 * Compiles on the linear-time engine when it can run the pattern; otherwise (case-insensitive
 * flag, large counted repetitions, or no linear engine) only patterns without the shapes that
 * backtrack super-linearly are compiled on the backtracking engine.
 */
function compile(source: string, flags: string): RegExp {
  if (linearEngine()) {
    try {
      return new RegExp(source, `${flags}l`);
    } catch (e) {
      if (!(e instanceof SyntaxError && /linear time/.test(e.message))) throw e;
    }
  }
  if (BACKTRACKING.some((re) => re.test(source))) throw new SyntaxError('Cannot be executed in linear time');
  return new RegExp(source, flags);
}

/** Longest subject a pattern may scan on the backtracking engine (its worst case is polynomial). */
const BACKTRACKING_SUBJECT_MAX = 10_000;

/** The compiled pattern, refusing long subjects when it is not on the linear engine. */
function regexFor(pattern: string, subject: string, global: boolean, anchored = false): RegExp {
  const re = javaRegex(pattern, global, anchored);
  if (!re.flags.includes('l') && subject.length > BACKTRACKING_SUBJECT_MAX) {
    throw new SelFault(
      `regex "${pattern}" needs the backtracking engine (case-insensitive or large repetition), which SEL runs only on strings up to ${BACKTRACKING_SUBJECT_MAX} characters; this one has ${subject.length}`,
    );
  }
  return re;
}

const REGEX_META = '.$|()[{^?*+\\';

/** Java's String.split(regex, limit), including its fast path and trailing-empty removal. */
export function javaSplit(s: string, pattern: string, limit: number, limits: SelLimits): string[] {
  const parts: string[] = [];
  let index = 0;
  const push = (end: number, next: number): void => {
    parts.push(s.substring(index, end));
    checkSize(limits, 'arraySize', parts.length);
    index = next;
  };
  const literal =
    (pattern.length === 1 && !REGEX_META.includes(pattern)) ||
    (pattern.length === 2 && pattern[0] === '\\' && !/[0-9A-Za-z]/.test(pattern[1] ?? '0'));
  if (literal) {
    const sep = pattern.length === 1 ? pattern : pattern.charAt(1);
    for (let at = s.indexOf(sep); at >= 0; at = s.indexOf(sep, index)) {
      if (limit > 0 && parts.length >= limit - 1) break;
      push(at, at + 1);
    }
  } else {
    for (const m of s.matchAll(regexFor(pattern, s, true))) {
      if (limit > 0 && parts.length >= limit - 1) break;
      if (m.index === 0 && m[0].length === 0) continue;
      push(m.index, m.index + m[0].length);
    }
  }
  if (index === 0 && parts.length === 0) return [s];
  parts.push(s.substring(index));
  if (limit === 0) while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Java's Matcher replacement syntax (`$1`, `${name}`, `\$`) to JS's (`$1`, `$<name>`, `$$`). */
export function javaReplacement(replacement: string): string {
  let out = '';
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement.charAt(i);
    if (c === '\\') {
      i++;
      if (i >= replacement.length) throw new SelFault('character to be escaped is missing in the replacement');
      const next = replacement.charAt(i);
      out += next === '$' ? '$$' : next;
    } else if (c === '$') {
      const named = /^\{([A-Za-z][A-Za-z0-9]*)\}/.exec(replacement.slice(i + 1));
      const digits = /^\d+/.exec(replacement.slice(i + 1));
      if (named) {
        out += `$<${named[1]}>`;
        i += named[0].length;
      } else if (digits) {
        out += `$${digits[0]}`;
        i += digits[0].length;
      } else {
        throw new SelFault(`illegal group reference in the replacement "${replacement}"`);
      }
    } else {
      out += c;
    }
  }
  return out;
}

export function javaReplaceRegex(s: string, pattern: string, replacement: string, all: boolean, limits: SelLimits): string {
  const out = s.replace(regexFor(pattern, s, all), javaReplacement(replacement));
  checkSize(limits, 'stringLength', out.length);
  return out;
}

export function javaMatches(s: string, pattern: string): boolean {
  return regexFor(pattern, s, false, true).test(s);
}
