/**
 * The executor protocol: what an instance's owner and the executors (and workers) that run its
 * steps say to each other. Both sides import this module; neither imports the other.
 *
 * - Task: a `StepTask` (core/step-runtime.ts), dispatched at least once per attempt.
 * - Result: a `StepResultMessage`, sent to the owning instance (`task.instanceKey`).
 * - Cancel: `TOPIC_CANCEL_ATTEMPT`, fanned out when the owner ends an attempt.
 * - Heartbeat: `TOPIC_ATTEMPT_HEARTBEAT`, each executor's held attempts, every second.
 */
import type { StepResult } from '../core/step-runtime.js';

export type { StepTask, StepResult, StepResultStatus } from '../core/step-runtime.js';

export interface StepResultMessage {
  type: 'StepResult';
  stepId: string;
  runId: number;
  attempt: number;
  attemptId: string;
  result: StepResult;
}

/** Fan-out topic: the owner ended this attempt; an executor holding it aborts it. */
export const TOPIC_CANCEL_ATTEMPT = 'attempt.cancel';
export interface CancelAttempt {
  attemptId: string;
}
/** Executors announce the attempts they hold: `[instanceKey, attemptId]` pairs. */
export const TOPIC_ATTEMPT_HEARTBEAT = 'attempt.heartbeat';
export interface AttemptHeartbeat {
  attempts: Array<[string, string]>;
}
