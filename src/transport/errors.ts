import { MaestroError } from '../core/errors.js';

/** No executor serves this step type right now: the attempt ends as PLATFORM_FAILED (retryable). */
export class NoExecutorError extends MaestroError {
  override name = 'NoExecutorError';
  constructor(stepType: string) {
    super('unavailable', `no runtime for step type ${stepType}`, { retryable: true });
  }
}

/** Nobody accepted a message for an actor before the deadline. */
export class DeliveryTimeoutError extends MaestroError {
  override name = 'DeliveryTimeoutError';
  constructor(to: string, timeoutMs: number, options?: { cause?: unknown }) {
    super('unavailable', `no owner accepted a message for ${to} within ${timeoutMs} ms`, {
      ...options,
      retryable: true,
    });
  }
}
