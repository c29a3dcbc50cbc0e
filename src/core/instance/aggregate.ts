/**
 * The aggregated view over runs [Maestro AggregatedViewHelper]: each step as its latest run left
 * it, and the instance status that follows.
 *
 * - Steps carried over from earlier runs (outside this run's runtime DAG) show the earlier run's
 *   view (the baseline); steps of this run's DAG show this run, NOT_CREATED until created here.
 * - The aggregated status differs from the run's own status only when a restart run that is not
 *   fresh (RESTART_FROM_INCOMPLETE or RESTART_FROM_SPECIFIC) SUCCEEDED: then any step FAILED-like
 *   → FAILED, else TIMED_OUT over STOPPED, else SUCCEEDED — but a NOT_CREATED step keeps the
 *   status the earlier runs had. The run's own status is kept as `runStatus`.
 */
import type { AggregatedBaseline, AggregatedStepState, InstanceState } from './state.js';
import type { CompiledWorkflow } from './compiled.js';
import type { StepStatus, WorkflowStatus } from '../status.js';

export interface AggregatedStepView {
  /** Absent for a step no run created. */
  runId?: number;
  status: StepStatus;
  startedAtMs?: number;
  endedAtMs?: number;
}

/** Each step of the definition, in order, as the aggregated view shows it. */
export function aggregatedSteps(s: InstanceState, def: CompiledWorkflow): Record<string, AggregatedStepView> {
  const out: Record<string, AggregatedStepView> = {};
  const base = s.aggregated?.steps;
  const carried = s.carried;
  for (const id of def.order) {
    const st = s.steps[id];
    if (carried?.includes(id) && base?.[id]) {
      out[id] = { ...base[id] };
    } else if (!st || st.status === 'NOT_CREATED') {
      out[id] = { status: 'NOT_CREATED' };
    } else {
      const v: AggregatedStepView = { runId: s.runId, status: st.status };
      if (st.startedAtMs !== undefined) v.startedAtMs = st.startedAtMs;
      if (st.endedAtMs !== undefined) v.endedAtMs = st.endedAtMs;
      out[id] = v;
    }
  }
  return out;
}

/** What a restart keeps of the runs so far (created steps only). */
export function baselineOf(s: InstanceState, def: CompiledWorkflow): AggregatedBaseline {
  const steps: Record<string, AggregatedStepState> = {};
  for (const [id, v] of Object.entries(aggregatedSteps(s, def))) {
    if (v.runId !== undefined) steps[id] = v as AggregatedStepState;
  }
  return { steps, status: s.status };
}

const FRESH = new Set(['START_FRESH_NEW_RUN', 'RESTART_FROM_BEGINNING']);

/** The instance status over all runs, for a run that ended with `runStatus`. */
export function aggregatedStatus(s: InstanceState, def: CompiledWorkflow, runStatus: WorkflowStatus): WorkflowStatus {
  if (runStatus !== 'SUCCEEDED' || FRESH.has(s.runPolicy) || !s.aggregated) return runStatus;
  let status: WorkflowStatus | undefined;
  let allCreated = true;
  for (const v of Object.values(aggregatedSteps(s, def))) {
    switch (workflowStatusOf(v.status)) {
      case 'FAILED':
        return 'FAILED';
      case 'TIMED_OUT':
        status = 'TIMED_OUT';
        break;
      case 'STOPPED':
        if (status !== 'TIMED_OUT') status = 'STOPPED';
        break;
      case 'CREATED':
        allCreated = false;
        break;
      default:
        break;
    }
  }
  return status ?? (allCreated ? 'SUCCEEDED' : s.aggregated.status);
}

/** Maestro's step status → instance status map (AggregatedViewHelper). */
export function workflowStatusOf(st: StepStatus): WorkflowStatus {
  switch (st) {
    case 'NOT_CREATED':
      return 'CREATED';
    case 'DISABLED':
    case 'UNSATISFIED':
    case 'SKIPPED':
    case 'SUCCEEDED':
    case 'COMPLETED_WITH_ERROR':
      return 'SUCCEEDED';
    case 'USER_FAILED':
    case 'PLATFORM_FAILED':
    case 'FATALLY_FAILED':
    case 'INTERNALLY_FAILED':
    case 'TIMEOUT_FAILED':
      return 'FAILED';
    case 'STOPPED':
      return 'STOPPED';
    case 'TIMED_OUT':
      return 'TIMED_OUT';
    default:
      return 'IN_PROGRESS';
  }
}
