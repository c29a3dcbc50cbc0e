/**
 * What an instance reads from signal stores (`~signal/<name>`, core/signals/model.ts): the
 * SignalMatched notice and the Wait / Announce replies, checked on receipt.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { AnnounceReply, SignalInstance, SignalMatchedMessage, WaitReply } from '../core/signals/model.js';
import { Id, Int, Ms, PlainMap, Text, wire, type Agrees } from '../protocol/wire.js';

const SignalValueSchema = Type.Union([Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }), Text()]);
const SignalInstanceSchema = Type.Object({
  name: Id(),
  seqId: Int(1),
  instanceId: Id(),
  params: Type.Record(Type.String({ minLength: 1 }), SignalValueSchema),
  payload: PlainMap(100_000),
  requestTimeMs: Ms(),
  createTimeMs: Ms(),
});
export const SignalMatchedSchema = Type.Object({ type: Type.Literal('SignalMatched'), runId: Int(1), stepId: Id(), index: Int(0), signal: SignalInstanceSchema });
const WaitReplySchema = Type.Object({ matched: Type.Optional(SignalInstanceSchema) });
const AnnounceReplySchema = Type.Object({ instance: SignalInstanceSchema, duplicate: Type.Boolean() });

export const waitReply = wire('WaitReply', WaitReplySchema);
export const announceReply = wire('AnnounceReply', AnnounceReplySchema);

type Assert<T extends true> = T;
export type SignalRepliesAgree = [
  Assert<Agrees<Static<typeof SignalInstanceSchema>, SignalInstance>>,
  Assert<Agrees<Static<typeof SignalMatchedSchema>, SignalMatchedMessage>>,
  Assert<Agrees<Static<typeof WaitReplySchema>, WaitReply>>,
  Assert<Agrees<Static<typeof AnnounceReplySchema>, AnnounceReply>>,
];
