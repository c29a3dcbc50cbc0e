/**
 * The executor protocol: what an instance's owner and the executors (and workers) that run its
 * steps say to each other. Both sides import this module; neither imports the other.
 *
 * - Task: a `StepTask` (core/step-runtime.ts), dispatched at least once per attempt.
 * - Result: a `StepResultMessage`, sent to the owning instance (`task.instanceKey`).
 * - Cancel: `TOPIC_CANCEL_ATTEMPT`, fanned out when the owner ends an attempt.
 * - Heartbeat: `TOPIC_ATTEMPT_HEARTBEAT`, each executor's held attempts, every 500 ms (executor option heartbeatIntervalMs).
 */
import type { StepResult } from '../core/step-runtime.js';

import type { StepTask } from '../core/step-runtime.js';

export type { StepTask, StepResult, StepResultStatus } from '../core/step-runtime.js';

/**
 * A task as dispatched: the owner's partition and fencing epoch travel with it (StepTask's
 * `partition`/`epoch`, stamped at dispatch). A receiver refuses a task (or cancel) whose epoch
 * is older than the newest it has seen for that partition: a former owner that lost the
 * partition cannot drive an attempt once the new owner's epoch is known there (see
 * partition-host.ts, "Fencing").
 */
export type DispatchedTask = StepTask;

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
  partition: number;
  epoch: number;
}

/**
 * Fan-out topic: a node took partition `partition` at `epoch` (published after its journal
 * claim, before it re-dispatches anything), so every executor learns the new fence at once.
 */
export const TOPIC_PARTITION_EPOCH = 'partition.epoch';
export interface PartitionEpoch {
  partition: number;
  epoch: number;
}
/** Executors announce the attempts they hold: `[instanceKey, attemptId]` pairs. */
export const TOPIC_ATTEMPT_HEARTBEAT = 'attempt.heartbeat';
export interface AttemptHeartbeat {
  attempts: Array<[string, string]>;
}

/**
 * Fan-out topic: a worker registered step type `type` with some node (the registration is also
 * kept in the KV store, `worker-types/<type>`). Every node adds it to the types it accepts at
 * push, and owners re-dispatch at once the attempts of that type that wait for a worker.
 */
export const TOPIC_WORKER_TYPE = 'worker.type';
export interface WorkerTypeAnnounced {
  /** Lower-cased. */
  type: string;
}

/**
 * Fan-out topic: live output of a running attempt (Shell stdout/stderr, a worker's task.log()),
 * in batches. Observers only (`maestro logs -f`): what is kept with the attempt is its result's
 * stdout/stderr. `offset` counts the characters of that stream published before this chunk, so a
 * reader that holds a snapshot skips what it already has. The publisher's last message of an
 * attempt has `end: true` (its text may be empty); a lost chunk or end loses nothing durable.
 */
export const TOPIC_ATTEMPT_LOG = 'attempt.log';
export type LogStream = 'stdout' | 'stderr';
export interface AttemptLogChunk {
  attemptId: string;
  stream: LogStream;
  text: string;
  offset: number;
  end?: boolean;
}
