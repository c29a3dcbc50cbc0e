/** The last lines of a failed step's kept logs, printed under the failure (`maestro run`). */
import { isStepFailed } from '../core/status.js';
import type { InstanceView } from '../core/instance/view.js';

export const TAIL_LINES = 20;

/** For each step whose last attempt failed: its last `n` lines of stderr, else of stdout. */
export function failedStepTails(view: InstanceView, n = TAIL_LINES): string[] {
  const out: string[] = [];
  for (const s of view.steps) {
    const last = s.attempts.at(-1);
    if (last === undefined || !isStepFailed(last.status)) continue;
    const stream = last.stderr?.trim() ? 'stderr' : last.stdout?.trim() ? 'stdout' : undefined;
    if (stream === undefined) continue;
    const lines = (last[stream] ?? '').trimEnd().split('\n');
    const shown = lines.slice(-n);
    const more = lines.length > shown.length ? `, last ${shown.length} of ${lines.length} lines` : '';
    out.push(`  step ${s.stepId} (attempt ${last.attempt}) ${stream}${more}:`);
    for (const line of shown) out.push(`    | ${line}`);
  }
  return out;
}
