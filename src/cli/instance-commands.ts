/** Client commands about instances: start, get, list, watch, stop, kill, restart, unblock, put-outputs. */
import type { ControlClient } from '../control/client.js';
import type { InstanceSummary, InstanceView } from '../core/instance/view.js';
import { WORKFLOW_STATUSES, type WorkflowStatus } from '../core/status.js';
import type { Command } from './command.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from './errors.js';
import { follow, followChanges } from './follow.js';
import type { WatchedChange } from '../control/mapping.js';
import type { CliIo } from './io.js';
import { parseCommandLine, parseParams, parsePositiveInt } from './options.js';
import { SERVER_OPTION, SERVER_USAGE, serverTarget, withClient } from './remote.js';
import { instanceListTable, instanceReport, statusLine } from './render.js';
import { differingParams, requestIdWarning, undeclaredParams, undeclaredWarning } from './param-warnings.js';
import { fallbackLogger } from '../log/logger.js';

const INSTANCE_ARGS = ['WORKFLOW_ID', 'INSTANCE_ID'];

function instanceArgs(args: string[]): [string, number] {
  return [args[0] ?? '', parsePositiveInt(args[1] ?? '', 'INSTANCE_ID')];
}

async function followToEnd(client: ControlClient, workflowId: string, instanceId: number, io: CliIo, originMs?: number): Promise<number> {
  return report(await follow(client, workflowId, instanceId, io.out, { originMs }), io);
}

/** Prints a snapshot-first stream (WatchInstance / StartAndWatch) to its end, then the step table. */
async function followStream(client: ControlClient, changes: AsyncIterable<WatchedChange>, io: CliIo, onSnapshot?: (view: InstanceView) => void): Promise<number> {
  return report(await followChanges(changes, (wf, id) => client.getInstance(wf, id), io.out, { onSnapshot }), io);
}

/** Warns about run params the version to start does not declare (nothing when it cannot be read: the start reports that). */
async function warnUndeclaredParams(client: ControlClient, workflowId: string, version: number | undefined, params: Record<string, unknown>, io: CliIo): Promise<void> {
  if (Object.keys(params).length === 0) return;
  let info;
  try {
    info = await client.getWorkflow(workflowId, version);
  } catch (err) {
    fallbackLogger().debug({ err, workflowId }, 'could not read the workflow to check the params; the start will say why');
    return;
  }
  const warning = undeclaredWarning(workflowId, info.version, undeclaredParams(JSON.parse(info.definitionJson), params));
  if (warning) io.err(warning);
}

function report(view: InstanceView, io: CliIo): number {
  io.out('');
  for (const line of instanceReport(view)) io.out(line);
  return view.status === 'SUCCEEDED' ? EXIT_OK : EXIT_FAILED;
}

export const startCommand: Command = {
  name: 'start',
  group: 'client',
  summary: 'start a run of a stored workflow',
  usage: [
    'maestro start WORKFLOW_ID [--version N] [--param NAME=VALUE]... [--param-json NAME=JSON]... [--request-id X] [--watch]',
    '  --version N          the version to run (default: the active one)',
    '  --param NAME=VALUE   a run param, as a string (coerced to the declared type)',
    '  --param-json N=JSON  a run param given as JSON',
    '  --request-id X       dedup key: starting again with X returns the same instance',
    '  --watch, --wait      start and follow the run to its end in one call (StartAndWatch);',
    '                       exit 0 only when it SUCCEEDED',
    SERVER_USAGE,
  ],
  async run(argv, io) {
    const { values, args } = parseCommandLine(
      'start',
      argv,
      {
        ...SERVER_OPTION,
        version: { type: 'string' },
        param: { type: 'string', multiple: true },
        'param-json': { type: 'string', multiple: true },
        'request-id': { type: 'string' },
        wait: { type: 'boolean', default: false },
        watch: { type: 'boolean', default: false },
      },
      ['WORKFLOW_ID'],
    );
    const workflowId = args[0] ?? '';
    const version = values.version === undefined ? undefined : parsePositiveInt(values.version, '--version');
    const params = parseParams(values.param, values['param-json']);
    return withClient(serverTarget(values, io), io, async (client) => {
      const req = { workflowId, version, params, requestId: values['request-id'] };
      await warnUndeclaredParams(client, workflowId, version, params, io);
      const started = (view: InstanceView): void => {
        io.out(`started workflow ${view.workflowId} version ${view.version} instance ${view.instanceId} (run ${view.runId})`);
        if (req.requestId !== undefined) {
          const warning = requestIdWarning(req.requestId, view.instanceId, differingParams(params, view.params));
          if (warning) io.err(warning);
        }
      };
      if (values.watch || values.wait) return followStream(client, client.startAndWatch(req), io, started);
      started(await client.startWorkflow(req));
      return EXIT_OK;
    });
  },
};

