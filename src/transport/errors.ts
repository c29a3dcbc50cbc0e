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

/** The transport was closed; nothing more is delivered. */
export class TransportClosedError extends MaestroError {
  override name = 'TransportClosedError';
  constructor() {
    super('unavailable', 'the transport is closed', { retryable: false });
  }
}

/** `serve` for a partition that another handler of this transport already serves. */
export class PartitionAlreadyServedError extends MaestroError {
  override name = 'PartitionAlreadyServedError';
  constructor(partition: number) {
    super('already_exists', `partition ${partition} is already served on this transport; close its subscription first`, {
      retryable: false,
    });
  }
}

/** A partition number outside 0..partitions-1. */
export class PartitionRangeError extends MaestroError {
  override name = 'PartitionRangeError';
  constructor(partition: number, partitions: number) {
    super('invalid_argument', `partition ${partition} is out of range 0..${partitions - 1}`, { retryable: false });
  }
}

/** A subscription to a topic whose events have no wire schema: nothing it received could be checked. */
export class NoTopicSchemaError extends MaestroError {
  override name = 'NoTopicSchemaError';
  constructor(topic: string) {
    super('invalid_argument', `topic ${topic} has no wire schema; add one to the transport's WireSchemas`, { retryable: false });
  }
}
