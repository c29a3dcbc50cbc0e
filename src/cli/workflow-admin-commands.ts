/** Client commands that manage stored workflows: delete, deactivate, diff of two versions. */
import type { Command } from './command.js';
import { EXIT_OK } from './errors.js';
import { unifiedDiff } from './line-diff.js';
import { parseCommandLine, parsePositiveInt } from './options.js';
import { SERVER_OPTION, SERVER_USAGE, serverTarget, withClient } from './remote.js';

export const deleteCommand: Command = {
  name: 'delete',
  group: 'client',
  summary: 'delete a workflow: every version (its instances stay readable)',
  usage: ['maestro delete WORKFLOW_ID', SERVER_USAGE],
  async run(argv, io) {
    const { values, args } = parseCommandLine('delete', argv, SERVER_OPTION, ['WORKFLOW_ID']);
    const workflowId = args[0] ?? '';
    return withClient(serverTarget(values, io), io, async (client) => {
      await client.deleteWorkflow(workflowId);
      io.out(`deleted workflow ${workflowId}`);
      return EXIT_OK;
    });
  },
};

export const deactivateCommand: Command = {
  name: 'deactivate',
  group: 'client',
  summary: 'make no version active: starts must name a version, triggers stop (activate undoes it)',
  usage: ['maestro deactivate WORKFLOW_ID', SERVER_USAGE],
  async run(argv, io) {
    const { values, args } = parseCommandLine('deactivate', argv, SERVER_OPTION, ['WORKFLOW_ID']);
    const workflowId = args[0] ?? '';
    return withClient(serverTarget(values, io), io, async (client) => {
      const was = await client.deactivateWorkflow(workflowId);
      io.out(was === 0 ? `workflow ${workflowId} had no active version; nothing changed` : `deactivated workflow ${workflowId} (version ${was} was active)`);
      return EXIT_OK;
    });
  },
};

export const diffCommand: Command = {
  name: 'diff',
  group: 'client',
  summary: 'show what changed between two stored versions of a workflow (a unified diff)',
  usage: [
    'maestro diff WORKFLOW_ID V1 V2',
    '  Compares the stored definitions (as `maestro definition` prints them), line by line;',
    '  says so when they are the same. Exit 0 either way.',
    SERVER_USAGE,
  ],
  async run(argv, io) {
    const { values, args } = parseCommandLine('diff', argv, SERVER_OPTION, ['WORKFLOW_ID', 'V1', 'V2']);
    const workflowId = args[0] ?? '';
    const v1 = parsePositiveInt(args[1] ?? '', 'V1');
    const v2 = parsePositiveInt(args[2] ?? '', 'V2');
    return withClient(serverTarget(values, io), io, async (client) => {
      const [a, b] = await Promise.all([client.getWorkflow(workflowId, v1), client.getWorkflow(workflowId, v2)]);
      const lines = (json: string): string[] => JSON.stringify(JSON.parse(json), null, 2).split('\n');
      const diff = unifiedDiff(lines(a.definitionJson), lines(b.definitionJson));
      if (diff.length === 0) {
        io.out(`versions ${v1} and ${v2} of workflow ${workflowId} have the same definition`);
        return EXIT_OK;
      }
      io.out(`--- ${workflowId} version ${v1}`);
      io.out(`+++ ${workflowId} version ${v2}`);
      for (const line of diff) io.out(line);
      return EXIT_OK;
    });
  },
};
