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

/** A subscription to a topic whose events have no wire schema: nothing it received could be checked. */
export class NoTopicSchemaError extends MaestroError {
  override name = 'NoTopicSchemaError';
  constructor(topic: string) {
    super('invalid_argument', `topic ${topic} has no wire schema; add one to the transport's WireSchemas`, { retryable: false });
  }
}
