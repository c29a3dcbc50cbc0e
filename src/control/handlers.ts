/** Glue between promise-returning service code and grpc-js handlers, plus request checks. */
import type { handleUnaryCall } from '@grpc/grpc-js';
import { ValidationError } from '../core/errors.js';
import { toGrpcStatus } from './errors.js';

/** A unary handler whose result or thrown error (mapped by toGrpcStatus) is sent back. */
export function unary<Req, Res>(fn: (req: Req) => Promise<Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    let pending: Promise<Res>;
    try {
      pending = fn(call.request);
    } catch (err) {
      callback(toGrpcStatus(err));
      return;
    }
    pending.then(
      (res) => callback(null, res),
      (err: unknown) => callback(toGrpcStatus(err)),
    );
  };
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
