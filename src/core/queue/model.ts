/**
 * The workflow queue owner's data: one per workflow id, a service actor (core/service) keyed
 * `~queue/<workflowId>`. It numbers the workflow's instances (latest + 1, never reused), keeps
 * the queued ones (Maestro's "CREATED with no execution id"), knows which are running, and
 * applies the workflow's run strategy on arrival and on dequeue (maestro-semantics §5).
 *
 * Events carry every outside fact (the run strategy in force, the time, the restarted run's
 * number), so the reducer is a pure fold.
 */
import type { RunStrategy } from '../definition/model.js';
import type { Initiator, RestartNode, RestartPolicy } from '../instance/events.js';
import type { WorkflowStatus } from '../status.js';
import type { ParentRef } from '../instance/state.js';
import type { TriggerInfo } from '../signals/model.js';

/** What creating run 1 of an instance needs (passed through to the instance's Start). */
export interface EntryStart {
  version: number;
  params: Record<string, unknown>;
  requestId?: string;
  initiator?: Initiator;
  /** A subworkflow child's parent step, nesting depth and tree (core/instance/composite.ts). */
  parent?: ParentRef;
  depth?: number;
  correlationId?: string;
  instanceStepConcurrency?: number;
  /** A time- or signal-triggered start: what fired it (initiator TIME / SIGNAL). */
  trigger?: TriggerInfo;
}

/** A queued run: instance `id`, run `runId` (> 1 for a restart). */
export interface QueueEntry {
  id: number;
  runId: number;
  /** Run 1: how to create it. */
  start?: EntryStart;
  /** Restart runs: the restart policy (and its step for RESTART_FROM_SPECIFIC, and the path below that step). */
  policy?: RestartPolicy;
  stepId?: string;
  path?: RestartNode[];
  /** A subworkflow child re-run by its parent: the parent step it reports to from now on. */
  parent?: ParentRef;
}

export interface RunningEntry {
  runId: number;
  /** Run 1: how to create it (kept so a resend after a takeover can create it). */
  start?: EntryStart;
  policy?: RestartPolicy;
  stepId?: string;
  path?: RestartNode[];
  parent?: ParentRef;
  /** A stop/kill the queue sent it (LAST_ONLY, workflow-wide stop/kill). */
  stopping?: 'stop' | 'kill';
  stopReason?: string;
}

export interface QueueState {
  workflowId: string;
  /** The run strategy last seen (every arrival and strategy change carries the one in force). */
  strategy: RunStrategy;
  /** The highest instance id handed out (0: none yet). */
  latestId: number;
  /**
   * request_id -> instance id (Maestro's workflow_uuid dedup). An entry lives as long as its
   * instance: retention forgetting the instance sends `forgetRequests` (request-retention.ts).
   */
  requests: Record<string, number>;
  /** Queued runs, oldest first by (instance id, run id), as Maestro dequeues them. */
  queued: QueueEntry[];
  /** Runs handed to their instance actor and not known to have ended, by instance id. */
  running: Record<string, RunningEntry>;
  /** How many entries `running` has (derived; reducer.ts runningCount keeps it). */
  runningCount?: number;
  /** Instances whose latest run ended FAILED and was neither unblocked nor restarted (raw FAILED). */
  failed: number[];
  /** Journal seq of the last event folded. */
  seq: number;
}

export type LaunchMode = 'queue' | 'run' | 'stop' | 'kill';

export type QueueEvent =
  /**
   * A new instance arrives (start, or a subworkflow child) and gets id `id` (latest + 1; the
   * first one of a queue may start above ids an older engine handed out). A request id seen
   * before never reaches the journal: the actor answers with the first instance.
   */
  | { t: 'enqueue'; atMs: number; strategy: RunStrategy; id: number; start: EntryStart }
  /** Restart of terminal instance `id` as run `runId`. */
  | { t: 'restart'; atMs: number; strategy: RunStrategy; id: number; runId: number; policy: RestartPolicy; stepId?: string; path?: RestartNode[]; parent?: ParentRef }
  /** Run `runId` of instance `id` ended (its notice, or what a probe found). */
  | { t: 'ended'; atMs: number; id: number; runId: number; status: WorkflowStatus }
  /** Its instance refused to create or begin run `runId` of `id`: the queue forgets it. */
  | { t: 'forget'; atMs: number; id: number; runId: number }
  /** A new version changed (or re-stated) the run strategy. */
  | { t: 'strategy'; atMs: number; strategy: RunStrategy }
  /** Unblock these FAILED instances (FAILED -> FAILED_1): one, or all the queue knows of. */
  | { t: 'unblock'; atMs: number; ids: number[] }
  /** Workflow-wide stop/kill: queued runs end directly, running ones are told to stop. */
  | { t: 'terminate'; atMs: number; action: 'stop' | 'kill'; reason: string }
  /** Dequeue again (PARALLEL launches at most MAX_DEQUEUE per event). */
  | { t: 'dequeue'; atMs: number }
  /** Their instances were forgotten by retention: these request ids may start new instances. */
  | { t: 'forgetRequests'; atMs: number; requestIds: string[] };

export type QueueEffect =
  /** Create / begin / end directly run `runId` of instance `id` at its instance actor (idempotent there). */
  | { f: 'launch'; id: number; runId: number; mode: LaunchMode; start?: EntryStart; policy?: RestartPolicy; stepId?: string; path?: RestartNode[]; parent?: ParentRef; reason?: string }
  /** Stop or kill a running run (idempotent: a run already ended answers its view). */
  | { f: 'terminate'; id: number; runId: number; action: 'stop' | 'kill'; reason: string }
  /** Post a `dequeue` event to itself. */
  | { f: 'kick' };

export const QUEUE_KEY_PREFIX = '~queue/';

export function queueKeyOf(workflowId: string): string {
  return `${QUEUE_KEY_PREFIX}${workflowId}`;
}

export function workflowIdOfQueueKey(key: string): string {
  return key.slice(QUEUE_KEY_PREFIX.length);
}

/**
 * Inline loop iterations (foreach/while) bypass run strategies (§0.2): they are started
 * directly with explicit ids and never notify a queue.
 */
export function bypassesQueue(workflowId: string, initiator?: string): boolean {
  return (
    workflowId.startsWith('maestro_foreach_') || workflowId.startsWith('maestro_while_') || initiator === 'FOREACH' || initiator === 'WHILE'
  );
}
