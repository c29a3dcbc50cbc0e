import { MaestroError } from '../core/errors.js';

/** An executor option is out of range; names the option. */
export class ExecutorConfigError extends MaestroError {
  override name = 'ExecutorConfigError';
  constructor(message: string) {
    super('invalid_argument', message, { retryable: false });
  }
}

/** No runtime is registered for a step type on this executor. */
export class UnknownStepTypeError extends MaestroError {
  override name = 'UnknownStepTypeError';
  readonly stepType: string;
  constructor(stepType: string, known: readonly string[]) {
    const hint =
      stepType.toLowerCase() === 'shell'
        ? '; the Shell runtime is disabled by default: start the node with --shell (executor option shellEnabled: true)'
        : '';
    super(
      'failed_precondition',
      `no runtime for step type ${stepType} on this executor (registered: ${known.join(', ') || 'none'})${hint}`,
      { retryable: false },
    );
    this.stepType = stepType;
  }
}

/** The executor gave up handing an attempt's result to its instance. */
export class ResultDeliveryError extends MaestroError {
  override name = 'ResultDeliveryError';
  readonly attemptId: string;
  constructor(attemptId: string, reason: string, options?: { cause?: unknown }) {
    super('unavailable', `result of attempt ${attemptId} was not delivered: ${reason}`, {
      ...options,
      retryable: false,
    });
    this.attemptId = attemptId;
  }
}

/**
 * Thrown by a runtime whose attempt went elsewhere (a worker gateway handed it to another node,
 * or found nobody to run it and left it to its owner's re-dispatch): the executor sends nothing
 * for it and forgets it, so a later delivery of the same attempt runs again.
 */
export class HandedOffError extends MaestroError {
  override name = 'HandedOffError';
  constructor(attemptId: string, where: string) {
    super('unavailable', `attempt ${attemptId} handed off: ${where}`, { retryable: true });
  }
}