export const getCommand: Command = {
  name: 'get',
  group: 'client',
  summary: 'show an instance: steps, attempts, statuses, durations',
  usage: ['maestro get WORKFLOW_ID INSTANCE_ID [--json]', '  --json               print the whole instance (params, outputs, attempts) as JSON', SERVER_USAGE],
  async run(argv, io) {
    const { values, args } = parseCommandLine('get', argv, { ...SERVER_OPTION, json: { type: 'boolean', default: false } }, INSTANCE_ARGS);
    const [workflowId, instanceId] = instanceArgs(args);
    return withClient(serverTarget(values, io), io, async (client) => {
      const view = await client.getInstance(workflowId, instanceId);
      if (values.json) io.out(JSON.stringify(view, null, 2));
      else for (const line of instanceReport(view)) io.out(line);
      return EXIT_OK;
    });
  },
};

function parseStatus(value: string | undefined): WorkflowStatus | undefined {
  if (value === undefined) return undefined;
  const upper = value.toUpperCase();
  const found = WORKFLOW_STATUSES.find((s) => s === upper);
  if (!found) throw new UsageError(`--status must be one of ${WORKFLOW_STATUSES.join(', ')}, got ${JSON.stringify(value)}`);
  return found;
}

export const listCommand: Command = {
  name: 'list',
  group: 'client',
  summary: 'list instances, optionally of one workflow and/or in one status',
  usage: [
    'maestro list [--workflow ID] [--status STATUS] [--limit N]',
    `  --status STATUS      one of ${WORKFLOW_STATUSES.join(', ')}`,
    '  --limit N            show at most N instances (default 100)',
    SERVER_USAGE,
  ],
  async run(argv, io) {
    const { values } = parseCommandLine(
      'list',
      argv,
      { ...SERVER_OPTION, workflow: { type: 'string' }, status: { type: 'string' }, limit: { type: 'string' } },
      [],
    );
    const status = parseStatus(values.status);
    const limit = values.limit === undefined ? 100 : parsePositiveInt(values.limit, '--limit');
    return withClient(serverTarget(values, io), io, async (client) => {
      const rows: InstanceSummary[] = [];
      let pageToken: string | undefined;
      do {
        const page = await client.listInstances({ workflowId: values.workflow, status, pageSize: Math.min(limit - rows.length, 100), pageToken });
        rows.push(...page.instances);
        pageToken = page.nextPageToken || undefined;
      } while (pageToken !== undefined && rows.length < limit);
      for (const line of instanceListTable(rows.slice(0, limit))) io.out(line);
      if (pageToken !== undefined) io.err(`(more than ${limit}; raise --limit to see more)`);
      return EXIT_OK;
    });
  },
};

export const watchCommand: Command = {
  name: 'watch',
  group: 'client',
  summary: 'follow an instance to its end; exit 0 only when it SUCCEEDED',
  usage: ['maestro watch WORKFLOW_ID INSTANCE_ID', SERVER_USAGE],
  async run(argv, io) {
    const { values, args } = parseCommandLine('watch', argv, SERVER_OPTION, INSTANCE_ARGS);
    const [workflowId, instanceId] = instanceArgs(args);
    return withClient(serverTarget(values, io), io, (client) => followStream(client, client.watch(workflowId, instanceId), io));
  },
};

