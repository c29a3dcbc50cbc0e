/** `maestro logs WORKFLOW INSTANCE STEP [--attempt N] [-f]`: a step attempt's stdout/stderr. */
import { createLogClient, type LogChunk } from '../control/log-client.js';
import type { Command } from './command.js';
import { describeError, EXIT_OK, exitCodeOf } from './errors.js';
import type { CliIo } from './io.js';
import { parseCommandLine, parsePositiveInt } from './options.js';
import { SERVER_OPTION, SERVER_USAGE, serverTarget } from './remote.js';

export const logsCommand: Command = {
  name: 'logs',
  group: 'client',
  summary: "print a step attempt's stdout and stderr (-f: follow it live until it ends)",
  usage: [
    'maestro logs WORKFLOW_ID INSTANCE_ID STEP_ID [--attempt N] [-f]',
    '  --attempt N          that attempt (default: the latest)',
    '  -f, --follow         keep streaming new output until the attempt ends (waits for it to start)',
    "stdout goes to stdout, stderr to stderr; of an ended attempt, what was kept (the last 64 KiB of each).",
    SERVER_USAGE,
  ],
  async run(argv, io) {
    const { values, args } = parseCommandLine(
      'logs',
      argv,
      { ...SERVER_OPTION, attempt: { type: 'string' }, follow: { type: 'boolean', short: 'f', default: false } },
      ['WORKFLOW_ID', 'INSTANCE_ID', 'STEP_ID'],
    );
    const instanceId = parsePositiveInt(args[1] ?? '', 'INSTANCE_ID');
    const attempt = values.attempt === undefined ? 0 : parsePositiveInt(values.attempt, '--attempt');
    const target = serverTarget(values, io);
    const client = createLogClient(target.address, target.options);
    const printer = new LinePrinter(io);
    try {
      let last: LogChunk | undefined;
      for await (const c of client.stepLogs({ workflowId: args[0] ?? '', instanceId, stepId: args[2] ?? '', attempt, follow: values.follow === true })) {
        if (c.truncated) io.err(`(${c.stream}: earlier output was dropped; this is its tail)`);
        if (c.stream === 'stdout' || c.stream === 'stderr') printer.write(c.stream, c.text);
        last = c;
      }
      printer.flush();
      if (last?.end === true && last.attempt === 0) io.err(`step ${args[2]} never started: the instance ended first`);
      return EXIT_OK;
    } catch (err) {
      printer.flush();
      io.err(describeError(err, target.address));
      return exitCodeOf(err);
    } finally {
      client.close();
    }
  },
};

/** CliIo prints whole lines: text is held per stream until its newline (the rest at flush). */
class LinePrinter {
  private readonly partial = { stdout: '', stderr: '' };
  constructor(private readonly io: CliIo) {}

  write(stream: 'stdout' | 'stderr', text: string): void {
    const lines = (this.partial[stream] + text).split('\n');
    this.partial[stream] = lines.pop() ?? '';
    for (const line of lines) this.print(stream, line);
  }

  flush(): void {
    for (const s of ['stdout', 'stderr'] as const) {
      if (this.partial[s] !== '') this.print(s, this.partial[s]);
      this.partial[s] = '';
    }
  }

  private print(stream: 'stdout' | 'stderr', line: string): void {
    if (stream === 'stdout') this.io.out(line);
    else this.io.err(line);
  }
}
