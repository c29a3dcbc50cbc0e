/** Client commands about steps: skip, bypass, resume, paused, breakpoint (stop/kill --step and restart --from-step live with the instance commands). */
import type { Command } from './command.js';
import { EXIT_OK, UsageError } from './errors.js';
import { parseCommandLine, parsePositiveInt } from './options.js';
import { SERVER_OPTION, SERVER_USAGE, serverTarget, withClient } from './remote.js';
import { statusLine, table } from './render.js';

const STEP_ARGS = ['WORKFLOW_ID', 'INSTANCE_ID', 'STEP_ID'];

function stepActionCommand(name: 'skip' | 'bypass', summary: string, detail: string): Command {
  return {
    name,
    group: 'client',
    summary,
    usage: [`maestro ${name} WORKFLOW_ID INSTANCE_ID STEP_ID [--reason TEXT]`, `  ${detail}`, '  --reason TEXT        kept with the action', SERVER_USAGE],
    async run(argv, io) {
      const { values, args } = parseCommandLine(name, argv, { ...SERVER_OPTION, reason: { type: 'string' } }, STEP_ARGS);
      const [workflowId, rawId, stepId] = [args[0] ?? '', args[1] ?? '', args[2] ?? ''];
      const instanceId = parsePositiveInt(rawId, 'INSTANCE_ID');
      return withClient(serverTarget(values, io), io, async (client) => {
        const view = await client.stepAction(workflowId, instanceId, stepId, name, values.reason === undefined ? {} : { reason: values.reason });
        const step = view.steps.find((s) => s.stepId === stepId);
        io.out(`step ${stepId}: ${step?.status ?? 'unknown'} (run ${view.runId})`);
        io.out(statusLine(view));
        return EXIT_OK;
      });
    },
  };
}

export const skipCommand = stepActionCommand(
  'skip',
  'skip a step (SKIPPED; a terminal step: restart from it, skipped)',
  'a running or waiting step ends SKIPPED and its successors run; a terminal one is skipped in a new attempt (instance running) or a new run',
);
export const bypassCommand = stepActionCommand(
  'bypass',
  'bypass the signal dependencies of a step WAITING_FOR_SIGNALS',
  'the dependencies count as SKIPPED and the step goes on to evaluate its params and start',
);

export const resumeCommand: Command = {
  name: 'resume',
  group: 'client',
  summary: 'resume a step attempt paused at a breakpoint (the breakpoint stays)',
  usage: ['maestro resume WORKFLOW_ID INSTANCE_ID STEP_ID [--attempt N]', '  --attempt N          the paused attempt (default: the current one)', SERVER_USAGE],
  async run(argv, io) {
    const { values, args } = parseCommandLine('resume', argv, { ...SERVER_OPTION, attempt: { type: 'string' } }, STEP_ARGS);
    const [workflowId, rawId, stepId] = [args[0] ?? '', args[1] ?? '', args[2] ?? ''];
    const instanceId = parsePositiveInt(rawId, 'INSTANCE_ID');
    const attempt = values.attempt === undefined ? undefined : parsePositiveInt(values.attempt, '--attempt');
    return withClient(serverTarget(values, io), io, async (client) => {
      const view = await client.stepAction(workflowId, instanceId, stepId, 'resume', attempt === undefined ? {} : { attempt });
      io.out(`step ${stepId}: ${view.steps.find((s) => s.stepId === stepId)?.status ?? 'unknown'} (run ${view.runId})`);
      return EXIT_OK;
    });
  },
};

export const pausedCommand: Command = {
  name: 'paused',
  group: 'client',
  summary: 'list the step attempts paused at a breakpoint',
  usage: ['maestro paused WORKFLOW_ID STEP_ID', SERVER_USAGE],
  async run(argv, io) {
    const { values, args } = parseCommandLine('paused', argv, SERVER_OPTION, ['WORKFLOW_ID', 'STEP_ID']);
    return withClient(serverTarget(values, io), io, async (client) => {
      const rows = await client.listPausedAttempts(args[0] ?? '', args[1] ?? '');
      if (rows.length === 0) io.out('no paused attempts');
      else {
        const lines = table(
          ['WORKFLOW', 'INSTANCE', 'RUN', 'STEP', 'ATTEMPT', 'PAUSED'],
          rows.map((p) => [p.workflowId, String(p.instanceId), String(p.runId), p.stepId, String(p.attempt), new Date(p.pausedAtMs).toISOString()]),
        );
        for (const l of lines) io.out(l);
      }
      return EXIT_OK;
    });
  },
};

export const breakpointCommand: Command = {
  name: 'breakpoint',
  group: 'client',
  summary: 'add, list or remove step breakpoints (every attempt of the step pauses at INITIALIZED)',
  usage: [
    'maestro breakpoint add WORKFLOW_ID STEP_ID',
    'maestro breakpoint list WORKFLOW_ID STEP_ID',
    'maestro breakpoint rm WORKFLOW_ID STEP_ID [--resume]',
    '  --resume             also resume every attempt paused at it (prints how many)',
    SERVER_USAGE,
  ],
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub !== 'add' && sub !== 'list' && sub !== 'rm') throw new UsageError(`breakpoint: expected add, list or rm, got ${sub === undefined ? 'nothing' : JSON.stringify(sub)}`);
    if (sub === 'list') {
      const { values, args } = parseCommandLine('breakpoint list', rest, SERVER_OPTION, ['WORKFLOW_ID', 'STEP_ID']);
      return withClient(serverTarget(values, io), io, async (client) => {
        const list = await client.listBreakpoints(args[0], args[1]);
        if (list.length === 0) io.out('no breakpoints');
        else for (const l of table(['WORKFLOW', 'STEP', 'CREATED'], list.map((b) => [b.workflowId, b.stepId, new Date(b.createdAtMs).toISOString()]))) io.out(l);
        return EXIT_OK;
      });
    }
    const { values, args } = parseCommandLine(`breakpoint ${sub}`, rest, { ...SERVER_OPTION, resume: { type: 'boolean', default: false } }, ['WORKFLOW_ID', 'STEP_ID']);
    const [workflowId, stepId] = [args[0] ?? '', args[1] ?? ''];
    if (sub === 'add' && values.resume) throw new UsageError('breakpoint add: --resume is only for rm');
    return withClient(serverTarget(values, io), io, async (client) => {
      if (sub === 'add') {
        await client.createBreakpoint(workflowId, stepId);
        io.out(`breakpoint added on step ${stepId} of workflow ${workflowId}`);
      } else {
        const resumed = await client.deleteBreakpoint(workflowId, stepId, values.resume);
        io.out(`breakpoint removed from step ${stepId} of workflow ${workflowId}${values.resume ? `; resumed ${resumed} paused attempt(s)` : ''}`);
      }
      return EXIT_OK;
    });
  },
};
