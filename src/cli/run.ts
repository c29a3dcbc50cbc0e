/** `maestro run FILE`: an embedded node runs one workflow file while the CLI shows its progress. */
import { MaestroError } from '../core/errors.js';
import type { EngineApi, DefinitionFormat } from '../workflow/engine-api.js';
import type { Command } from './command.js';
import { EXIT_FAILED, EXIT_OK, UsageError, describeError, exitCodeOf } from './errors.js';
import { followChanges } from './follow.js';
import { watchChanges } from '../control/watch.js';
import type { CliIo } from './io.js';
import { nodeOverrides } from './globals.js';
import { parseCommandLine, parseParams, parsePort, readDefinitionFile } from './options.js';
import { DEFAULT_HTTP_PORT } from './dev.js';
import { instanceReport } from './render.js';
import { failedStepTails } from './render-logs.js';
import { undeclaredParams, undeclaredWarning } from './param-warnings.js';

export interface RunInput {
  text: string;
  format: DefinitionFormat;
  params: Record<string, unknown>;
}

/**
 * Creates the workflow, starts the version just created, prints a line per change and the step
 * table. Ctrl-C stops the instance (a second one ends the process). Exit 0 only when SUCCEEDED.
 */
export async function runDefinition(api: EngineApi, input: RunInput, io: CliIo): Promise<number> {
  const info = await api.createWorkflow(input.text, input.format);
  const undeclared = undeclaredWarning(info.workflowId, info.version, undeclaredParams(JSON.parse(info.definitionJson), input.params));
  if (undeclared) io.err(undeclared);
  // Start and watch in one go: the first change is the instance right after its start.
  const changes = watchChanges(api, async () => {
    const started = await api.startWorkflow({ workflowId: info.workflowId, version: info.version, params: input.params });
    return { workflowId: started.workflowId, instanceId: started.instanceId };
  });
  let off = (): void => {};
  try {
    const view = await followChanges(changes, (wf, id) => api.getInstance(wf, id), io.out, {
      onSnapshot(started) {
        io.out(`started workflow ${info.workflowId} version ${info.version} instance ${started.instanceId}`);
        off = io.onInterrupt((signal) => {
          off();
          io.err(`${signal}: stopping instance ${started.instanceId} (again to quit at once)`);
          api.stop(info.workflowId, started.instanceId).catch((err: unknown) => io.err(`stop failed: ${(err as Error).message}`));
        });
      },
    });
    io.out('');
    for (const line of instanceReport(view)) io.out(line);
    for (const line of failedStepTails(view)) io.out(line);
    return view.status === 'SUCCEEDED' ? EXIT_OK : EXIT_FAILED;
  } finally {
    off();
  }
}

export const runCommand: Command = {
  name: 'run',
  group: 'local',
  summary: 'run a workflow file on an embedded node, showing progress',
  usage: [
    'maestro run FILE [--param NAME=VALUE]... [--param-json NAME=JSON]... [--shell] [--http-allow PREFIX]... [--data-dir DIR] [--ui [--http-port N]]',
    '  FILE                 a Maestro workflow definition, JSON or YAML (by extension, else by content)',
    '  --param NAME=VALUE   a run param, as a string (coerced to the declared type)',
    '  --param-json N=JSON  a run param given as JSON (numbers, lists, maps)',
    '  --shell              enable the Shell step runtime (runs commands on this machine)',
    '  --http-allow PREFIX  let Http steps call URLs starting with PREFIX (repeatable)',
    '  --data-dir DIR       keep the journal in DIR instead of memory',
    '  --ui                 serve the web UI (and /metrics) while it runs, and after, until Ctrl-C',
    '  --http-port N        the UI\'s port with --ui (default 8080; 0 picks a free one)',
    'Exit code: 0 when the run SUCCEEDED, 1 otherwise, 2 for bad input.',
  ],
  async run(argv, io, globals) {
    const { values, args } = parseCommandLine(
      'run',
      argv,
      {
        param: { type: 'string', multiple: true },
        'param-json': { type: 'string', multiple: true },
        shell: { type: 'boolean' },
        'http-allow': { type: 'string', multiple: true },
        'data-dir': { type: 'string' },
        ui: { type: 'boolean' },
        'http-port': { type: 'string' },
      },
      ['FILE'],
    );
    const params = parseParams(values.param, values['param-json']);
    const def = await readDefinitionFile(args[0] ?? '', io.cwd);
    // Logs default to warn here: the run's own output on stdout is what the user reads.
    const settings = nodeOverrides(globals, io.env, { logLevel: 'warn' }, {
      shellEnabled: values.shell,
      httpAllowList: values['http-allow'],
      dataDir: values['data-dir'],
    });
    if (values['http-port'] !== undefined && !values.ui) throw new UsageError('--http-port is the web UI\'s port: give it with --ui');
    const httpPort = values.ui ? (values['http-port'] === undefined ? DEFAULT_HTTP_PORT : parsePort(values['http-port'], '--http-port')) : undefined;
    const { createEmbeddedNode } = await import('../node/embedded.js');
    // An HTTP server only with --ui (MAESTRO_HTTP_PORT is a node's setting, not a run's)
    const node = await createEmbeddedNode({ ...settings, httpPort, httpHost: 'localhost' });
    try {
      if (node.httpUrl !== undefined) io.err(`web UI on ${node.httpUrl}/instances (the run's page opens from there)`);
      const code = await runDefinition(node.api, { ...def, params }, io);
      if (node.httpUrl !== undefined) {
        io.err(`the run ended; the web UI stays up on ${node.httpUrl} until Ctrl-C`);
        await new Promise<void>((resolve) => {
          const off = io.onInterrupt(() => (off(), resolve()));
        });
      }
      return code;
    } catch (err) {
      if (!node.config.shellEnabled && err instanceof MaestroError && /\bShell\b/.test(err.message)) {
        // The error first, then what to do about it.
        io.err(describeError(err));
        io.err('hint: Shell steps run only with --shell');
        return exitCodeOf(err);
      }
      throw err;
    } finally {
      await node.close();
    }
  },
};
