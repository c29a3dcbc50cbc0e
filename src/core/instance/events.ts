/**
 * Journaled inputs of the instance state machine. An event is appended, with the decisions the
 * machine made applying it (decisions.ts), before any of its effects happen; replay folds the
 * events and their recorded decisions, so it rebuilds the same state whatever the replaying
 * node's runtimes, limits or clock. Times come from the event (`atMs`).
 */
import type { StepResult } from '../step-runtime.js';

export type Initiator = 'MANUAL' | 'TIME' | 'SIGNAL' | 'SUBWORKFLOW' | 'FOREACH';
export type RestartPolicy = 'RESTART_FROM_INCOMPLETE' | 'RESTART_FROM_BEGINNING';

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
      /** Opaque record from whoever started it through its queue (a subworkflow's parent step). */
      parent?: Record<string, unknown>;
      /** Queued by its run strategy: created CREATED; a `run` event begins the run. */
      hold?: boolean;
      /** Created already ended by its run strategy (FIRST_ONLY loser, workflow-wide stop): the reason. */
      ended?: { status: 'STOPPED' | 'FAILED'; reason: string };
    }
  /** The queue owner begins the run of a queued (CREATED) instance. */
  | { t: 'run'; atMs: number }
  | { t: 'result'; atMs: number; stepId: string; attempt: number; result: StepResult }
  | { t: 'timer'; atMs: number; timerId: string }
  /** Output params put by external code (the job behind a running step) through the API. */
  | { t: 'outputs'; atMs: number; stepId: string; outputs: Record<string, unknown> }
  | { t: 'stop'; atMs: number; reason?: string }
  | { t: 'kill'; atMs: number; reason?: string }
  | {
      t: 'restart';
      atMs: number;
      policy: RestartPolicy;
      runParams?: Record<string, unknown>;
      /** The new run is queued by the run strategy: it stays CREATED until a `run` event. */
      hold?: boolean;
      /** The new run is ended at once by the run strategy (FIRST_ONLY), with this reason. */
      ended?: { status: 'STOPPED' | 'FAILED'; reason: string };
    }
  /**
   * The owner dispatches these running attempts again (nobody announced holding them). Journaled
   * so that the partition's fence applies: an owner that lost the partition cannot do it.
   */
  | { t: 'redispatch'; atMs: number; attemptIds: string[] };

export type InstanceEventType = InstanceEvent['t'];
