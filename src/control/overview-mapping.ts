/** Proto <-> view mapping of the composite-step overviews, rollups and parent refs (instance.proto). */
import type { ForeachOverview, ParentView, RollupView, StepOverview, SubworkflowOverview, WhileOverview } from '../core/instance/view.js';
import { STEP_STATUSES, WORKFLOW_STATUSES, type StepStatus, type WorkflowStatus } from '../core/status.js';
import type * as pb from '../gen/maestro/v1/instance.js';
import { stepStatuses, workflowStatuses } from './enums.js';
import { fromValueMap, toValueMap } from './value-mapping.js';

const STEP = new Set<string>(STEP_STATUSES);
const WORKFLOW = new Set<string>(WORKFLOW_STATUSES);

export function rollupToProto(r: RollupView): pb.Rollup {
  return {
    totalLeafCount: r.total,
    counts: { ...r.counts } as Record<string, number>,
    refs: (r.refs ?? []).map((x) => ({ ...x, status: stepStatuses.toProto(x.status) })),
  };
}

export function rollupFromProto(r: pb.Rollup | undefined): RollupView {
  const counts: RollupView['counts'] = {};
  for (const [k, n] of Object.entries(r?.counts ?? {})) if (STEP.has(k)) counts[k as StepStatus] = n;
  const out: RollupView = { total: r?.totalLeafCount ?? 0, counts };
  const refs = (r?.refs ?? []).flatMap((x) => {
    const status = stepStatuses.fromProto(x.status);
    return status ? [{ status, workflowId: x.workflowId, runId: x.runId, instanceId: x.instanceId, stepId: x.stepId, attempt: x.attempt }] : [];
  });
  if (refs.length > 0) out.refs = refs;
  return out;
}

export function overviewToProto(o: StepOverview | undefined): pb.StepOverview | undefined {
  if (!o) return undefined;
  if (o.kind === 'foreach') {
    const details: Record<string, pb.IdRanges> = {};
    for (const [k, r] of Object.entries(o.details)) details[k] = { ranges: (r ?? []).map(([first, last]) => ({ first, last })) };
    return {
      foreach: {
        inlineWorkflowId: o.inlineWorkflowId,
        runId: o.runId,
        total: o.total,
        concurrency: o.concurrency,
        launched: o.launched,
        running: o.running,
        details,
        stats: { ...o.stats } as Record<string, number>,
        rollup: rollupToProto(o.rollup),
      },
    };
  }
  if (o.kind === 'while') {
    return {
      whileLoop: {
        inlineWorkflowId: o.inlineWorkflowId,
        runId: o.runId,
        iterations: o.iterations,
        running: o.running ?? 0,
        loopParamValues: toValueMap(o.loopParamValues, 'loop_param_values'),
        lastStatus: o.lastStatus ? workflowStatuses.toProto(o.lastStatus) : 0,
        rollup: rollupToProto(o.rollup),
      },
    };
  }
  return {
    subworkflow: {
      workflowId: o.workflowId,
      instanceId: o.instanceId ?? 0,
      runId: o.runId ?? 0,
      version: o.version ?? 0,
      status: o.status ? workflowStatuses.toProto(o.status) : 0,
      sync: o.sync,
      rollup: o.rollup ? rollupToProto(o.rollup) : undefined,
    },
  };
}

export function overviewFromProto(p: pb.StepOverview | undefined): StepOverview | undefined {
  if (!p) return undefined;
  if (p.foreach) {
    const f = p.foreach;
    const details: ForeachOverview['details'] = {};
    for (const [k, r] of Object.entries(f.details)) if (WORKFLOW.has(k)) details[k as WorkflowStatus] = (r.ranges ?? []).map((x) => [x.first, x.last]);
    const stats: ForeachOverview['stats'] = {};
    for (const [k, n] of Object.entries(f.stats)) if (WORKFLOW.has(k)) stats[k as WorkflowStatus] = n;
    return { kind: 'foreach', inlineWorkflowId: f.inlineWorkflowId, runId: f.runId, total: f.total, concurrency: f.concurrency, launched: f.launched, running: f.running, details, stats, rollup: rollupFromProto(f.rollup) };
  }
  if (p.whileLoop) {
    const w = p.whileLoop;
    const v: WhileOverview = { kind: 'while', inlineWorkflowId: w.inlineWorkflowId, runId: w.runId, iterations: w.iterations, loopParamValues: fromValueMap(w.loopParamValues) as Record<string, unknown[]>, rollup: rollupFromProto(w.rollup) };
    if (w.running) v.running = w.running;
    const last = workflowStatuses.fromProto(w.lastStatus);
    if (last) v.lastStatus = last;
    return v;
  }
  if (p.subworkflow) {
    const s = p.subworkflow;
    const v: SubworkflowOverview = { kind: 'subworkflow', workflowId: s.workflowId, sync: s.sync };
    if (s.instanceId) v.instanceId = s.instanceId;
    if (s.runId) v.runId = s.runId;
    if (s.version) v.version = s.version;
    const st = workflowStatuses.fromProto(s.status);
    if (st) v.status = st;
    if (s.rollup) v.rollup = rollupFromProto(s.rollup);
    return v;
  }
  return undefined;
}

export function parentToProto(p: ParentView | undefined): pb.ParentRef | undefined {
  return p && { ...p };
}

export function parentFromProto(p: pb.ParentRef | undefined): ParentView | undefined {
  return p && p.workflowId ? { workflowId: p.workflowId, instanceId: p.instanceId, runId: p.runId, stepId: p.stepId, attempt: p.attempt } : undefined;
}
