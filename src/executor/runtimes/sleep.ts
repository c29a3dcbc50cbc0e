import type { StepResult, StepRuntime, StepTask } from '../runtime.js';
import { abortableDelay } from './abortable-delay.js';

/** Maestro's default when a Sleep step has no `sleep_seconds`. */
export const DEFAULT_SLEEP_SECONDS = 3;

/**
 * Sleep: waits until `startedAtMs + sleep_seconds * 1000`, so a redelivered attempt only sleeps
 * for what is left. `sleep_seconds` is a number or a numeric string (Maestro's LONG param).
 *
 * Sometimes instant (`tryNow`): with `sleep_seconds: 0`, an end already past or a bad param the
 * verdict is known at once, so the owner applies it inline like a NoOp (no dispatch, no timer).
 */
export class SleepRuntime implements StepRuntime {
  readonly type = 'Sleep';
  constructor(private readonly now: () => number = Date.now) {}

  async run(task: StepTask, signal: AbortSignal): Promise<StepResult> {
    const seconds = sleepSecondsOf(task.params);
    if (typeof seconds === 'string') return { status: 'FATALLY_FAILED', error: seconds };
    const endMs = task.startedAtMs + seconds * 1000;
    const finished = await abortableDelay(endMs - this.now(), signal);
    if (!finished) return { status: 'PLATFORM_FAILED', error: 'Sleep step was cancelled' };
    return succeeded(seconds);
  }

  tryNow(task: StepTask): StepResult | undefined {
    const seconds = sleepSecondsOf(task.params);
    if (typeof seconds === 'string') return { status: 'FATALLY_FAILED', error: seconds };
    return task.startedAtMs + seconds * 1000 <= this.now() ? succeeded(seconds) : undefined;
  }
}

function succeeded(seconds: number): StepResult {
  return { status: 'SUCCEEDED', details: { sleep_seconds: seconds } };
}

/** The sleep length in seconds, or an error message naming the param. */
function sleepSecondsOf(params: Record<string, unknown>): number | string {
  const raw = params['sleep_seconds'];
  if (raw === undefined || raw === null) return DEFAULT_SLEEP_SECONDS;
  const n =
    typeof raw === 'number'
      ? raw
      : typeof raw === 'bigint' || (typeof raw === 'string' && raw.trim() !== '')
        ? Number(raw)
        : NaN;
  if (!Number.isFinite(n) || n < 0) {
    return `param sleep_seconds must be a non-negative number (or numeric string), got ${JSON.stringify(raw)}`;
  }
  return n;
}
