/**
 * Bearer-token authentication of the gRPC API (off unless the server is given tokens).
 *
 * - Every call must carry the metadata `authorization: Bearer <token>` with one of the accepted
 *   tokens, except calls to the standard health service (grpc.health.v1.Health), which load
 *   balancers and orchestrators probe without credentials; it tells only SERVING/NOT_SERVING.
 *   Reflection is authenticated like the API.
 * - A call without the header, with another scheme, or with an unknown token ends
 *   UNAUTHENTICATED before its handler runs, unary and streaming alike. Messages never echo
 *   the token.
 * - Comparison is constant-time: the presented token is hashed (SHA-256) and compared with
 *   crypto.timingSafeEqual against the digest of every accepted token, with no early exit, so
 *   the timing shows neither where a guess differs nor how long the tokens are.
 *
 * Token file format: one token per line; blank lines and lines starting with '#' are ignored and
 * surrounding whitespace is trimmed. A token is at least 16 characters with no whitespace
 * (`openssl rand -hex 32` makes a good one). The file is read once, at start.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { ValidationError } from '../core/errors.js';
import { readCredentialFile } from '../storage/credential-file.js';
import { AuthenticationError, toGrpcStatus } from './errors.js';

export const AUTHORIZATION_HEADER = 'authorization';
export const MIN_TOKEN_LENGTH = 16;
/** Paths (`/package.Service/Method`) served without authentication. */
const UNAUTHENTICATED_PREFIXES = ['/grpc.health.v1.Health/'];

/** Where the server's accepted tokens come from: a list, a file, or both. */
export interface GrpcAuthOptions {
  tokens?: string[];
  /** One token per line (see the module comment). */
  tokenFile?: string;
}

/** The tokens of a token file's text; `source` names the file in errors. */
export function parseTokens(text: string, source: string): string[] {
  const tokens: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    checkToken(line, `${source} line ${i + 1}`);
    tokens.push(line);
  });
  return tokens;
}

function checkToken(token: string, where: string): void {
  if (/\s/.test(token)) throw new ValidationError(where, 'a token must not contain whitespace');
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new ValidationError(where, `a token must be at least ${MIN_TOKEN_LENGTH} characters (got ${token.length}); make one with \`openssl rand -hex 32\``);
  }
}

/** Every accepted token of `opts`; at least one, else a ValidationError. */
export function loadTokens(opts: GrpcAuthOptions): string[] {
  const tokens: string[] = [];
  (opts.tokens ?? []).forEach((t, i) => {
    checkToken(t, `grpcAuth.tokens[${i}]`);
    tokens.push(t);
  });
  if (opts.tokenFile !== undefined) tokens.push(...parseTokens(readCredentialFile(opts.tokenFile, 'gRPC token file').toString('utf8'), opts.tokenFile));
  if (tokens.length === 0) throw new ValidationError(opts.tokenFile ?? 'grpcAuth.tokens', 'no tokens given (authentication would refuse every call)');
  return tokens;
}

/** The token a client sends: the first token of a token file (the server's file works too). */
export function readClientToken(tokenFile: string): string {
  const [first] = parseTokens(readCredentialFile(tokenFile, 'token file').toString('utf8'), tokenFile);
  if (first === undefined) throw new ValidationError(tokenFile, 'the token file holds no token');
  return first;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export type TokenVerdict = 'ok' | 'missing' | 'not_bearer' | 'rejected';

export class TokenVerifier {
  private readonly digests: Buffer[];

  constructor(tokens: readonly string[]) {
    if (tokens.length === 0) throw new ValidationError('grpcAuth.tokens', 'no tokens given');
    this.digests = tokens.map(digest);
  }

  /** Judges the value of an `authorization` header (undefined when absent). */
  check(authorization: string | undefined): TokenVerdict {
    if (authorization === undefined || authorization.trim() === '') return 'missing';
    const m = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) return 'not_bearer';
    const presented = digest(m[1]!);
    let ok = false;
    for (const d of this.digests) ok = timingSafeEqual(d, presented) || ok;
    return ok ? 'ok' : 'rejected';
  }
}

const MESSAGES: Record<Exclude<TokenVerdict, 'ok'>, string> = {
  missing: 'authentication required: send the metadata `authorization: Bearer <token>`',
  not_bearer: 'authentication required: the authorization metadata must be `Bearer <token>`',
  rejected: 'authentication failed: the bearer token is not one this server accepts',
};

export function isUnauthenticatedPath(path: string): boolean {
  return UNAUTHENTICATED_PREFIXES.some((p) => path.startsWith(p));
}

/** Server side: ends every call to a non-exempt method UNAUTHENTICATED unless its token checks out. */
export function authInterceptor(verifier: TokenVerifier, exempt: (path: string) => boolean = isUnauthenticatedPath): grpc.ServerInterceptor {
  return (method, call) => {
    if (exempt(method.path)) return new grpc.ServerInterceptingCall(call);
    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const [value] = metadata.get(AUTHORIZATION_HEADER);
        const verdict = verifier.check(typeof value === 'string' ? value : undefined);
        if (verdict === 'ok') next(metadata);
        else call.sendStatus(toGrpcStatus(new AuthenticationError(MESSAGES[verdict])));
      })
      .build();
    return new grpc.ServerInterceptingCall(call, new grpc.ResponderBuilder().withStart((next) => next(listener)).build());
  };
}

/** Client side: adds `authorization: Bearer <token>` to every call. */
export function bearerTokenInterceptor(token: string): grpc.Interceptor {
  const value = `Bearer ${token}`;
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(AUTHORIZATION_HEADER, value);
        next(metadata, listener);
      },
    });
}
