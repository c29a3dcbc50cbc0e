/**
 * What `maestro get` prints for foreach / while / subworkflow steps and for child instances: one
 * compact line per composite step (iteration ids as ranges, never one line per iteration, so a
 * 25,000-iteration foreach costs the same as a small one), the leaf-step rollup, and the parent.
 */
import type { ForeachOverview, InstanceView, ParentView, RollupView, StepOverview, SubworkflowOverview, WhileOverview } from '../core/instance/view.js';
import { STEP_STATUSES, WORKFLOW_STATUSES } from '../core/status.js';

/** At most this many ranges per status, running ids, or values per loop param. */
const MAX_ITEMS = 8;
/** A loop param value longer than this (as JSON) is cut. */
const MAX_VALUE_CHARS = 40;

/** [[1,9],[12,12]] -> "1-9, 12"; past `max` ranges "… (+N more)". */
export function formatIdRanges(ranges: ReadonlyArray<readonly [number, number]>, max = MAX_ITEMS): string {
  const shown = ranges.slice(0, max).map(([a, b]) => (a === b ? String(a) : `${a}-${b}`));
  if (ranges.length > max) shown.push(`… (+${ranges.length - max} more ranges)`);
  return shown.join(', ');
}

/** Sorted ids -> inclusive ranges. */
export function toRanges(ids: readonly number[]): Array<[number, number]> {
  const sorted = [...ids].sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (const id of sorted) {
    const last = out[out.length - 1];
    if (last && id <= last[1] + 1) last[1] = Math.max(last[1], id);
    else out.push([id, id]);
  }
  return out;
}

function foreachLine(o: ForeachOverview): string {
  const done = Object.values(o.stats).reduce((a, b) => a + (b ?? 0), 0);
  const byStatus = WORKFLOW_STATUSES.filter((s) => (o.details[s]?.length ?? 0) > 0).map((s) => `${s} ${formatIdRanges(o.details[s]!)}`);
  let line = `${done}/${o.total} iterations${byStatus.length > 0 ? `: ${byStatus.join('; ')}` : ''} (concurrency ${o.concurrency}, run ${o.runId})`;
  if (o.running.length > 0) line += `; running ${o.running.length}: ${formatIdRanges(toRanges(o.running))}`;
  return `${line}; iterations are instances of ${o.inlineWorkflowId}`;
}

function valueText(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS - 1)}…` : s;
}

function whileLine(o: WhileOverview): string {
  let line = `${o.iterations} iteration${o.iterations === 1 ? '' : 's'} (run ${o.runId})`;
  if (o.running !== undefined) line += `; running ${o.running}`;
  if (o.lastStatus) line += `; last ${o.lastStatus}`;
  const params = Object.entries(o.loopParamValues).map(([name, values]) => {
    const tail = values.slice(-MAX_ITEMS).map(valueText).join(', ');
    return `${name} = [${values.length > MAX_ITEMS ? `… ${values.length - MAX_ITEMS} more, ` : ''}${tail}]`;
  });
  if (params.length > 0) line += `; ${params.join('; ')}`;
  return `${line}; iterations are instances of ${o.inlineWorkflowId}`;
}

function subworkflowLine(o: SubworkflowOverview): string {
  const mode = o.sync ? 'sync' : 'async';
  if (o.instanceId === undefined) return `child ${o.workflowId}: not started yet (${mode})`;
  const version = o.version === undefined ? '' : ` version ${o.version}`;
  return `child ${o.workflowId}/${o.instanceId} run ${o.runId ?? 1}${version}: ${o.status ?? 'CREATED'} (${mode})`;
}

export function overviewLine(o: StepOverview): string {
  switch (o.kind) {
    case 'foreach':
      return foreachLine(o);
    case 'while':
      return whileLine(o);
    case 'subworkflow':
      return subworkflowLine(o);
  }
}

/** "54 SUCCEEDED, 2 FAILED", in status order; the total when it differs from the counts' sum. */
export function rollupText(r: RollupView): string {
  const parts = STEP_STATUSES.filter((s) => (r.counts[s] ?? 0) > 0).map((s) => `${r.counts[s]} ${s}`);
  const sum = Object.values(r.counts).reduce((a, b) => a + (b ?? 0), 0);
  const text = parts.length > 0 ? parts.join(', ') : 'none';
  return sum === r.total ? text : `${text} (of ${r.total})`;
}

function parentText(p: ParentView): string {
  return `${p.workflowId}/${p.instanceId} run ${p.runId}, step ${p.stepId} (attempt ${p.attempt})`;
}

/** Lines after the step table: one per composite step, the rollup, the parent for a child. */
export function compositeLines(view: InstanceView): string[] {
  const lines: string[] = [];
  for (const s of view.steps) if (s.overview) lines.push(`  ${s.stepId}: ${overviewLine(s.overview)}`);
  if (view.rollup && (view.rollup.total > 0 || lines.length > 0)) lines.push(`leaf steps: ${rollupText(view.rollup)}`);
  // Where the failed leaves of a tree are (only when they are inside children: a top-level one is in the table).
  const nested = (view.rollup?.refs ?? []).filter((r) => r.status.endsWith('FAILED') && !(r.workflowId === view.workflowId && r.instanceId === view.instanceId));
  for (const r of nested.slice(0, 5)) lines.push(`  ${r.status}: ${r.workflowId}/${r.instanceId} run ${r.runId}, step ${r.stepId} (attempt ${r.attempt})`);
  if (nested.length > 5) lines.push(`  … ${nested.length - 5} more failed leaf steps`);
  if (view.parent) lines.push(`parent: ${parentText(view.parent)}; depth ${view.depth}; initiator ${view.initiator}`);
  return lines;
}
