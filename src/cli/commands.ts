/**
 * The table of `maestro` subcommands, in help order. This is the extension point: cluster mode
 * adds its `node` and `worker` commands (group 'cluster') here.
 */
import type { Command } from './command.js';
import { devCommand } from './dev.js';
import { clusterCommand } from './cluster-info.js';
import { getCommand, killCommand, listCommand, putOutputsCommand, restartCommand, startCommand, stopCommand, unblockCommand, watchCommand } from './instance-commands.js';
import { runCommand } from './run.js';
import { logsCommand } from './logs-command.js';
import { breakpointCommand, bypassCommand, pausedCommand, resumeCommand, skipCommand } from './step-commands.js';
import { configCommand } from './config-command.js';
import { tagPermitCommand } from './tag-permit-commands.js';
import { signalCommand, signalsCommand } from './signal-commands.js';
import { triggersCommand } from './trigger-commands.js';
import { nodeCommand, workerCommand } from './cluster-commands.js';
import { activateCommand, definitionCommand, pushCommand, validateCommand, workflowsCommand } from './workflow-commands.js';
import { deactivateCommand, deleteCommand, diffCommand } from './workflow-admin-commands.js';

export const COMMANDS: readonly Command[] = [
  runCommand,
  devCommand,
  pushCommand,
  validateCommand,
  workflowsCommand,
  definitionCommand,
  activateCommand,
  deactivateCommand,
  diffCommand,
  deleteCommand,
  startCommand,
  getCommand,
  listCommand,
  watchCommand,
  logsCommand,
  stopCommand,
  killCommand,
  unblockCommand,
  restartCommand,
  skipCommand,
  bypassCommand,
  breakpointCommand,
  pausedCommand,
  resumeCommand,
  putOutputsCommand,
  tagPermitCommand,
  signalCommand,
  signalsCommand,
  triggersCommand,
  clusterCommand,
  nodeCommand,
  workerCommand,
  configCommand,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
