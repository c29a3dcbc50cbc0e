/** Read-only projections of an instance that leave the engine (get-instance, list, watch). */
import type { StepStatus, WorkflowStatus, RunPolicy } from '../status.js';

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
  outputs: Record<string, unknown>;
  startedAtMs?: number;
  endedAtMs?: number;
  /** Present once a user bypassed the step's signal dependencies. */
  signalDependencies?: { info: string; dependencies: Array<{ name: string; status: string }> };
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

export interface InstanceView {
  workflowId: string;
  instanceId: number;
  runId: number;
  version: number;
  status: WorkflowStatus;
  runPolicy: RunPolicy;
  requestId?: string;
  params: Record<string, unknown>;
  steps: StepView[];
  createdAtMs: number;
  startedAtMs?: number;
  endedAtMs?: number;
  error?: string;
  /** Recovery could not fold this instance's journal: it is held read-only, this says why. */
  replayError?: string;
  /** The run's own status when `status` is the aggregated one and differs (Maestro's run_status). */
  runStatus?: WorkflowStatus;
  /** Always set by the engine (optional for views built elsewhere, e.g. from an older server). */
  aggregatedInfo?: AggregatedInfo;
}

export interface InstanceSummary {
  workflowId: string;
  instanceId: number;
  runId: number;
  version: number;
  status: WorkflowStatus;
  createdAtMs: number;
  endedAtMs?: number;
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
}
