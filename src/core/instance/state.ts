/**
 * The state of one workflow instance actor: the current run, its steps and attempts, and the
 * timers it waits on. Plain data (msgpack-able), so it can be snapshotted and replayed.
 */
import type { TypedValue } from '../expr-port.js';
import type { AttemptView } from './view.js';
import type { RunPolicy, StepStatus, WorkflowStatus } from '../status.js';

import type { TriggerInfo } from '../signals/model.js';

export type Initiator = 'MANUAL' | 'TIME' | 'SIGNAL' | 'SUBWORKFLOW' | 'FOREACH' | 'WHILE';

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
  /** foreach / while / subworkflow steps: the child instances of the current attempt (composite.ts). */
  loop?: CompositeState;
  /** The step's signal dependencies, evaluated when its first attempt waits on them (signals.ts); kept by retries and restarts. */
  signalDependencies?: SignalDependenciesState;
  /** The step's signal outputs, evaluated and announced in FINISHING (signals.ts). */
  signalOutputs?: SignalOutputsState;
  /**
   * The current attempt's tag permits at the permit manager (instances with `permits` only):
   * asked for (`held` false, WAITING_FOR_PERMITS) or granted (`held` true, while it runs).
   * Cleared, with a `release` command, when the step leaves those statuses (transition.ts).
   */
  permit?: { holder: string; held: boolean };
}

/** Leaf steps per status over a subtree (Maestro's rollup_overview, counts only). */
export interface Rollup {
  total: number;
  counts: Partial<Record<StepStatus, number>>;
  /**
   * Which leaf steps are in the statuses Maestro keeps references for (running, waiting, failed:
   * ROLLUP_REF_STATUSES), at most ROLLUP_REFS_PER_STATUS per status.
   */
  refs?: RollupRef[];
}

/** A leaf step of a subtree (Maestro's rollup `ref`: "<workflowId>:<runId>" -> "<instanceId>:<stepId>:<attemptId>"). */
export interface RollupRef {
  status: StepStatus;
  workflowId: string;
  runId: number;
  instanceId: number;
  stepId: string;
  attempt: number;
}

/** Inclusive id ranges `[first, last]`, ascending and disjoint (Maestro's compressed details). */
export type IdRanges = Array<[number, number]>;

export interface ForeachState {
  kind: 'foreach';
  /** The inline workflow id the iterations run as (shared by every run of the parent). */
  workflowId: string;
  /** foreach_run_id: the run id the iterations of this attempt run with. */
  runId: number;
  total: number;
  limit: number;
  strict: boolean;
  /** Next 0-based iteration index to look at for launching. */
  next: number;
  /** Launched iteration ids (1-based) not yet known terminal, ascending. */
  running: number[];
  /** Terminal iterations by workflow status. */
  done: Partial<Record<WorkflowStatus, IdRanges>>;
  /** Iterations SUCCEEDED in an earlier run and kept by a restart (never launched again). */
  kept?: IdRanges;
  /** Iterations that exist from earlier runs (ids <= this are re-run, not created). */
  existing: number;
  /** Restart policy the re-run iterations get. */
  rerun?: 'RESTART_FROM_INCOMPLETE' | 'RESTART_FROM_BEGINNING';
  rollup: Rollup;
  /**
   * getFromForeach values (only those the workflow reads): "innerStep.param" -> the value of
   * iteration id n at index n-1, in chunks of 256 (composite.ts setChunked); null where none.
   */
  values?: Record<string, unknown[][]>;
  /** Some iteration FAILED: nothing more is launched. */
  failed: boolean;
  /**
   * Iterations restarted one by one (Maestro's pending RESTART action: while the loop runs, or
   * the iteration a RESTART_FROM_SPECIFIC path names): id -> their new run, and for a restart
   * from a step that step and the path below it.
   */
  restarted?: Record<string, IterationRestart>;
}

/**
 * One level below a restarted instance on a restart path through loop iterations (Maestro's
 * RestartConfig.restart_path, RESTART_FROM_SPECIFIC along it): iteration `instanceId` of the
 * inline workflow `workflowId`, of the loop step the restart names one level up, runs again
 * with `policy` (RESTART_FROM_SPECIFIC from `stepId`, or the user's policy at the path's end).
 * `runId` and `prior` are that iteration's latest run as it ended (read by the engine, so the
 * fold never looks outside); `before` (while loops) is the rollup of the iterations before it.
 */
export interface RestartNode {
  workflowId: string;
  instanceId: number;
  runId: number;
  policy: 'RESTART_FROM_INCOMPLETE' | 'RESTART_FROM_BEGINNING' | 'RESTART_FROM_SPECIFIC';
  stepId?: string;
  prior: { status: WorkflowStatus; rollup: Rollup };
  before?: Rollup;
}

/** How one iteration runs again (ForeachState.restarted, WhileState.from). */
export interface IterationRestart {
  runId: number;
  policy: 'RESTART_FROM_INCOMPLETE' | 'RESTART_FROM_BEGINNING' | 'RESTART_FROM_SPECIFIC';
  stepId?: string;
  path?: RestartNode[];
}

export interface WhileState {
  kind: 'while';
  workflowId: string;
  runId: number;
  /** Iterations launched so far in all runs (the last one's id). */
  iterations: number;
  /** Id of the iteration running now. */
  running?: number;
  /** loop_param_values: each loop param's input per iteration, then the value after the last. */
  values: Record<string, unknown[]>;
  lastStatus?: WorkflowStatus;
  rollup: Rollup;
  /** Iterations of earlier runs that exist (re-run with a new run, not created). */
  existing: number;
  /**
   * A RESTART_FROM_SPECIFIC path named iteration `from.iteration` (Maestro's first_iteration): it
   * runs again as `from`; the existing iterations after it run from the beginning (they get new
   * loop values). Absent otherwise (journals from before it fold as before).
   */
  from?: IterationRestart & { iteration: number };
}

