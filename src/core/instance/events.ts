/**
 * Journaled inputs of the instance state machine. An event is appended before any of its
 * effects happen; replaying the events through `applyEvent` rebuilds the same state, because
 * every time and random value the machine uses comes from the event (`atMs`) or is seeded by
 * the instance key and the event's seq.
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
    }
  | { t: 'result'; atMs: number; stepId: string; attempt: number; result: StepResult }
  | { t: 'timer'; atMs: number; timerId: string }
  /** Output params put by external code (the job behind a running step) through the API. */
  | { t: 'outputs'; atMs: number; stepId: string; outputs: Record<string, unknown> }
  | { t: 'stop'; atMs: number; reason?: string }
  | { t: 'kill'; atMs: number; reason?: string }
  | { t: 'restart'; atMs: number; policy: RestartPolicy; runParams?: Record<string, unknown> };

export type InstanceEventType = InstanceEvent['t'];
