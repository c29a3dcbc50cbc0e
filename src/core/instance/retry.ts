/**
 * Retry decisions with Maestro's defaults: user (error) retries 2, platform retries 10,
 * timeout retries 0; exponential backoff base 60 s, exponent 2, capped at 600 s (user) or
 * 3600 s (platform, timeout); fixed backoff 60 s.
 */
import type { Backoff, Parsable, RetryPolicy } from '../definition/model.js';

export type RetryKind = 'user' | 'platform' | 'timeout';

export const MAESTRO_RETRY_DEFAULTS = {
  limits: { user: 2, platform: 10, timeout: 0 },
  exponential: {
    user: { base: 60, exponent: 2, limit: 600 },
    platform: { base: 60, exponent: 2, limit: 3600 },
    timeout: { base: 60, exponent: 2, limit: 3600 },
  },
  fixed: { user: 60, platform: 60, timeout: 60 },
} as const;

/** Resolves a Parsable to a number (param references are resolved by `resolve`). */
export type NumberResolver = (p: Parsable, path: string) => number;

export function retryLimit(policy: RetryPolicy | undefined, kind: RetryKind, num: NumberResolver): number {
  const p =
    kind === 'user' ? policy?.errorRetryLimit : kind === 'platform' ? policy?.platformRetryLimit : policy?.timeoutRetryLimit;
  return p === undefined ? MAESTRO_RETRY_DEFAULTS.limits[kind] : num(p, `retry_policy.${kind}_retry_limit`);
}

/** Delay before retry number `retryNumber` (1 = first retry), in ms. */
export function backoffMs(policy: RetryPolicy | undefined, kind: RetryKind, retryNumber: number, num: NumberResolver): number {
  const b: Backoff = policy?.backoff ?? { type: 'EXPONENTIAL_BACKOFF' };
  const field = kind === 'user' ? 'error' : kind;
  const get = (name: string): Parsable | undefined => (b as unknown as Record<string, Parsable | undefined>)[name];
  if (b.type === 'FIXED_BACKOFF') {
    const v = get(`${field}RetryBackoffInSecs`);
    return 1000 * (v === undefined ? MAESTRO_RETRY_DEFAULTS.fixed[kind] : num(v, `backoff.${field}_retry_backoff_in_secs`));
  }
  const d = MAESTRO_RETRY_DEFAULTS.exponential[kind];
  const base = get(`${field}RetryBackoffInSecs`);
  const exp = get(`${field}RetryExponent`);
  const lim = get(`${field}RetryLimitInSecs`);
  const baseS = base === undefined ? d.base : num(base, `backoff.${field}_retry_backoff_in_secs`);
  const expN = exp === undefined ? d.exponent : num(exp, `backoff.${field}_retry_exponent`);
  const limS = lim === undefined ? d.limit : num(lim, `backoff.${field}_retry_limit_in_secs`);
  return 1000 * Math.min(baseS * Math.pow(expN, Math.max(0, retryNumber - 1)), limS);
}
