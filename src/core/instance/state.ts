/**
 * The state of one workflow instance actor: the current run, its steps and attempts, and the
 * timers it waits on. Plain data (msgpack-able), so it can be snapshotted and replayed.
 */
import type { TypedValue } from '../expr-port.js';
import type { AttemptView } from './view.js';
import type { RunPolicy, StepStatus, WorkflowStatus } from '../status.js';

/** An attempt as kept in state is exactly what get-instance shows. */
export type AttemptState = AttemptView;

export interface RetryCounts {
  user: number;
  platform: number;
  timeout: number;
}

/** Plain data, changed only through Transition (copy-on-write); `retries` is replaced, never mutated. */
export interface StepState {
  stepId: string;
  status: StepStatus;
  attempts: AttemptState[];
  retries: Readonly<RetryCounts>;
  /** Evaluated params of the current attempt (outputs merged in). */
  params: Record<string, TypedValue>;
  startedAtMs?: number;
  endedAtMs?: number;
  /** Set when a user bypassed the step's signal dependencies (actions.ts). */
  signalDependencies?: SignalDependenciesState;
}

export interface SignalDependenciesState {
  info: string;
  dependencies: Array<{ name: string; status: 'PENDING' | 'MATCHED' | 'SKIPPED' }>;
}

/** One step as the aggregated view over runs shows it (Maestro's StepAggregatedView). */
export interface AggregatedStepState {
  runId: number;
  status: StepStatus;
  startedAtMs?: number;
  endedAtMs?: number;
}

/** What earlier runs left: each step's latest view, and the instance's aggregated status then. */
export interface AggregatedBaseline {
  steps: Record<string, AggregatedStepState>;
  status: WorkflowStatus;
}

export type TimerKind = 'retry' | 'step-timeout' | 'workflow-timeout';
export interface TimerState {
  timerId: string;
  kind: TimerKind;
  atMs: number;
  stepId?: string;
  attempt?: number;
}

export interface RunSummary {
  runId: number;
  status: WorkflowStatus;
  startedAtMs?: number;
  endedAtMs?: number;
}

export interface InstanceState {
  workflowId: string;
  instanceId: number;
  version: number;
  runId: number;
  uuid: string;
  status: WorkflowStatus;
  runPolicy: RunPolicy;
  requestId?: string;
  initiator: 'MANUAL' | 'TIME' | 'SIGNAL' | 'SUBWORKFLOW' | 'FOREACH';
  /** Run params as given at start (raw), kept for restart. */
  runParams: Record<string, unknown>;
  params: Record<string, TypedValue>;
  steps: Record<string, StepState>;
  timers: Record<string, TimerState>;
  createdAtMs: number;
  startedAtMs?: number;
  endedAtMs?: number;
  error?: string;
  /** Earlier runs of this instance (restart creates run N+1). */
  runs: RunSummary[];
  /** Journal seq of the last event applied. */
  seq: number;
  /** Steps in STARTING/RUNNING/FINISHING (derived, kept by transitions; counted when absent). */
  runningSteps?: number;
  /**
   * Set when recovery could not fold a journaled event (the state is as of the last event it
   * could): the instance is held read-only and shows why; see partition-host.ts.
   */
  replayError?: string;
  /**
   * The run's own status when the instance's status is the aggregated one over runs and differs
   * (a restart run that SUCCEEDED while a step of an earlier run still FAILED): Maestro's
   * runtime_overview.run_status.
   */
  runStatus?: WorkflowStatus;
  /** Earlier runs' step views (set from the first restart on; see aggregate.ts). */
  aggregated?: AggregatedBaseline;
  /** Steps carried over unchanged from earlier runs: outside this run's runtime DAG. */
  carried?: string[];
  /** Steps this run skips when they would start (a restart's skip_steps). */
  skipSteps?: string[];
}
