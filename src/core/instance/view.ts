/** Read-only projections of an instance that leave the engine (get-instance, list, watch). */
import type { StepStatus, WorkflowStatus, RunPolicy } from '../status.js';
import type { ParamType } from '../definition/model.js';

import type { TriggerInfo } from '../signals/model.js';

export interface AttemptView {
  attempt: number;
  attemptId: string;
  status: StepStatus;
  createdAtMs: number;
  startedAtMs?: number;
  endedAtMs?: number;
  error?: string;
  outputs?: Record<string, unknown>;
  stdout?: string;
  stderr?: string;
  details?: Record<string, unknown>;
}

export interface StepView {
  stepId: string;
  stepType: string;
  status: StepStatus;
  attempts: AttemptView[];
  params: Record<string, unknown>;
  /** Each param's declared type (so the API can send a DOUBLE 3.0 as a double); absent from older servers. */
  paramTypes?: Record<string, ParamType>;
  outputs: Record<string, unknown>;
  startedAtMs?: number;
  endedAtMs?: number;
  /** foreach / while / subworkflow steps: their children (Maestro's step overviews). */
  overview?: StepOverview;
  /** Steps with signal_dependencies, once evaluated (Maestro's signal_dependencies). */
  signalDependencies?: SignalDependenciesView;
  /** Steps with signal_outputs, once evaluated in FINISHING (Maestro's signal_outputs). */
  signalOutputs?: SignalOutputsView;
}

export interface SignalDependenciesView {
  /** Why they changed other than by a match (a bypass). */
  info?: string;
  dependencies: Array<{
    name: string;
    /** PENDING, MATCHED or SKIPPED. */
    status: string;
    matchParams?: Record<string, { value: number | string; operator: string }>;
    /** MATCHED: the seq id of the signal instance. */
    signalId?: number;
  }>;
}

export interface SignalOutputsView {
  info?: string;
  outputs: Array<{
    name: string;
    params: Record<string, number | string>;
    payload: Record<string, unknown>;
    /** Set once announced. */
    signalId?: number;
    /** When the store took it; absent until announced and for a duplicate (see `announced`). */
    announceTimeMs?: number;
    announced: boolean;
  }>;
}

/** Leaf steps per status over a subtree (Maestro's rollup_overview counts). */
export interface RollupView {
  total: number;
  counts: Partial<Record<StepStatus, number>>;
  /** Leaf steps running, waiting or failed (at most 20 per status): where to look. */
  refs?: Array<{ status: StepStatus; workflowId: string; runId: number; instanceId: number; stepId: string; attempt: number }>;
}

/** Maestro's ForeachStepOverview: iteration ids per status as compressed inclusive ranges. */
export interface ForeachOverview {
  kind: 'foreach';
  inlineWorkflowId: string;
  runId: number;
  total: number;
  concurrency: number;
  /** Iterations looked at so far (the next one launched is this + 1, unless kept). */
  launched: number;
  running: number[];
  details: Partial<Record<WorkflowStatus, Array<[number, number]>>>;
  stats: Partial<Record<WorkflowStatus, number>>;
  rollup: RollupView;
}

export interface WhileOverview {
  kind: 'while';
  inlineWorkflowId: string;
  runId: number;
  iterations: number;
  running?: number;
  /** Each loop param's input per iteration, then its value after the last (Maestro's loop_param_values). */
  loopParamValues: Record<string, unknown[]>;
  lastStatus?: WorkflowStatus;
  rollup: RollupView;
}

export interface SubworkflowOverview {
  kind: 'subworkflow';
  workflowId: string;
  instanceId?: number;
  runId?: number;
  version?: number;
  status?: WorkflowStatus;
  sync: boolean;
  rollup?: RollupView;
}

export type StepOverview = ForeachOverview | WhileOverview | SubworkflowOverview;

/** The parent step of a child instance. */
export interface ParentView {
  workflowId: string;
  instanceId: number;
  runId: number;
  stepId: string;
  attempt: number;
}

/** One step in the aggregated view over runs (Maestro's StepAggregatedView). */
export interface StepAggregatedView {
  stepId: string;
  /** The run whose attempt this is; absent for a step no run created. */
  runId?: number;
  status: StepStatus;
  startedAtMs?: number;
  endedAtMs?: number;
}

/** Maestro's aggregated_info: every step as its latest run left it, and the status over runs. */
export interface AggregatedInfo {
  steps: StepAggregatedView[];
  workflowInstanceStatus: WorkflowStatus;
}

/** Maestro's raw instance status: the shown one, or FAILED_1 (unblocked) / FAILED_2 (restarted) for a FAILED run. */
export type RawStatus = WorkflowStatus | 'FAILED_1' | 'FAILED_2';

/** One run of an instance (oldest first in InstanceView.runs). */
export interface RunView {
  runId: number;
  /** The run's own status (for the latest run: its run status, see InstanceView.runStatus). */
  status: WorkflowStatus;
  rawStatus: RawStatus;
  startedAtMs?: number;
  endedAtMs?: number;
}

export interface InstanceView {
  workflowId: string;
  instanceId: number;
  runId: number;
  version: number;
  status: WorkflowStatus;
  runPolicy: RunPolicy;
  requestId?: string;
  params: Record<string, unknown>;
  /** Each run param's declared type; absent from older servers. */
  paramTypes?: Record<string, ParamType>;
  steps: StepView[];
  createdAtMs: number;
  startedAtMs?: number;
  endedAtMs?: number;
  error?: string;
  /** Recovery could not fold this instance's journal: it is held read-only, this says why. */
  replayError?: string;
  /** Leaf steps of the whole subtree (iterations and sync children included) per status. */
  rollup: RollupView;
  initiator: string;
  /** A TIME or SIGNAL initiator's details. */
  trigger?: TriggerInfo;
  /** Set on foreach/while iterations and subworkflow children. */
  parent?: ParentView;
  depth: number;
  correlationId: string;
  /** The run's own status when `status` is the aggregated one and differs (Maestro's run_status). */
  runStatus?: WorkflowStatus;
  /** Always set by the engine (optional for views built elsewhere, e.g. from an older server). */
  aggregatedInfo?: AggregatedInfo;
  /** The raw status of the latest run: `status`, or FAILED_1 once unblocked (raw-status.ts); absent from older servers. */
  rawStatus?: RawStatus;
  /** Every run, oldest first, with its raw status (an earlier FAILED run is FAILED_2, or FAILED_1 if it was unblocked); absent from older servers. */
  runs?: RunView[];
  /** The journal position (InstanceState.seq) this view reflects: a watch drops changes at or below it. */
  seq?: number;
}

export interface InstanceSummary {
  workflowId: string;
  instanceId: number;
  runId: number;
  version: number;
  status: WorkflowStatus;
  createdAtMs: number;
  endedAtMs?: number;
  /** Set only when it differs from `status`: FAILED_1, an unblocked FAILED instance (raw-status.ts). */
  rawStatus?: RawStatus;
}

/** One change, as pushed to watchers. */
export interface InstanceChange {
  workflowId: string;
  instanceId: number;
  runId: number;
  atMs: number;
  /** Step that changed, absent for workflow-level changes. */
  stepId?: string;
  attempt?: number;
  status: string;
  message?: string;
  /** The journal position (seq of the event) that made this change; absent from older servers. */
  seq?: number;
}
