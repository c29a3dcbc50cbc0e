/**
 * The transport port: messages addressed to actors by id, never by node.
 *
 * - `request(to, body)` delivers `body` to the actor `to` wherever it lives (the node serving the
 *   partition of `to`) and resolves with the handler's reply. The handler replies only after the
 *   message is durably accepted (journaled), so a resolved request is never lost. While nobody
 *   serves the partition (a move, a crash) the adapter retries with backoff until `timeoutMs`
 *   (default from the adapter's config), then rejects with an `unavailable` MaestroError.
 *   The same `msgId` may arrive more than once; handlers must treat it idempotently.
 * - `dispatch(task)` hands a step attempt to one executor serving its step type (a queue
 *   group); it rejects with NoExecutorError when none serves that type right now.
 * - `publish/subscribe` is fire-and-forget fan-out for observers (instance watch streams,
 *   attempt cancellation); losing such a message loses nothing durable.
 * - Trust boundary: an adapter checks everything it receives with the `WireSchemas` it was
 *   built with before a handler sees it, so handlers get only well-formed, typed messages
 *   (unknown fields stripped). What fails — undecodable bytes, a wrong shape, a message for an
 *   actor of another partition — is dropped and counted in `stats().rejected`; a request is
 *   answered with an `invalid_argument` error naming the field. Subscribing to a topic that has
 *   no schema is refused.
 */
import type { DispatchedTask } from '../protocol/executor.js';

export type ActorHandler = (to: string, body: unknown, msgId: string) => Promise<unknown>;
export type TaskHandler = (task: DispatchedTask) => void;
export type TopicHandler = (body: unknown) => void;

export interface ServeExecutorOptions {
  /**
   * Whether a task dispatched by this same transport may go straight to `handler` now, without
   * the queue group (an owner's step run by an executor or worker of its own node). Asked per
   * dispatch; false (no free run slot or credit here) leaves the task to the queue group, so
   * busy nodes spread work over the others. Default: always.
   */
  canTakeLocally?: () => boolean;
}

export interface Subscription {
  close(): Promise<void>;
}

export interface RequestOptions {
  msgId?: string;
  timeoutMs?: number;
}

/** The checks a transport applies on receipt; each throws InvalidMessageError (src/protocol/errors.ts). */
export interface WireSchemas {
  /** A message for actor `to` (an instance key or a partition address). */
  actor(to: string, body: unknown): unknown;
  task(body: unknown): DispatchedTask;
  /** The check of a topic's events; undefined for a topic without one. */
  topic(topic: string): ((body: unknown) => unknown) | undefined;
}

/** Where a rejected message came in. */
export type WireKind = 'actor' | 'task' | 'topic';

export interface TransportStats {
  /** Messages refused at the boundary, per kind of subject, since the transport started. */
  rejected: Record<WireKind, number>;
}

/** One rejection, as reported to `onRejected` (rate-limited: see boundary.ts). */
export interface RejectedInfo {
  kind: WireKind;
  /** The subject (NATS) or address/topic (memory) it arrived on. */
  subject: string;
  /** Who sent it, as far as the adapter can tell (the reply inbox's prefix), else undefined. */
  source?: string;
  /** Why, naming the field. */
  reason: string;
  /** Rejections from this source that were not reported since its last report. */
  suppressed: number;
}

export interface Transport {
  request(to: string, body: unknown, opts?: RequestOptions): Promise<unknown>;
  /** Starts delivering messages for actors whose key hashes to `partition` to `handler`. */
  serve(partition: number, handler: ActorHandler): Promise<Subscription>;
  dispatch(task: DispatchedTask): Promise<void>;
  /** Receives dispatched tasks of these step types (lower-cased) in a queue group. */
  serveExecutor(stepTypes: readonly string[], handler: TaskHandler, opts?: ServeExecutorOptions): Promise<Subscription>;
  publish(topic: string, body: unknown): void;
  subscribe(topic: string, handler: TopicHandler): Subscription;
  /** Counters for metrics; a fresh copy per call. */
  stats(): TransportStats;
  close(): Promise<void>;
}
