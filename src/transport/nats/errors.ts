import { MaestroError } from '../../core/errors.js';

/** A message or reply larger than the server's max_payload; resending cannot help. */
export class MessageTooLargeError extends MaestroError {
  override name = 'MessageTooLargeError';
  constructor(what: string, bytes: number, maxPayload: number) {
    super('invalid_argument', `${what} is ${bytes} bytes, over the NATS server's max_payload of ${maxPayload}`, {
      retryable: false,
    });
  }
}

/** A NATS client failure that is not one of the expected, retried ones (permissions, protocol...). */
export class NatsTransportError extends MaestroError {
  override name = 'NatsTransportError';
  constructor(what: string, options: { cause: unknown }) {
    super('unavailable', `${what}: ${messageOf(options.cause)}`, options);
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
