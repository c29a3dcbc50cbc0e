/**
 * Journaled inputs of the instance state machine. An event is appended, with the decisions the
 * machine made applying it (decisions.ts), before any of its effects happen; replay folds the
 * events and their recorded decisions, so it rebuilds the same state whatever the replaying
 * node's runtimes, limits or clock. Times come from the event (`atMs`).
 */
import type { StepResult } from '../step-runtime.js';
import type { InlineSource, ParentRef, Rollup, SignalParamValue } from './state.js';
import type { WorkflowStatus } from '../status.js';

export type { Initiator } from './state.js';
import type { Initiator } from './state.js';
import type { TriggerInfo } from '../signals/model.js';
export type RestartPolicy = 'RESTART_FROM_INCOMPLETE' | 'RESTART_FROM_BEGINNING' | 'RESTART_FROM_SPECIFIC';
/** A user's action on one step of the latest run (actions.ts has the rules). */
export type StepActionKind = 'stop' | 'kill' | 'skip' | 'bypass' | 'restart' | 'resume';

export type { RestartNode } from './state.js';
import type { RestartNode } from './state.js';

export type InstanceEvent =
  | {
      t: 'started';
      atMs: number;
      workflowId: string;
      instanceId: number;
      version: number;
      runParams: Record<string, unknown>;
      requestId?: string;
      initiator: Initiator;
      /** A time- or signal-triggered start: what fired it. */
      trigger?: TriggerInfo;
      /** Run id of the first run (loop iterations start at their loop's run id); 1 when absent. */
      runId?: number;
      /** The parent step of a foreach/while iteration or subworkflow child (composite.ts). */
      parent?: ParentRef;
      source?: InlineSource;
      depth?: number;
      correlationId?: string;
      /** instance_step_concurrency inherited from the parent. */
      instanceStepConcurrency?: number;
      /** Queued by its run strategy: created CREATED; a `run` event begins the run. */
      hold?: boolean;
      /** Created already ended by its run strategy (FIRST_ONLY loser, workflow-wide stop): the reason. */
      ended?: { status: 'STOPPED' | 'FAILED'; reason: string };
      /** Steps acquire tag permits from the permit manager (InstanceState.permits); absent in older journals. */
      permits?: boolean;
    }
  /**
   * The latest run, FAILED, was unblocked (STRICT_SEQUENTIAL; the queue owner sends it before it
   * stops counting the instance as blocking): raw FAILED_1 (raw-status.ts).
   */
  | { t: 'unblocked'; atMs: number }
  /** The permit manager granted the tag permits attempt `attempt` of `stepId` waits for. */
  | { t: 'permit-granted'; atMs: number; stepId: string; attempt: number }
  /** The queue owner begins the run of a queued (CREATED) instance. */
  | { t: 'run'; atMs: number }
  | { t: 'result'; atMs: number; stepId: string; attempt: number; result: StepResult }
  | { t: 'timer'; atMs: number; timerId: string }
  /** Output params put by external code (the job behind a running step) through the API. */
  | { t: 'outputs'; atMs: number; stepId: string; outputs: Record<string, unknown> }
  | { t: 'stop'; atMs: number; reason?: string }
  | { t: 'kill'; atMs: number; reason?: string }
  /**
   * `runId`: the new run's id (loop iterations re-run with their loop's run id); default the next
   * one. `stepId`: the restart step of RESTART_FROM_SPECIFIC (required with it, refused without).
   */
  | {
      t: 'restart';
      atMs: number;
      policy: RestartPolicy;
      runParams?: Record<string, unknown>;
      runId?: number;
      stepId?: string;
      /** The new run is queued by the run strategy: it stays CREATED until a `run` event. */
      hold?: boolean;
      /** The new run is ended at once by the run strategy (FIRST_ONLY), with this reason. */
      ended?: { status: 'STOPPED' | 'FAILED'; reason: string };
      /**
       * RESTART_FROM_SPECIFIC through loop iterations: the levels below `stepId` (a foreach or
       * while step), nearest first. Absent in journals from before it existed: they fold as before.
       */
      path?: RestartNode[];
      /**
       * A loop iteration or subworkflow child re-run by its parent: the parent step (run,
       * attempt) it reports to from now on. Absent in older journals (the parent ref stays).
       */
      parent?: ParentRef;
    }
  /**
   * A step action. `attempt` (resume only) names the paused attempt. A restart (or the skip of a
   * terminal step) is a new attempt while the run goes on, else a RESTART_FROM_SPECIFIC run.
   */
  | {
      t: 'step-action';
      atMs: number;
      stepId: string;
      action: StepActionKind;
      attempt?: number;
      reason?: string;
      /**
       * Restart of a subworkflow step on a restart path (a restart of its child walked up,
       * restart-path.ts): the levels below it, its child first. Absent in older journals.
       */
      path?: RestartNode[];
    }
  /**
   * The owner dispatches these running attempts again (nobody announced holding them). Journaled
   * so that the partition's fence applies: an owner that lost the partition cannot do it.
   */
  | { t: 'redispatch'; atMs: number; attemptIds: string[] }
  /** A subworkflow step's child was created (its id comes from the child workflow's numbering). */
  | { t: 'child-started'; atMs: number; stepId: string; attempt: number; instanceId: number; runId: number; version: number }
  /** A child instance of a foreach/while/subworkflow step ended (see ChildEnded). */
  | {
      t: 'child-ended';
      atMs: number;
      stepId: string;
      attempt: number;
      instanceId: number;
      runId: number;
      status: WorkflowStatus;
      rollup: Rollup;
      /** Inner step params the parent asked for (ParentRef.report), stepId -> name -> value. */
      outputs?: Record<string, Record<string, unknown>>;
      /** While loops: the last value of each loop param (ParentRef.feedback). */
      feedback?: Record<string, unknown>;
      error?: string;
    }
  /** Launching a child failed for good (its workflow or version does not exist, depth...). */
  | { t: 'child-failed'; atMs: number; stepId: string; attempt: number; error: string }
  /**
   * Restart one ended iteration of a running foreach (Maestro's pending RESTART action): it runs
   * again as run `runId`, its earlier run's status and rollup (`prior`, read from the iteration)
   * taken out of the loop's counts.
   */
  | {
      t: 'iteration-restart';
      atMs: number;
      stepId: string;
      iteration: number;
      runId: number;
      policy: 'RESTART_FROM_INCOMPLETE' | 'RESTART_FROM_BEGINNING' | 'RESTART_FROM_SPECIFIC';
      prior: { status: WorkflowStatus; rollup: Rollup };
      /** RESTART_FROM_SPECIFIC: the step of the iteration to restart from, and the levels below it. */
      restartStepId?: string;
      path?: RestartNode[];
    }
  /**
   * A signal instance satisfied dependency `index` of step `stepId` in run `runId` (a Wait's
   * reply or the store's SignalMatched notice). Ignored unless that dependency still waits.
   */
  | { t: 'signal-matched'; atMs: number; runId: number; stepId: string; index: number; signal: MatchedSignal }
  /**
   * Output `index` of attempt `attempt` of step `stepId` (run `runId`) was announced: the stored
   * instance's seq id, and when it was stored (null: it was a duplicate). Ignored unless the
   * attempt is still FINISHING with that output pending.
   */
  | { t: 'signal-announced'; atMs: number; runId: number; stepId: string; attempt: number; index: number; signalId: number; announceTimeMs: number | null };

/** What a `signal-matched` event keeps of the signal instance. */
export interface MatchedSignal {
  name: string;
  seqId: number;
  params: Record<string, SignalParamValue>;
}

export type InstanceEventType = InstanceEvent['t'];