function endCommand(name: 'stop' | 'kill', summary: string): Command {
  return {
    name,
    group: 'client',
    summary,
    usage: [
      `maestro ${name} WORKFLOW_ID INSTANCE_ID [--step STEP_ID]`,
      `maestro ${name} WORKFLOW_ID --all     every instance: queued ones end at once, running ones are told to ${name}`,
      `  --step STEP_ID       ${name} only that step (${name === 'stop' ? 'STOPPED' : 'FATALLY_FAILED, then its failure_mode applies'}); other branches go on`,
      SERVER_USAGE,
    ],
    async run(argv, io) {
      const all = argv.includes('--all');
      const { values, args } = parseCommandLine(name, argv, { ...SERVER_OPTION, step: { type: 'string' }, all: { type: 'boolean', default: false } }, all ? ['WORKFLOW_ID'] : INSTANCE_ARGS);
      if (all) {
        return withClient(serverTarget(values, io), io, async (client) => {
          const r = await client.terminateWorkflow(args[0] ?? '', name);
          io.out(`workflow ${args[0]}: ${r.ended} queued instance(s) ended, ${r.terminating} running instance(s) told to ${name}`);
          return EXIT_OK;
        });
      }
      const [workflowId, instanceId] = instanceArgs(args);
      const step = values.step;
      return withClient(serverTarget(values, io), io, async (client) => {
        const view =
          step !== undefined
            ? await client.stepAction(workflowId, instanceId, step, name)
            : name === 'stop'
              ? await client.stop(workflowId, instanceId)
              : await client.kill(workflowId, instanceId);
        if (step !== undefined) io.out(`step ${step}: ${view.steps.find((s) => s.stepId === step)?.status ?? 'unknown'}`);
        io.out(statusLine(view));
        return EXIT_OK;
      });
    },
  };
}

export const unblockCommand: Command = {
  name: 'unblock',
  group: 'client',
  summary: 'let a STRICT_SEQUENTIAL queue go on past a FAILED instance (one, or all of the workflow)',
  usage: [
    'maestro unblock WORKFLOW_ID INSTANCE_ID   the instance must be FAILED (it stays FAILED)',
    'maestro unblock WORKFLOW_ID               every FAILED instance of the workflow',
    SERVER_USAGE,
  ],
  async run(argv, io) {
    let parsed;
    try {
      parsed = parseCommandLine('unblock', argv, SERVER_OPTION, INSTANCE_ARGS);
    } catch (err) {
      if (!(err instanceof UsageError && /missing INSTANCE_ID$/.test(err.message))) throw err;
      parsed = parseCommandLine('unblock', argv, SERVER_OPTION, ['WORKFLOW_ID']); // the whole workflow
    }
    const { values, args } = parsed;
    return withClient(serverTarget(values, io), io, async (client) => {
      if (args.length === 1) {
        io.out(`workflow ${args[0]}: ${await client.unblockWorkflow(args[0] ?? '')} FAILED instance(s) unblocked`);
        return EXIT_OK;
      }
      const [workflowId, instanceId] = instanceArgs(args);
      const view = await client.unblockInstance(workflowId, instanceId);
      io.out(`unblocked workflow ${workflowId} instance ${instanceId} run ${view.runId} (${view.status})`);
      return EXIT_OK;
    });
  },
};

export const stopCommand = endCommand('stop', 'stop a run gracefully (it ends STOPPED)');
export const killCommand = endCommand('kill', 'end a run at once (it ends FAILED)');

