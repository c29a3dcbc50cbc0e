import type { StepResult, StepRuntime } from '../runtime.js';

/** NoOp: succeeds at once, with no outputs. */
export class NoOpRuntime implements StepRuntime {
  readonly type = 'NoOp';
  readonly instant = true;
  run(): Promise<StepResult> {
    return Promise.resolve(this.runNow());
  }
  runNow(): StepResult {
    return { status: 'SUCCEEDED' };
  }
}
