/** `maestro triggers WORKFLOW`: a workflow's time triggers (jitter, watermark, next fires) and signal triggers, through TriggerService. */
import type { Command } from './command.js';
import { EXIT_OK, UsageError } from './errors.js';
import { parseCommandLine } from './options.js';
import { SERVER_OPTION, SERVER_USAGE, serverTarget, withClient } from './remote.js';
import { table } from './render.js';
import type { WorkflowTriggers } from '../control/trigger-service.js';

const iso = (ms: number | undefined): string => (ms === undefined ? '-' : new Date(ms).toISOString());

function parseUpcoming(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) > 100) throw new UsageError(`triggers: --upcoming must be an integer in 0..100, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** The lines `maestro triggers` prints. */
export function renderTriggers(v: WorkflowTriggers): string[] {
  const t = v.time;
  const out: string[] = [];
  if (t.triggers.length === 0) out.push('time triggers: none');
  else {
    out.push(
      t.subscribed
        ? `time triggers: subscribed since ${iso(t.subscribedAtMs)} (uuid ${t.triggerUuid}, starts version ${t.version}${t.pending > 0 ? `, ${t.pending} starts pending` : ''})`
        : `time triggers: not firing (${t.reason ?? 'not subscribed'})`,
    );
    const rows = t.triggers.map((x) => [String(x.index), x.definitionJson, x.timezone, `${x.jitterMs / 1000}s`, iso(x.watermarkMs), x.nextFiresMs.map(iso).join(' ') || '-']);
    out.push(...table(['#', 'DEFINITION', 'TIMEZONE', 'JITTER', 'WATERMARK', 'NEXT FIRES'], rows));
  }
  if (v.signal.length === 0) out.push('signal triggers: none');
  else {
    out.push('signal triggers:');
    const rows = v.signal.map((s) => [String(s.index), s.definitionJson, Object.entries(s.checkpoints).map(([k, n]) => `${k}=${n}`).join(' ') || '-']);
    out.push(...table(['#', 'DEFINITION', 'CHECKPOINTS'], rows));
  }
  return out;
}

export const triggersCommand: Command = {
  name: 'triggers',
  group: 'client',
  summary: "show a workflow's time and signal triggers (next fires, jitter, watermarks)",
  usage: [
    'maestro triggers WORKFLOW [--upcoming N] [--sync]',
    '  --upcoming N   next fires shown per time trigger (default 5, at most 100)',
    '  --sync         first re-read the active version and start every fire due now',
    SERVER_USAGE,
  ],
  async run(argv, io) {
    const options = { ...SERVER_OPTION, upcoming: { type: 'string' as const }, sync: { type: 'boolean' as const } };
    const { values, args } = parseCommandLine('triggers', argv, options, ['WORKFLOW']);
    const upcoming = parseUpcoming(values.upcoming);
    const workflowId = args[0] ?? '';
    return withClient(serverTarget(values, io), io, async (client) => {
      if (values.sync) {
        const r = await client.syncTimeTriggers(workflowId);
        io.out(`synced: ${r.subscribed ? 'subscribed' : 'not subscribed'}, ${r.fired} started`);
      }
      for (const l of renderTriggers(await client.getTriggers(workflowId, upcoming))) io.out(l);
      return EXIT_OK;
    });
  },
};
