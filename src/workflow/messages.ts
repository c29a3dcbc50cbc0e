/**
 * Messages to an instance actor, as they cross the transport. One closed union; the actor's
 * handler switches over `type` exhaustively. What executors send and receive (tasks, results,
 * heartbeats, cancels) is the executor protocol in src/protocol.
 */
import type { StepResultMessage } from '../protocol/executor.js';
import type { RestartPolicy } from './engine-api.js';
import type { InlineSource, ParentRef, Rollup } from '../core/instance/state.js';
import type { WorkflowStatus } from '../core/status.js';
import type { InstanceEvent, RestartNode, StepActionKind } from '../core/instance/events.js';
import type { EntryStart } from '../core/queue/model.js';
import type { SignalMatchedMessage } from '../core/signals/model.js';
export type { SignalMatchedMessage } from '../core/signals/model.js';

export interface StartMessage {
  type: 'Start';
  workflowId: string;
  instanceId: number;
  version: number;
  params: Record<string, unknown>;
  requestId?: string;
  /** Children of foreach/while/subworkflow steps (composite.ts): who started them and how. */
  initiator?: 'SUBWORKFLOW' | 'FOREACH' | 'WHILE';
  /** The run the child should be at: a loop iteration starts (or re-runs) with its loop's run id. */
  runId?: number;
  parent?: ParentRef;
  source?: InlineSource;
  depth?: number;
  correlationId?: string;
  instanceStepConcurrency?: number;
  /** Re-run an existing (ended) child as run `runId` with this policy. */
  restart?: RestartPolicy;
  /** RESTART_FROM_SPECIFIC: the step to restart from, and the restart path below it. */
  restartStepId?: string;
  restartPath?: RestartNode[];
}

/** A child instance's run ended: its parent step journals it (a `child-ended` event, the same fields). */
export type ChildEndedMessage = { type: 'ChildEnded' } & Omit<Extract<InstanceEvent, { t: 'child-ended' }>, 't' | 'atMs'>;

/** The parent's own note that its subworkflow child was created, or could not be. */
export interface ChildStartedMessage {
  type: 'ChildStarted';
  stepId: string;
  attempt: number;
  instanceId: number;
  runId: number;
  version: number;
}
export interface ChildFailedMessage {
  type: 'ChildFailed';
  stepId: string;
  attempt: number;
  error: string;
}

/**
 * From the workflow's queue owner (queue-service.ts): create, begin or end directly run
 * `runId` of this instance. Idempotent: the instance does what is still to do and answers its
 * view. Absent instance + run 1: created from `start` (CREATED for 'queue', IN_PROGRESS for
 * 'run', STOPPED/FAILED for 'stop'/'kill'). Run `runId` > the instance's: a restart (held for
 * 'queue'). The instance's own run `runId` still CREATED: 'run' begins it, 'stop'/'kill' end
 * it. Anything else: just the view.
 */
export interface LaunchMessage {
  type: 'Launch';
  workflowId: string;
  instanceId: number;
  runId: number;
  mode: 'queue' | 'run' | 'stop' | 'kill';
  start?: EntryStart;
  policy?: RestartPolicy;
  /** The restart step of RESTART_FROM_SPECIFIC. */
  stepId?: string;
  /** RESTART_FROM_SPECIFIC through loop iterations: the levels below `stepId`. */
  path?: RestartNode[];
  /** A subworkflow child re-run by its parent: the parent step it reports to from now on. */
  parent?: ParentRef;
  reason?: string;
}

export interface ActionMessage {
  type: 'Action';
  action: 'stop' | 'kill' | 'restart';
  policy?: RestartPolicy;
  /** The restart step of RESTART_FROM_SPECIFIC. */
  stepId?: string;
  /** RESTART_FROM_SPECIFIC through loop iterations: the levels below `stepId`. */
  path?: RestartNode[];
  /** Why (shown as the instance's error); stop/kill only. */
  reason?: string;
  /**
   * Sent by the queue owner: a stop/kill of an instance that already ended answers its view
   * instead of FAILED_PRECONDITION (the queue resends after a takeover).
   */
  ifRunning?: boolean;
}

