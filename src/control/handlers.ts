/** Glue between promise-returning service code and grpc-js handlers, plus request checks. */
import type { handleUnaryCall } from '@grpc/grpc-js';
import { MaestroError, ValidationError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import { toGrpcStatus } from './errors.js';

/**
 * Makes unary handlers whose result or thrown error (mapped by toGrpcStatus) is sent back. The
 * client sees every error; one that is not a MaestroError of a known kind (a bug, an adapter
 * failing unexpectedly) is also logged here with the method, since the client only sees a message.
 */
export function unaryHandlers(log: Logger) {
  return function unary<Req, Res>(fn: (req: Req) => Promise<Res>): handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const fail = (err: unknown): void => {
        if (isInternal(err)) log.error({ err, method: call.getPath() }, 'call failed with an internal error');
        callback(toGrpcStatus(err));
      };
      let pending: Promise<Res>;
      try {
        pending = fn(call.request);
      } catch (err) {
        fail(err);
        return;
      }
      pending.then((res) => callback(null, res), fail);
    };
  };
}

export function isInternal(err: unknown): boolean {
  return !(err instanceof MaestroError) || err.kind === 'internal';
}

/** Field names are the proto's (snake_case): they are what clients in every language see. */
export function requireString(value: string, field: string): string {
  if (value.trim() === '') throw new ValidationError(field, 'is required');
  return value;
}

export function requireInstanceId(value: number, field = 'instance_id'): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new ValidationError(field, `must be a positive integer, got ${value}`);
  return value;
}

/** 0 stands for "absent" (the default). */
export function optionalVersion(value: number, field = 'version'): number | undefined {
  if (!Number.isSafeInteger(value) || value < 0) throw new ValidationError(field, `must be a non-negative integer, got ${value}`);
  return value === 0 ? undefined : value;
}

export function requireVersion(value: number, field = 'version'): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new ValidationError(field, `must be a positive integer, got ${value}`);
  return value;
}
