/** The shape of a `maestro` subcommand. The table of commands is in commands.ts. */
import type { CliIo } from './io.js';
import type { GlobalOptions } from './globals.js';

export type CommandGroup = 'local' | 'client' | 'cluster';

export interface Command {
  name: string;
  group: CommandGroup;
  /** One line for `maestro --help`. */
  summary: string;
  /** Synopsis and option lines for `maestro COMMAND --help`. */
  usage: string[];
  /** Returns the exit code; throws UsageError (exit 2) or anything else (exit 1). `globals`: --log-level, --set. */
  run(argv: string[], io: CliIo, globals: GlobalOptions): Promise<number>;
}