export interface SubworkflowState {
  kind: 'subworkflow';
  workflowId: string;
  sync: boolean;
  /** subworkflow_version as given: active, latest, default or a version number. */
  versionSpec: string;
  /** Restart of the parent: the same child re-runs with this policy. */
  rerun?: 'RESTART_FROM_INCOMPLETE' | 'RESTART_FROM_BEGINNING';
  /**
   * The child is on a restart path (its restart walked up to this step, restart-path.ts): it
   * re-runs as `from` says (RESTART_FROM_SPECIFIC from a step with the path below, or the
   * user's policy at the path's end) instead of `rerun`. Absent in older journals.
   */
  from?: IterationRestart;
  /** A restart of this step while the instance runs named this path for the next attempt (consumed by it). */
  pending?: IterationRestart;
  /** Set once the child is created (its own instance id in its workflow). */
  instanceId?: number;
  runId?: number;
  version?: number;
  status?: WorkflowStatus;
  rollup?: Rollup;
  /** Evaluated params of the child's steps once it ended (getFromSubworkflow). */
  outputs?: Record<string, Record<string, unknown>>;
}

export type CompositeState = ForeachState | WhileState | SubworkflowState;

/** Where a child instance reports: its parent step (set on children of foreach/while/subworkflow). */
export interface ParentRef {
  workflowId: string;
  instanceId: number;
  runId: number;
  stepId: string;
  attempt: number;
  sync: boolean;
  /** Inner step params the parent reads from this child when it ends: stepId -> names ([] = all). */
  report?: Record<string, string[]>;
  /** While loops: loop param names whose last value the child reports. */
  feedback?: string[];
}

/** An inline (foreach/while body) workflow: the root definition version and the step path to the body. */
export interface InlineSource {
  workflowId: string;
  version: number;
  path: string[];
}

/** A signal param value: a long (safe integer) or a string. */
export type SignalParamValue = number | string;

/** One of a step's signal dependencies (Maestro's SignalDependency). */
export interface SignalDependencyState {
  /** The interpolated signal name. */
  name: string;
  status: 'PENDING' | 'MATCHED' | 'SKIPPED';
  /** The evaluated match conditions: `signal_value operator value`. */
  matchParams?: Record<string, { value: SignalParamValue; operator: '=' | '<' | '>' | '<=' | '>=' | '!=' }>;
  /** MATCHED: the seq id of the signal instance that satisfied it. */
  signalId?: number;
  /** MATCHED: that instance's params (params.getFromSignalDependency). */
  params?: Record<string, SignalParamValue>;
}

/** Maestro's SignalDependencies; `info` says why they changed other than by matching (a bypass). */
export interface SignalDependenciesState {
  info?: string;
  dependencies: SignalDependencyState[];
}

/** One of a step's signal outputs (Maestro's SignalOutputs.SignalOutput). */
export interface SignalOutputState {
  name: string;
  params: Record<string, SignalParamValue>;
  payload: Record<string, unknown>;
  /** Set once announced: the stored instance's seq id (the existing one's for a duplicate). */
  signalId?: number;
  /** When it was stored; null when it was a duplicate (still done). Absent until announced. */
  announceTimeMs?: number | null;
}

export interface SignalOutputsState {
  /** "Signal step outputs have been completed." once all are announced. */
  info?: string;
  outputs: SignalOutputState[];
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
  /** The run was unblocked (raw FAILED_1) before it was restarted (raw-status.ts). */
  unblocked?: true;
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
  initiator: Initiator;
  /** A time- or signal-triggered instance: what fired it (Maestro's TimeInitiator / SignalInitiator details). */
  trigger?: TriggerInfo;
  /**
   * Steps count the workflow's step_concurrency tag on the instance (steps.ts instanceLocalTags:
   * Maestro's default permits on a workflow whose run strategy runs one instance at a time).
   */
  localWorkflowPermits?: true;
  /** The timezone of the definition's first time trigger (FIRST_TIME_TRIGGER_TIMEZONE; DSL_DEFAULT_TZ). */
  firstTimeTriggerTimezone?: string;
  /** Set on the children of foreach/while/subworkflow steps. */
  parent?: ParentRef;
  /** Inline loop bodies: where the definition comes from. */
  source?: InlineSource;
  /** Ancestors above this instance (0 for a root). */
  depth?: number;
  /** Shared by a whole nested tree: "<rootWf>:<rootInst>:<rootRun>". */
  correlationId?: string;
  /** instance_step_concurrency inherited from the parent (Maestro passes it down the tree). */
  instanceStepConcurrency?: number;
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
  /** The latest run, FAILED, was unblocked: raw FAILED_1, it no longer blocks STRICT_SEQUENTIAL (raw-status.ts). */
  unblocked?: true;
  /** This run is a RESTART_FROM_SPECIFIC through loop iterations: the levels below its restart step (events.ts RestartNode). */
  restartPath?: RestartNode[];
  /**
   * Steps acquire tag permits from the permit manager (core/permits), set by the `started`
   * event of nodes with tag permits. Instances journaled before tag permits have none and keep
   * the instance-local instance_step_concurrency counter, so their records fold as before.
   */
  permits?: boolean;
  /**
   * This run's permit of the per-depth cap on child instances (depth-cap.ts): waited for while
   * the run is CREATED, held while it runs, given back when it ends.
   */
  depthPermit?: { holder: string; held: boolean };
}
