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
  /** Opaque record from whoever started it through its queue (see events.ts `started.parent`). */
  parent?: Record<string, unknown>;
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
}
