/** Errors of opening a NATS connection. Messages name servers without credentials and never carry secrets. */
import { MaestroError } from '../core/errors.js';

/** Strips `user:pass@` from a server URL (`nats://user:pass@host:4222` -> `nats://host:4222`). */
export function redactServer(url: string): string {
  return url.replace(/^((?:[a-z][a-z0-9+.-]*:\/\/)?)[^@/]*@/i, '$1');
}

/** The NATS security settings are inconsistent or name a file that cannot be used. */
export class NatsConfigError extends MaestroError {
  override name = 'NatsConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_argument', `NATS connection settings: ${message}`, { ...options, retryable: false });
  }
}

const TLS_CODES = /^(UNABLE_TO_|CERT_|DEPTH_ZERO_|SELF_SIGNED_|ERR_TLS_|ERR_SSL_|ERR_OSSL_)/;

/**
 * The first connection failed. Refused credentials are `unauthenticated`, TLS failures (untrusted
 * certificate, TLS required on one side only) are not retryable; a server that is down is.
 */
export class NatsConnectError extends MaestroError {
  override name = 'NatsConnectError';
  readonly servers: string[];
  constructor(servers: readonly string[], cause: unknown) {
    const code = String((cause as { code?: unknown } | undefined)?.code ?? '');
    const message = (cause instanceof Error ? cause.message : String(cause)).replace(/^'(.*)'$/, '$1'); // nats.js quotes the server's -ERR text
    const where = `cannot connect to NATS at ${servers.map(redactServer).join(',')}`;
    let kind: 'unauthenticated' | 'unavailable' = 'unavailable';
    let retryable = true;
    let detail: string;
    if (code === 'AUTHORIZATION_VIOLATION' || code === 'AUTHENTICATION_EXPIRED') {
      kind = 'unauthenticated';
      retryable = false;
      detail = `the server refused the credentials (${message}): check the NATS user/password, token or nkey seed`;
    } else if (TLS_CODES.test(code) || code === 'TLS' || /\btls\b|certificate/i.test(message)) {
      retryable = false;
      detail = `TLS failed: ${message} (${code}); check the NATS TLS CA, client certificate/key, and that TLS is enabled on both sides`;
    } else {
      detail = code && code !== message ? `${message} (${code})` : message;
    }
    super(kind, `${where}: ${detail}`, { cause, retryable });
    this.servers = servers.map(redactServer);
  }
}
