/** What a command may touch of the outside world, so commands run in-process in tests. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** stdout is a terminal. */
  isTTY: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Calls `handler` when the user asks the process to stop (SIGINT/SIGTERM); returns the remover. */
  onInterrupt(handler: (signal: string) => void): () => void;
  /** Ends the process now with `code` (a shutdown past its deadline, a second signal). */
  exit(code: number): void;
}

export function processIo(): CliIo {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    isTTY: process.stdout.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
    onInterrupt(handler) {
      const on = (signal: NodeJS.Signals): void => handler(signal);
      process.on('SIGINT', on);
      process.on('SIGTERM', on);
      return () => {
        process.off('SIGINT', on);
        process.off('SIGTERM', on);
      };
    },
    exit: (code) => process.exit(code),
  };
}
