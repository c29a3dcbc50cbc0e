/** CLI errors and exit codes: 0 ok, 1 failed (a run that did not succeed, a server error), 2 bad input. */
import { MaestroError } from '../core/errors.js';
import { ControlError } from '../control/errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Bad command line or input file; the message names the argument or field. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return EXIT_USAGE;
  if (err instanceof MaestroError && err.kind === 'invalid_argument') return EXIT_USAGE;
  return EXIT_FAILED;
}

/** One line for stderr. `server` is the address the command talked to, if any. */
export function describeError(err: unknown, server?: string): string {
  if (err instanceof UsageError) return `error: ${err.message}`;
  if (err instanceof ControlError && err.kind === 'unavailable' && server !== undefined) {
    return `error: cannot reach the maestro server at ${server} (${err.message}); start one with \`maestro dev\` or pass --server (and --tls-ca if it serves TLS)`;
  }
  if (err instanceof ControlError && err.kind === 'unauthenticated' && server !== undefined) {
    return `error: the maestro server at ${server} requires authentication (${err.message}); pass --token-file FILE or --token, or set MAESTRO_TOKEN_FILE or MAESTRO_TOKEN`;
  }
  if (err instanceof MaestroError) {
    const label = err.kind === 'invalid_argument' ? 'invalid' : err.kind.replace('_', ' ');
    return `error (${label}): ${err.message}`;
  }
  return `error: ${err instanceof Error ? err.message : String(err)}`;
}
