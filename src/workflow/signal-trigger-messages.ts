/**
 * Messages to a workflow's signal-trigger actor (address `signalTriggerKeyOf(workflowId)` =
 * `~sigtrig/<id>`), with their wire schemas, and the checks of the signal stores' replies it
 * reads. What each answers:
 * - Sync: reconcile the subscriptions with the workflow's ACTIVE version (sent after a
 *   create/activate/delete, by the actor's own recovery and by each node at start); answers
 *   SignalTriggersReply.
 * - SignalArrived (core/signals/model.ts, from `~signal/<name>`): evaluate the triggers that
 *   use the name; answers true.
 * - SignalTriggers: the subscribed triggers and their checkpoints; answers SignalTriggersReply.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FindReply, SignalArrivedMessage, SignalInstance, SubscribeReply } from '../core/signals/model.js';
import { Id, Int, Ms, PlainMap, wire, type Agrees, typedUnion } from '../protocol/wire.js';

export interface SyncMessage {
  type: 'Sync';
}
export interface SignalTriggersMessage {
  type: 'SignalTriggers';
}
export type SignalTriggerMessage = SyncMessage | SignalArrivedMessage | SignalTriggersMessage;

export interface SignalTriggerSummary {
  uuid: string;
  signals: string[];
  checkpoints: Record<string, number>;
}
export interface SignalTriggersReply {
  workflowId: string;
  triggers: SignalTriggerSummary[];
  /** Starts fired and not yet acknowledged by the queue owner. */
  pending: number;
  /** Starts fired, and matches consumed without a start (condition false, evaluation error). */
  fired: number;
  skipped: number;
}

/** Signal params are longs or strings; a signal names at most this many. */
const SIGNAL_PARAMS_MAX = 1_000;
const SignalValueSchema = Type.Union([Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }), Type.String({ maxLength: 1 << 16 })]);
export const SignalInstanceSchema = Type.Object({
  name: Id(),
  seqId: Int(1),
  instanceId: Id(),
  params: Type.Record(Type.String({ minLength: 1, maxLength: 512 }), SignalValueSchema, { maxProperties: SIGNAL_PARAMS_MAX }),
  payload: PlainMap(SIGNAL_PARAMS_MAX),
  requestTimeMs: Ms(),
  createTimeMs: Ms(),
});

const SyncSchema = Type.Object({ type: Type.Literal('Sync') });
const SignalArrivedSchema = Type.Object({ type: Type.Literal('SignalArrived'), signal: SignalInstanceSchema });
const SignalTriggersSchema = Type.Object({ type: Type.Literal('SignalTriggers') });

const MESSAGES = [SyncSchema, SignalArrivedSchema, SignalTriggersSchema] as const;
export const parseSignalTriggerMessage: (body: unknown) => SignalTriggerMessage = typedUnion<SignalTriggerMessage>('signal trigger message', MESSAGES);

const SignalTriggersReplySchema = Type.Object({
  workflowId: Id(),
  triggers: Type.Array(Type.Object({ uuid: Id(), signals: Type.Array(Id()), checkpoints: Type.Record(Type.String(), Int(0)) })),
  pending: Int(0),
  fired: Int(0),
  skipped: Int(0),
});
export const signalTriggersReply = wire('SignalTriggersReply', SignalTriggersReplySchema);

/** Replies of `~signal/<name>` this actor reads. */
const FindReplySchema = Type.Object({ instance: Type.Optional(SignalInstanceSchema) });
const SubscribeReplySchema = Type.Object({ latestSeq: Int(0) });
export const findReply = wire('FindReply', FindReplySchema);
export const subscribeReply = wire('SubscribeReply', SubscribeReplySchema);

type Assert<T extends true> = T;
export type SignalTriggerSchemasAgree = [
  Assert<Agrees<Static<(typeof MESSAGES)[number]>, SignalTriggerMessage>>,
  Assert<Agrees<Static<typeof SignalInstanceSchema>, SignalInstance>>,
  Assert<Agrees<Static<typeof SignalTriggersReplySchema>, SignalTriggersReply>>,
  Assert<Agrees<Static<typeof FindReplySchema>, FindReply>>,
  Assert<Agrees<Static<typeof SubscribeReplySchema>, SubscribeReply>>,
];
