/**
 * A typed step's retry_policy (Maestro's RetryPolicy and RetryPolicyConstraint): retry limits
 * 0..99; backoff waits and caps 1 s..1 day (a string may be a duration such as "1 min");
 * exponents >= 0. Values referencing params are checked at run time.
 */
import type { Backoff, Parsable, RetryPolicy } from './model.js';
import { checkParsableCount, checkParsableSeconds, readParsable } from './duration.js';
import { MAX_RETRY_LIMIT, MAX_RETRY_WAIT_SECS } from './limits.js';
import { checkKeys, join, optional, readEnum, readObject, required, type JsonObject } from './reader.js';

type BackoffField = Exclude<keyof Backoff, 'type'>;

const FIXED_FIELDS: ReadonlyArray<[string, BackoffField]> = [
  ['error_retry_backoff_in_secs', 'errorRetryBackoffInSecs'],
  ['platform_retry_backoff_in_secs', 'platformRetryBackoffInSecs'],
  ['timeout_retry_backoff_in_secs', 'timeoutRetryBackoffInSecs'],
];
const EXPONENTIAL_FIELDS: ReadonlyArray<[string, BackoffField]> = [
  ...FIXED_FIELDS,
  ['error_retry_exponent', 'errorRetryExponent'],
  ['error_retry_limit_in_secs', 'errorRetryLimitInSecs'],
  ['platform_retry_exponent', 'platformRetryExponent'],
  ['platform_retry_limit_in_secs', 'platformRetryLimitInSecs'],
  ['timeout_retry_exponent', 'timeoutRetryExponent'],
  ['timeout_retry_limit_in_secs', 'timeoutRetryLimitInSecs'],
];
/** JSON name <-> model name of every backoff field, for rendering. */
export const BACKOFF_FIELDS = EXPONENTIAL_FIELDS;

const LIMITS: ReadonlyArray<[string, 'errorRetryLimit' | 'platformRetryLimit' | 'timeoutRetryLimit']> = [
  ['error_retry_limit', 'errorRetryLimit'],
  ['platform_retry_limit', 'platformRetryLimit'],
  ['timeout_retry_limit', 'timeoutRetryLimit'],
];
export const RETRY_LIMIT_FIELDS = LIMITS;

export function readRetryPolicy(v: unknown, path: string): RetryPolicy {
  const o = readObject(v, path);
  checkKeys(o, [...LIMITS.map(([j]) => j), 'backoff'], path);
  const policy: RetryPolicy = {};
  for (const [json, field] of LIMITS) {
    const p = optional(o, json, path, readParsable);
    if (p === undefined) continue;
    checkParsableCount(p, join(path, json), 0, MAX_RETRY_LIMIT);
    policy[field] = p;
  }
  const backoff = optional(o, 'backoff', path, readBackoff);
  if (backoff !== undefined) policy.backoff = backoff;
  return policy;
}

function readBackoff(v: unknown, path: string): Backoff {
  const o: JsonObject = readObject(v, path);
  const type = required(o, 'type', path, readEnum(['EXPONENTIAL_BACKOFF', 'FIXED_BACKOFF'] as const, 'backoff type'));
  const fields = type === 'FIXED_BACKOFF' ? FIXED_FIELDS : EXPONENTIAL_FIELDS;
  checkKeys(o, ['type', ...fields.map(([j]) => j)], path);
  const backoff: Backoff = { type };
  for (const [json, field] of fields) {
    const p: Parsable | undefined = optional(o, json, path, readParsable);
    if (p === undefined) continue;
    const fp = join(path, json);
    if (field.endsWith('Exponent')) checkParsableCount(p, fp, 0, 2 ** 31 - 1);
    else checkParsableSeconds(p, fp, 1, MAX_RETRY_WAIT_SECS);
    backoff[field] = p;
  }
  return backoff;
}
