/** Commands about workflow definitions: push, validate (offline, or with --server), workflows, definition, activate. */
import type { Command } from './command.js';
import { EXIT_OK } from './errors.js';
import { optionalPositiveInt, parseCommandLine, parsePositiveInt, readDefinitionFile } from './options.js';
import { SERVER_OPTION, SERVER_USAGE, serverTarget, withClient } from './remote.js';
import { workflowListTable } from './render.js';
import { completeRequest, listExpressions, parseWorkflowInput } from '../core/definition/index.js';
import type { Step } from '../core/definition/model.js';
import { ValidationError } from '../core/errors.js';
import { createSelEngine } from '../expr/index.js';
import type { DefinitionFormat } from '../workflow/engine-api.js';

export const pushCommand: Command = {
  name: 'push',
  group: 'client',
  summary: 'store a workflow file as a new version',
  usage: ['maestro push FILE [--server HOST:PORT]', SERVER_USAGE],
  async run(argv, io) {
    const { values, args } = parseCommandLine('push', argv, SERVER_OPTION, ['FILE']);
    const def = await readDefinitionFile(args[0] ?? '', io.cwd);
    return withClient(serverTarget(values, io), io, async (client) => {
      const info = await client.createWorkflow(def.text, def.format);
      const active = info.isActive ? 'active' : `inactive; active version is ${info.activeVersion || 'none'}`;
      io.out(`pushed workflow ${info.workflowId} version ${info.version} (${active})`);
      for (const w of info.warnings) io.err(`warning: ${w}`);
      return EXIT_OK;
    });
  },
};

export const validateCommand: Command = {
  name: 'validate',
  group: 'client',
  summary: 'check a workflow file without storing it, offline (exit 2 naming the bad field)',
  usage: [
    'maestro validate FILE [--server HOST:PORT]',
    '  Without --server: parses and validates FILE here, no server needed (structure, params, the',
    '  DAG, SEL expressions), as a first version. Step types are not checked: which exist depends',
    '  on the deployment. With --server: the server validates it too (its step types, the',
    '  properties merged over the stored versions) and says what would fail at run time there.',
    SERVER_USAGE,
  ],
  async run(argv, io) {
    const { values, args } = parseCommandLine('validate', argv, SERVER_OPTION, ['FILE']);
    const def = await readDefinitionFile(args[0] ?? '', io.cwd);
    const local = validateLocally(def.text, def.format);
    const n = local.stepIds.length;
    const steps = `${n} top-level step${n === 1 ? '' : 's'} (${local.stepIds.join(', ')})`;
    if (values.server === undefined) {
      io.out(`valid: workflow ${local.workflowId}, ${steps}; checked offline (step types ${local.stepTypes.join(', ') || 'none'} not checked: pass --server to ask a server)`);
      return EXIT_OK;
    }
    return withClient(serverTarget(values, io), io, async (client) => {
      const summary = await client.validateWorkflow(def.text, def.format);
      const m = summary.stepIds.length;
      io.out(`valid: workflow ${summary.workflowId}, ${m} top-level step${m === 1 ? '' : 's'} (${summary.stepIds.join(', ')})`);
      for (const w of summary.warnings) io.err(`warning: ${w}`);
      return EXIT_OK;
    });
  },
};

/** What `validate` checks without a server: parse, structure, params and the DAG, and every SEL expression compiles. */
export function validateLocally(text: string, format: DefinitionFormat): { workflowId: string; stepIds: string[]; stepTypes: string[] } {
  const req = completeRequest(parseWorkflowInput(text, format), undefined);
  const sel = createSelEngine();
  for (const site of listExpressions(req)) {
    try {
      sel.compile(site.source);
    } catch (err) {
      throw new ValidationError(site.path, `invalid SEL expression: ${(err as Error).message}`, { cause: err });
    }
  }
  const types = new Set<string>();
  const walk = (steps: readonly Step[]): void => {
    for (const step of steps) {
      if (step.kind === 'step') types.add(step.type);
      else if (step.kind === 'foreach' || step.kind === 'while') walk(step.steps);
    }
  };
  walk(req.workflow.steps);
  return { workflowId: req.workflow.id, stepIds: req.workflow.steps.map((st) => st.id), stepTypes: [...types].sort() };
}

export const workflowsCommand: Command = {
  name: 'workflows',
  group: 'client',
  summary: 'list stored workflows with their latest and active versions',
  usage: ['maestro workflows [--server HOST:PORT]', SERVER_USAGE],
  async run(argv, io) {
    const { values } = parseCommandLine('workflows', argv, SERVER_OPTION, []);
    return withClient(serverTarget(values, io), io, async (client) => {
      const rows = await client.listWorkflows();
      for (const line of workflowListTable(rows)) io.out(line);
      return EXIT_OK;
    });
  },
};

export const definitionCommand: Command = {
  name: 'definition',
  group: 'client',
  summary: 'print a stored workflow version as JSON (definition, extra_info, whether active)',
  usage: [
    'maestro definition WORKFLOW_ID [--version N]',
    '  --version N          the version to print (default: the active one, else the latest)',
    SERVER_USAGE,
  ],
  async run(argv, io) {
    const { values, args } = parseCommandLine('definition', argv, { ...SERVER_OPTION, version: { type: 'string' } }, ['WORKFLOW_ID']);
    const version = optionalPositiveInt(values.version, '--version');
    return withClient(serverTarget(values, io), io, async (client) => {
      const info = await client.getWorkflow(args[0] ?? '', version);
      const out = {
        workflow_id: info.workflowId,
        version: info.version,
        is_active: info.isActive,
        active_version: info.activeVersion,
        created_at: new Date(info.createdAtMs).toISOString(),
        extra_info: info.extraInfo,
        definition: JSON.parse(info.definitionJson) as unknown,
      };
      io.out(JSON.stringify(out, null, 2));
      return EXIT_OK;
    });
  },
};

export const activateCommand: Command = {
  name: 'activate',
  group: 'client',
  summary: 'make a stored version the one new runs use by default',
  usage: ['maestro activate WORKFLOW_ID VERSION', SERVER_USAGE],
  async run(argv, io) {
    const { values, args } = parseCommandLine('activate', argv, SERVER_OPTION, ['WORKFLOW_ID', 'VERSION']);
    const version = parsePositiveInt(args[1] ?? '', 'VERSION');
    return withClient(serverTarget(values, io), io, async (client) => {
      const info = await client.activateWorkflow(args[0] ?? '', version);
      io.out(`activated workflow ${info.workflowId} version ${info.version}`);
      return EXIT_OK;
    });
  },
};
