/**
 * A node cache's first read of the KV store at startup (registered worker types, breakpoints).
 * Right after the store's servers restart (a whole-cluster restart) a read can time out while
 * its stream elects a leader: a retryable error is retried with backoff (each retry logged)
 * for up to `deadlineMs`, so the node waits for its store instead of exiting; anything else, or
 * the deadline, fails the startup as before.
 */
import { retry } from '../retry/index.js';
import type { Logger } from '../log/logger.js';

export const STARTUP_READ_DEADLINE_MS = 60_000;

export function readAtStartup<T>(what: string, read: () => Promise<T>, log: Logger, deadlineMs = STARTUP_READ_DEADLINE_MS): Promise<T> {
  return retry(() => read(), {
    what,
    backoff: { initialMs: 100, maxMs: 2_000 },
    deadlineMs,
    onRetry: (e) => log.warn({ err: e.error, attempt: e.attempt, delayMs: e.delayMs }, `${what} failed; retrying (the store may still be starting)`),
  });
}
