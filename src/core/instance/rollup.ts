/**
 * Rollups (Maestro's rollup_overview: leaf steps of a subtree per status, with references to the
 * running, waiting and failed ones) and the compressed iteration-id ranges of foreach overviews.
 * Pure functions of instance state; composite.ts keeps them up to date as children end.
 */
import type { StepStatus } from '../status.js';
import type { CompiledWorkflow } from './compiled.js';
import type { IdRanges, InstanceState, Rollup, RollupRef, StepState } from './state.js';
import { currentAttempt } from './transition.js';

export function emptyRollup(): Rollup {
  return { total: 0, counts: {} };
}

/** Maestro's overview-flag statuses: the rollup keeps references to steps in them. */
export const ROLLUP_REF_STATUSES: ReadonlySet<StepStatus> = new Set<StepStatus>([
  'PAUSED',
  'WAITING_FOR_SIGNALS',
  'EVALUATING_PARAMS',
  'WAITING_FOR_PERMITS',
  'RUNNING',
  'USER_FAILED',
  'PLATFORM_FAILED',
  'FATALLY_FAILED',
  'INTERNALLY_FAILED',
  'TIMEOUT_FAILED',
]);
/** References kept per status (a 25,000-iteration loop's rollup stays small). */
export const ROLLUP_REFS_PER_STATUS = 20;

export function addRollup(a: Rollup, b: Rollup): Rollup {
  const counts = { ...a.counts };
  for (const [k, n] of Object.entries(b.counts) as Array<[StepStatus, number]>) counts[k] = (counts[k] ?? 0) + n;
  const out: Rollup = { total: a.total + b.total, counts };
  const refs = mergeRefs(a.refs, b.refs);
  if (refs) out.refs = refs;
  return out;
}

/** `a` without `b` (an iteration's earlier run, replaced by its restart): counts floored at 0, refs of `b`'s instances dropped. */
export function subtractRollup(a: Rollup, b: Rollup): Rollup {
  const counts = { ...a.counts };
  for (const [k, n] of Object.entries(b.counts) as Array<[StepStatus, number]>) {
    const left = (counts[k] ?? 0) - n;
    if (left > 0) counts[k] = left;
    else delete counts[k];
  }
  const out: Rollup = { total: Math.max(0, a.total - b.total), counts };
  const gone = new Set((b.refs ?? []).map((r) => `${r.workflowId}/${r.instanceId}/${r.stepId}`));
  const refs = a.refs?.filter((r) => !gone.has(`${r.workflowId}/${r.instanceId}/${r.stepId}`));
  if (refs && refs.length > 0) out.refs = refs;
  return out;
}

function mergeRefs(a: RollupRef[] | undefined, b: RollupRef[] | undefined): RollupRef[] | undefined {
  if (!b || b.length === 0) return a;
  if (!a || a.length === 0) return b;
  const out = a.slice();
  const per = new Map<StepStatus, number>();
  for (const r of out) per.set(r.status, (per.get(r.status) ?? 0) + 1);
  for (const r of b) {
    const n = per.get(r.status) ?? 0;
    if (n >= ROLLUP_REFS_PER_STATUS) continue;
    per.set(r.status, n + 1);
    out.push(r);
  }
  return out;
}

/**
 * Leaf steps of an instance's subtree by status (Maestro's rollup_overview counts): a leaf step
 * counts 1; a foreach its ended iterations' rollups plus 1 RUNNING per running iteration (1 at its
 * own status while none is known); a while its iterations'; a sync subworkflow its child's.
 */
export function rollupOf(s: InstanceState, def: CompiledWorkflow): Rollup {
  let r = emptyRollup();
  const one = (status: StepStatus, st?: StepState) => {
    r.total++;
    r.counts[status] = (r.counts[status] ?? 0) + 1;
    const a = st ? currentAttempt(st) : undefined;
    if (st && a && ROLLUP_REF_STATUSES.has(status)) {
      const ref: RollupRef = { status, workflowId: s.workflowId, runId: s.runId, instanceId: s.instanceId, stepId: st.stepId, attempt: a.attempt };
      r = addRollup(r, { total: 0, counts: {}, refs: [ref] });
    }
  };
  for (const id of def.order) {
    const st = s.steps[id];
    if (!st) continue;
    const loop = st.loop;
    if (loop?.kind === 'foreach' && (loop.rollup.total > 0 || loop.running.length > 0)) {
      r = addRollup(r, loop.rollup);
      for (let i = 0; i < loop.running.length; i++) one('RUNNING');
    } else if (loop?.kind === 'while' && (loop.rollup.total > 0 || loop.running !== undefined)) {
      r = addRollup(r, loop.rollup);
      if (loop.running !== undefined) one('RUNNING');
    } else if (loop?.kind === 'subworkflow' && loop.sync && loop.rollup) {
      r = addRollup(r, loop.rollup);
    } else {
      one(st.status, st);
    }
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// id ranges

export function inRanges(r: IdRanges, id: number): boolean {
  let lo = 0;
  let hi = r.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = r[mid]!;
    if (id < a) hi = mid - 1;
    else if (id > b) lo = mid + 1;
    else return true;
  }
  return false;
}

/** A new ranges list with `id` added (merged with its neighbours). */
export function addToRanges(r: IdRanges, id: number): IdRanges {
  if (inRanges(r, id)) return r;
  let i = 0;
  while (i < r.length && r[i]![1] < id) i++;
  const out = r.slice();
  const before = i > 0 && out[i - 1]![1] === id - 1;
  const after = i < out.length && out[i]![0] === id + 1;
  if (before && after) out.splice(i - 1, 2, [out[i - 1]![0], out[i]![1]]);
  else if (before) out[i - 1] = [out[i - 1]![0], id];
  else if (after) out[i] = [id, out[i]![1]];
  else out.splice(i, 0, [id, id]);
  return out;
}

/** A new ranges list without `id`. */
export function removeFromRanges(r: IdRanges, id: number): IdRanges {
  const out: IdRanges = [];
  for (const [a, b] of r) {
    if (id < a || id > b) out.push([a, b]);
    else {
      if (a < id) out.push([a, id - 1]);
      if (id < b) out.push([id + 1, b]);
    }
  }
  return out;
}

export function union(a: IdRanges, b: IdRanges): IdRanges {
  let out = a;
  for (const [x, y] of b) for (let i = x; i <= y; i++) out = addToRanges(out, i);
  return out;
}

export function rangeCount(r: IdRanges): number {
  let n = 0;
  for (const [a, b] of r) n += b - a + 1;
  return n;
}

export function formatRanges(r: IdRanges): string {
  const parts = r.slice(0, 10).map(([a, b]) => (a === b ? String(a) : `${a}-${b}`));
  return parts.join(',') + (r.length > 10 ? ',…' : '');
}
