/** `maestro tag-permit set|get|rm|list`: tag permit limits (step concurrency, §7) through TagPermitService. */
import type { Command } from './command.js';
import { EXIT_OK, UsageError } from './errors.js';
import { parseCommandLine } from './options.js';
import { SERVER_OPTION, SERVER_USAGE, serverTarget, withClient } from './remote.js';
import { table } from './render.js';
import type { TagPermit } from '../workflow/engine-api.js';

function row(p: TagPermit): string[] {
  return [p.tag, p.maxAllowed === undefined ? '-' : String(p.maxAllowed), String(p.holders), String(p.waiting)];
}
const HEADER = ['TAG', 'MAX_ALLOWED', 'HOLDERS', 'WAITING'];

function parseMax(v: string): number {
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new UsageError(`tag-permit set: MAX_ALLOWED must be an integer >= 0, got ${JSON.stringify(v)}`);
  return Number(v);
}

export const tagPermitCommand: Command = {
  name: 'tag-permit',
  group: 'client',
  summary: 'set, show, remove or list tag permit limits (step concurrency across instances)',
  usage: [
    'maestro tag-permit set TAG MAX_ALLOWED   at most MAX_ALLOWED steps with TAG run at once (0 blocks them)',
    'maestro tag-permit get TAG               the limit, holders and waiters of TAG',
    'maestro tag-permit rm TAG                remove the limit (a runtime tag\'s inline limit applies again)',
    'maestro tag-permit list                  every tag with a limit, holders or waiters',
    '  Runtime tags: maestro_<workflow_id> (step_concurrency, default 20), maestro_<workflow_id>:<step_id> (20),',
    '  maestro_<correlation_id> (instance_step_concurrency); a step\'s own tags are unlimited until set here.',
    SERVER_USAGE,
  ],
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub !== 'set' && sub !== 'get' && sub !== 'rm' && sub !== 'list') {
      throw new UsageError(`tag-permit: expected set, get, rm or list, got ${sub === undefined ? 'nothing' : JSON.stringify(sub)}`);
    }
    const positionals = sub === 'set' ? ['TAG', 'MAX_ALLOWED'] : sub === 'list' ? [] : ['TAG'];
    const { values, args } = parseCommandLine(`tag-permit ${sub}`, rest, SERVER_OPTION, positionals);
    const max = sub === 'set' ? parseMax(args[1] ?? '') : 0;
    return withClient(serverTarget(values, io), io, async (client) => {
      switch (sub) {
        case 'set': {
          const p = await client.setTagPermit(args[0] ?? '', max);
          io.out(`tag ${p.tag}: max_allowed ${max} (${p.holders} holding, ${p.waiting} waiting)`);
          break;
        }
        case 'get':
          for (const l of table(HEADER, [row(await client.getTagPermit(args[0] ?? ''))])) io.out(l);
          break;
        case 'rm': {
          const p = await client.deleteTagPermit(args[0] ?? '');
          io.out(`tag ${p.tag}: limit removed (${p.holders} holding, ${p.waiting} waiting)`);
          break;
        }
        case 'list': {
          const list = await client.listTagPermits();
          if (list.length === 0) io.out('no tag permits');
          else for (const l of table(HEADER, list.map(row))) io.out(l);
          break;
        }
      }
      return EXIT_OK;
    });
  },
};
