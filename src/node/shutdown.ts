/**
 * A stop with a deadline: each step is bounded by what is left of the budget (but gets at least
 * `MIN_STEP_MS`, so the connections are still closed after a handoff that used it all). A step
 * that fails or runs out of time is logged and the next one runs: a node whose servers are gone
 * still gets through its whole stop, and never hangs in one step.
 */
import type { Logger } from '../log/logger.js';
import { withTimeout } from '../retry/index.js';

const MIN_STEP_MS = 250;

export class ShutdownBudget {
  private readonly deadline: number;
  private readonly startedAtMs = Date.now();

  constructor(
    private readonly log: Logger,
    readonly timeoutMs: number,
  ) {
    this.deadline = this.startedAtMs + timeoutMs;
  }

  /** What is left of the budget (never below the per-step floor), less `reserveMs`. */
  left(reserveMs = 0): number {
    return Math.max(MIN_STEP_MS, this.deadline - reserveMs - Date.now());
  }

  /** Runs `run` for at most `budgetMs` (default: what is left); true when it finished in time. */
  async step(what: string, run: () => Promise<unknown>, budgetMs = this.left()): Promise<boolean> {
    try {
      await withTimeout(run(), budgetMs, what);
      return true;
    } catch (err) {
      this.log.warn({ err, step: what }, 'shutdown step failed or ran out of time; going on');
      return false;
    }
  }

  get elapsedMs(): number {
    return Date.now() - this.startedAtMs;
  }
}
