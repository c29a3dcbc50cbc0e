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
 */
import type { DispatchedTask } from '../protocol/executor.js';

export type ActorHandler = (to: string, body: unknown, msgId: string) => Promise<unknown>;
export type TaskHandler = (task: DispatchedTask) => void;
export type TopicHandler = (body: unknown) => void;

export interface Subscription {
  close(): Promise<void>;
}

export interface RequestOptions {
  msgId?: string;
  timeoutMs?: number;
}

export interface Transport {
  request(to: string, body: unknown, opts?: RequestOptions): Promise<unknown>;
  /** Starts delivering messages for actors whose key hashes to `partition` to `handler`. */
  serve(partition: number, handler: ActorHandler): Promise<Subscription>;
  dispatch(task: DispatchedTask): Promise<void>;
  /** Receives dispatched tasks of these step types (lower-cased) in a queue group. */
  serveExecutor(stepTypes: readonly string[], handler: TaskHandler): Promise<Subscription>;
  publish(topic: string, body: unknown): void;
  subscribe(topic: string, handler: TopicHandler): Subscription;
  close(): Promise<void>;
}
