/**
 * Stopping a long-running command (dev, node, worker) on SIGTERM/SIGINT, within a deadline.
 *
 * - Handlers are installed before the node starts, so a signal during start-up is not lost.
 * - The first signal says so on stderr ("received SIGTERM: shutting down gracefully (deadline
 *   10s; send again to exit now)") and starts the deadline; the command then runs its graceful
 *   close. If the close ends in time the command returns 0.
 * - When the deadline passes first: "shutdown deadline passed: exiting now", exit 1 — whatever
 *   the close is waiting for (a NATS or etcd that is gone), the process ends.
 * - A second signal: "received SIGTERM again: exiting now", exit 1 at once.
 */
import { EXIT_FAILED, EXIT_OK, describeError } from './errors.js';
import type { CliIo } from './io.js';

export class ShutdownSignals {
  /** Resolves with the first signal's name. */
  readonly received: Promise<string>;
  private signal: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly off: () => void;

  constructor(
    private readonly io: CliIo,
    private readonly deadlineMs: number,
  ) {
    let resolve!: (signal: string) => void;
    this.received = new Promise((r) => (resolve = r));
    this.off = io.onInterrupt((signal) => {
      if (this.signal !== undefined) {
        io.err(`received ${signal} again: exiting now`);
        return io.exit(EXIT_FAILED);
      }
      this.signal = signal;
      io.err(`received ${signal}: shutting down gracefully (deadline ${formatSeconds(deadlineMs)}; send again to exit now)`);
      this.timer = setTimeout(() => {
        io.err('shutdown deadline passed: exiting now');
        io.exit(EXIT_FAILED);
      }, deadlineMs);
      resolve(signal);
    });
  }

  /** Runs the graceful close; its failure is reported and makes the exit code 1. */
  async stop(close: () => Promise<void>): Promise<number> {
    try {
      await close();
      return EXIT_OK;
    } catch (err) {
      this.io.err(`shutdown failed: ${describeError(err)}`);
      return EXIT_FAILED;
    } finally {
      this.dispose();
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.off();
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${Number((ms / 1000).toFixed(2))}s`;
}