export const restartCommand: Command = {
  name: 'restart',
  group: 'client',
  summary: 'rerun a finished instance, from its incomplete steps or from the beginning',
  usage: [
    'maestro restart WORKFLOW_ID INSTANCE_ID [--from-beginning | --policy P | --from-step STEP_ID] [--wait]',
    '  --from-beginning     rerun every step (default: only the steps that did not succeed)',
    '  --policy P           RESTART_FROM_INCOMPLETE (default) or RESTART_FROM_BEGINNING',
    '  --from-step STEP_ID  restart from that step: a new attempt while the instance runs, else a new',
    '                       run (RESTART_FROM_SPECIFIC) of it, its downstream and every incomplete step',
    '  --wait               follow the new run to its end',
    SERVER_USAGE,
  ],
  async run(argv, io) {
    const { values, args } = parseCommandLine(
      'restart',
      argv,
      {
        ...SERVER_OPTION,
        'from-beginning': { type: 'boolean', default: false },
        policy: { type: 'string' },
        'from-step': { type: 'string' },
        wait: { type: 'boolean', default: false },
      },
      INSTANCE_ARGS,
    );
    const [workflowId, instanceId] = instanceArgs(args);
    const fromStep = values['from-step'];
    const given = [values['from-beginning'] ? '--from-beginning' : '', values.policy !== undefined ? '--policy' : '', fromStep !== undefined ? '--from-step' : ''].filter(Boolean);
    if (given.length > 1) throw new UsageError(`restart: ${given.join(' and ')} do not go together`);
    if (values.policy !== undefined && values.policy !== 'RESTART_FROM_INCOMPLETE' && values.policy !== 'RESTART_FROM_BEGINNING') {
      throw new UsageError(`restart: --policy must be RESTART_FROM_INCOMPLETE or RESTART_FROM_BEGINNING (use --from-step for a specific step), got ${JSON.stringify(values.policy)}`);
    }
    const policy = fromStep !== undefined ? 'RESTART_FROM_SPECIFIC' : values['from-beginning'] ? 'RESTART_FROM_BEGINNING' : (values.policy ?? 'RESTART_FROM_INCOMPLETE');
    return withClient(serverTarget(values, io), io, async (client) => {
      const view = fromStep !== undefined ? await client.stepAction(workflowId, instanceId, fromStep, 'restart') : await client.restart(workflowId, instanceId, policy as 'RESTART_FROM_INCOMPLETE' | 'RESTART_FROM_BEGINNING');
      const via = view.parent && (view.initiator === 'SUBWORKFLOW' || view.initiator === 'FOREACH' || view.initiator === 'WHILE') ? view.parent : undefined;
      if (via) {
        // A child restarts through its parents (README, Actions): it re-runs once its parent's step re-runs it.
        io.out(`restart of workflow ${workflowId} instance ${instanceId}${fromStep !== undefined ? ` from step ${fromStep}` : ''} goes through its parent ${via.workflowId}/${via.instanceId} (step ${via.stepId}); it is now at run ${view.runId} (${view.status}), and runs again when that step re-runs it`);
        return values.wait ? followToEnd(client, workflowId, instanceId, io) : EXIT_OK;
      }
      io.out(
        fromStep !== undefined
          ? `restarted step ${fromStep} of workflow ${workflowId} instance ${instanceId}: run ${view.runId}, step ${view.steps.find((s) => s.stepId === fromStep)?.status ?? 'unknown'}`
          : `restarted workflow ${workflowId} instance ${instanceId} as run ${view.runId} (${policy})`,
      );
      return values.wait ? followToEnd(client, workflowId, instanceId, io) : EXIT_OK;
    });
  },
};

export const putOutputsCommand: Command = {
  name: 'put-outputs',
  group: 'client',
  summary: "put output params of a RUNNING step (later steps' conditions and params see them)",
  usage: [
    'maestro put-outputs WORKFLOW_ID INSTANCE_ID STEP_ID --output NAME=VALUE... [--output-json NAME=JSON]...',
    '  --output NAME=VALUE  an output param, as a string (coerced to the declared type, if any)',
    '  --output-json N=JSON an output param given as JSON (number, list, map...)',
    'Fails (exit 1) unless the step is RUNNING.',
    SERVER_USAGE,
  ],
  async run(argv, io) {
    const { values, args } = parseCommandLine(
      'put-outputs',
      argv,
      { ...SERVER_OPTION, output: { type: 'string', multiple: true }, 'output-json': { type: 'string', multiple: true } },
      [...INSTANCE_ARGS, 'STEP_ID'],
    );
    const [workflowId, instanceId] = instanceArgs(args);
    const stepId = args[2] ?? '';
    const outputs = parseParams(values.output, values['output-json'], '--output');
    const names = Object.keys(outputs);
    if (names.length === 0) throw new UsageError('put-outputs: give at least one --output NAME=VALUE or --output-json NAME=JSON');
    return withClient(serverTarget(values, io), io, async (client) => {
      const view = await client.putStepOutputs(workflowId, instanceId, stepId, outputs);
      const step = view.steps.find((s) => s.stepId === stepId);
      io.out(`put ${names.join(', ')} on step ${stepId} (${step?.status ?? 'unknown'}) of workflow ${workflowId} instance ${instanceId} run ${view.runId}`);
      return EXIT_OK;
    });
  },
};
