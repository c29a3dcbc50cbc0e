/** Effects the instance actor performs after the events that caused them are durable. */
import type { StepTask } from '../step-runtime.js';
import type { InstanceChange } from './view.js';
import type { InlineSource, ParentRef } from './state.js';
import type { RestartNode, RestartPolicy } from './events.js';
import type { PermitRequest } from '../permits/model.js';
import type { SignalMatches, SignalRequest, SignalSource, SignalWaiter } from '../signals/model.js';

export type InstanceCommand =
  | { c: 'dispatch'; task: StepTask }
  | { c: 'cancel'; attemptId: string }
  | { c: 'set-timer'; timerId: string; atMs: number }
  | { c: 'clear-timer'; timerId: string }
  | { c: 'changed'; change: InstanceChange }
  | { c: 'finished' }
  /** Start (or re-run) a child instance of a foreach/while/subworkflow step (idempotent). */
  | { c: 'launch'; launch: ChildLaunch }
  /** Stop child instances (a parent step stopped, killed or timed out). */
  | { c: 'stop-children'; workflowId: string; instanceIds: number[]; reason: string }
  /** Ask the permit manager for a step attempt's tag permits (idempotent there). */
  | { c: 'acquire'; req: PermitRequest }
  /** Give back (or stop waiting for) a step attempt's tag permits (idempotent there). */
  | { c: 'release'; holder: string }
  /** Register waits on signals at their stores (`~signal/<name>` Wait, idempotent there). */
  | { c: 'signal-wait'; waits: SignalWaitRequest[] }
  /** Forget waits (best effort: Unwait; a stale match is ignored by the instance anyway). */
  | { c: 'signal-unwait'; waits: Array<{ name: string; waiter: SignalWaiter }> }
  /** Announce a step's signal outputs (Announce with their source); results come back as `signal-announced`. */
  | { c: 'signal-announce'; announces: SignalAnnounceRequest[] };

export interface SignalWaitRequest {
  name: string;
  waiter: SignalWaiter;
  match: SignalMatches;
}

export interface SignalAnnounceRequest {
  name: string;
  /** Index in the step's signal_outputs. */
  index: number;
  signal: SignalRequest;
  source: SignalSource;
  /** The attempt that announces it (the `signal-announced` event names it). */
  runId: number;
  stepId: string;
  attempt: number;
}

export interface ChildLaunch {
  kind: 'foreach' | 'while' | 'subworkflow';
  /** Inline iterations: the inline workflow id and the iteration's instance id. Subworkflow: the child workflow id. */
  workflowId: string;
  instanceId?: number;
  runId: number;
  /** Inline iterations: the root definition's version; subworkflows: the version spec (active, latest, default, N). */
  version: number | string;
  source?: InlineSource;
  params: Record<string, unknown>;
  parent: ParentRef;
  depth: number;
  correlationId: string;
  /** The parent's instance_step_concurrency, inherited by the child. */
  instanceStepConcurrency?: number;
  /** Re-run an existing iteration with this policy (restart of the parent). */
  restart?: RestartPolicy;
  /** RESTART_FROM_SPECIFIC: the step to restart from, and the restart path below it (events.ts RestartNode). */
  restartStepId?: string;
  restartPath?: RestartNode[];
  /** Dedup key of a subworkflow child start (Maestro: parent identity + step identity). */
  requestId?: string;
}