/** A step action on the latest run (core/instance/actions.ts has the rules). */
export interface StepActionMessage {
  type: 'StepAction';
  stepId: string;
  action: StepActionKind;
  /** resume: the paused attempt. */
  attempt?: number;
  reason?: string;
  /** restart of a subworkflow step on a restart path (restart-path.ts): the levels below it, its child first. */
  path?: RestartNode[];
}

export interface GetMessage {
  type: 'Get';
}

/**
 * Someone watches this instance: publish its changes on `instanceTopic` for the next
 * `WATCH_LEASE_MS`. Watchers renew every `WATCH_RENEW_MS` (so a new owner after a partition move
 * learns of them within that time). Replies with the instance view.
 */
export interface WatchMessage {
  type: 'Watch';
}
export const WATCH_LEASE_MS = 15_000;
export const WATCH_RENEW_MS = 2_000;

/** Output params for a running step, from external code through the API. */
export interface PutOutputsMessage {
  type: 'PutOutputs';
  stepId: string;
  outputs: Record<string, unknown>;
}

/**
 * From the permit manager (permit-service.ts): attempt `attempt` of `stepId` (holder = its
 * attempt id) got its tag permits. Idempotent; answers what the instance says of the holder
 * once durable: 'held', 'waiting' (never, after a grant) or 'none' (it does not want them: the
 * manager releases them).
 */
export interface PermitGrantMessage {
  type: 'PermitGrant';
  holder: string;
  stepId: string;
  attempt: number;
}

/** From the permit manager's reconciliation: which of these holders the instance still holds or waits for ({live}). */
export interface PermitCheckMessage {
  type: 'PermitCheck';
  holders: string[];
}

/**
 * To the instance whose foreach step ran iteration `iteration`: run it again as run `runId`
 * while the loop goes on (Engine.restart of an ended iteration). `prior`: the iteration's
 * status and rollup now, taken out of the loop's counts. Answers the parent's view.
 */
export interface RestartIterationMessage {
  type: 'RestartIteration';
  stepId: string;
  iteration: number;
  runId: number;
  policy: RestartPolicy;
  prior: { status: WorkflowStatus; rollup: Rollup };
  /** RESTART_FROM_SPECIFIC: the iteration's step to restart from, and the levels below it. */
  restartStepId?: string;
  path?: RestartNode[];
}

/**
 * From the workflow's queue owner, before it stops counting the instance as blocking: the latest
 * run, FAILED, is unblocked (raw FAILED_1; core/instance/raw-status.ts). Refused unless FAILED;
 * an instance unblocked already answers its view.
 */
export interface UnblockInstanceMessage {
  type: 'Unblock';
}

export type InstanceMessage =
  | StepResultMessage
  | PermitGrantMessage
  | PermitCheckMessage
  | StartMessage
  | LaunchMessage
  | ActionMessage
  | StepActionMessage
  | GetMessage
  | WatchMessage
  | PutOutputsMessage
  | ChildEndedMessage
  | ChildStartedMessage
  | ChildFailedMessage
  | RestartIterationMessage
  | UnblockInstanceMessage
  /** From a signal store: a signal satisfied one of a waiting step's dependencies (core/signals/model.ts). */
  | SignalMatchedMessage;

/** To a partition's host (address `partitionAddress(p)`): the summaries of instances it holds. */
export interface ListMessage {
  type: 'List';
  workflowId?: string;
  status?: string;
}

/** To a partition's host: the attempts paused at a breakpoint on (workflowId, stepId) it holds. */
export interface ListPausedMessage {
  type: 'ListPaused';
  workflowId: string;
  stepId: string;
}

/** Fan-out topic on which a node announces a breakpoint change ({workflowId, stepId}): nodes reload it. */
export const BREAKPOINTS_TOPIC = 'maestro.breakpoints.changed';

/** Fan-out topic of an instance's changes (watch streams). */
export function instanceTopic(instanceKey: string): string {
  return `instance.${instanceKey}`;
}
