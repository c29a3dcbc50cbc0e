/** The `maestro` command: dispatches to the table in commands.ts and turns errors into exit codes. */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command, CommandGroup } from './command.js';
import { COMMANDS, findCommand } from './commands.js';
import { EXIT_OK, EXIT_USAGE, describeError, exitCodeOf } from './errors.js';
import { processIo, type CliIo } from './io.js';
import { DEFAULT_SERVER } from './remote.js';
import { extractGlobals, GLOBAL_USAGE } from './globals.js';
import { setFallbackLogLevel } from '../log/logger.js';
import { packageVersion } from './version.js';
import { didYouMean } from './suggest.js';

const GROUP_TITLES: Record<CommandGroup, string> = {
  local: 'Local (an embedded node in this process):',
  client: `Client (talk to a node's gRPC API; --server HOST:PORT, default $MAESTRO_SERVER or ${DEFAULT_SERVER}):`,
  cluster: 'Cluster:',
};

export function helpText(commands: readonly Command[] = COMMANDS): string[] {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = ['maestro: run Netflix Maestro workflow definitions', '', 'Usage: maestro COMMAND [ARGS] [OPTIONS]'];
  for (const group of Object.keys(GROUP_TITLES) as CommandGroup[]) {
    const inGroup = commands.filter((c) => c.group === group);
    if (inGroup.length === 0) continue;
    lines.push('', GROUP_TITLES[group]);
    for (const c of inGroup) lines.push(`  ${c.name.padEnd(width)}  ${c.summary}`);
  }
  lines.push('', ...GLOBAL_USAGE, '', 'Run `maestro COMMAND --help` for its arguments and options; `maestro --version` prints the version.');
  return lines;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = extractGlobals(argv);
  } catch (err) {
    io.err(describeError(err));
    return exitCodeOf(err);
  }
  const { globals } = parsed;
  const [name, ...rest] = parsed.rest;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const target = name === 'help' && rest[0] !== undefined ? findCommand(rest[0]) : undefined;
    for (const line of target ? target.usage : helpText()) io.out(line);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(`maestro ${packageVersion()}`);
    return EXIT_OK;
  }
  const command = findCommand(name);
  if (!command) {
    const near = didYouMean(name, COMMANDS.map((c) => c.name));
    io.err(`error: unknown command ${JSON.stringify(name)}${near}${near ? ' ' : '; '}run \`maestro --help\` for the list`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    for (const line of [...command.usage, '', ...GLOBAL_USAGE]) io.out(line);
    return EXIT_OK;
  }
  // Components built without a logger of their own (client code, library defaults) log at this level.
  if (globals.logLevel !== undefined) setFallbackLogLevel(globals.logLevel);
  try {
    return await command.run(rest, io, globals);
  } catch (err) {
    io.err(describeError(err));
    return exitCodeOf(err);
  }
}

/**
 * Runs the CLI in this process (bin/maestro.js calls it; so does `tsx src/cli/main.ts`), then
 * exits: once a command is done nothing it left behind (a reconnect timer, a half-closed socket)
 * may keep the process alive. stdout and stderr are synchronous on Linux, so nothing is lost.
 */
export async function runCli(): Promise<void> {
  exitQuietlyOnClosedPipe(process.stdout);
  exitQuietlyOnClosedPipe(process.stderr);
  process.exit(await main(process.argv.slice(2), processIo()));
}

/**
 * `maestro run … | head`: once the reader is gone, writing fails with EPIPE; the output is no
 * longer wanted, so the process ends at once with exit 0 instead of a stack trace. Any other write
 * error is reported (on stderr, if it still works) and ends the process with exit 1.
 */
function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT_OK);
    try {
      process.stderr.write(`error: writing output failed: ${err.message}\n`);
    } finally {
      process.exit(1);
    }
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await runCli();
