/**
 * Capped exponential backoff with "equal jitter": the n-th delay (from 0) is drawn from
 * [d/2, d] where d = min(maxMs, initialMs * factor^n). Half the delay is guaranteed, so retries
 * never bunch up at zero; the random half spreads many retrying callers apart.
 */
import { BackoffConfigError } from './errors.js';

export interface BackoffPolicy {
  /** Ceiling of the first delay. */
  initialMs: number;
  /** Largest delay. */
  maxMs: number;
  /** Growth per retry (default 2). */
  factor?: number;
}

export class Backoff {
  private attempt = 0;
  private readonly factor: number;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {
    this.factor = policy.factor ?? 2;
    if (!(policy.initialMs > 0) || !(policy.maxMs >= policy.initialMs) || !(this.factor >= 1)) {
      throw new BackoffConfigError(policy);
    }
  }

  /** The next delay in ms. */
  next(): number {
    const ceiling = Math.min(this.policy.maxMs, this.policy.initialMs * this.factor ** Math.min(this.attempt, 64));
    this.attempt++;
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  /** Delays handed out since the last reset. */
  get retries(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
