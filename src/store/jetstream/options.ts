/** JetStreamKv's options: every default in `jetStreamKvDefaults`. */
import { ValidationError } from '../../core/errors.js';
import type { Logger } from '../../log/logger.js';
import { KV_BUCKET } from '../../nats/subjects.js';

export interface JetStreamKvOptions {
  bucket?: string;
  /** Replicas of a new bucket: 1 on a single server, 3 recommended on a 3-server cluster. */
  replicas?: number;
  /** How long one KV operation waits for the server. */
  timeoutMs?: number;
  /** Opening the bucket: tries, and the backoff between them. */
  openAttempts?: number;
  openRetryBaseMs?: number;
  openRetryMaxMs?: number;
  /** How long `close` drains the connection it owns before closing it. */
  drainTimeoutMs?: number;
  log?: Logger;
}

export function jetStreamKvDefaults(opts: JetStreamKvOptions = {}): Required<Omit<JetStreamKvOptions, 'log'>> & Pick<JetStreamKvOptions, 'log'> {
  const resolved = {
    bucket: opts.bucket ?? KV_BUCKET,
    replicas: opts.replicas ?? 1,
    timeoutMs: opts.timeoutMs ?? 5_000,
    openAttempts: opts.openAttempts ?? 5,
    openRetryBaseMs: opts.openRetryBaseMs ?? 50,
    openRetryMaxMs: opts.openRetryMaxMs ?? 250,
    drainTimeoutMs: opts.drainTimeoutMs ?? 5_000,
    log: opts.log,
  };
  if (!/^[-\w]+$/.test(resolved.bucket)) {
    throw new ValidationError('bucket', `KV bucket names are letters, digits, - and _; got ${JSON.stringify(resolved.bucket)}`);
  }
  return resolved;
}

