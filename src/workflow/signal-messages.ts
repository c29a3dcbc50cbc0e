/**
 * Messages to a signal store (address `signalKeyOf(name)` = `~signal/<name>`), with their wire
 * schemas; what each answers is in core/signals/model.ts (SignalStoreMessage). Also the
 * schemas of the replies the engine reads, and of the notices the store sends
 * (SignalMatched to instances, SignalArrived to trigger actors) for the receivers to use.
 */
import { Type, type Static } from '@sinclair/typebox';
import type {
  AnnounceReply,
  FindReply,
  ListSignalsReply,
  SignalArrivedMessage,
  SignalInstance,
  SignalMatchedMessage,
  SignalStoreMessage,
  SubscribeReply,
  WaitReply,
} from '../core/signals/model.js';
import { SIGNAL_PARAM_NAME_MAX_CHARS, SIGNAL_PARAMS_MAX, SIGNAL_REQUEST_ID_MAX_CHARS, SIGNAL_STRING_VALUE_MAX_CHARS } from '../core/signals/encode.js';
import { Id, Int, Ms, OneOf, PlainMap, wire, type Agrees, typedUnion } from '../protocol/wire.js';

/** Most instances one ListSignals answers. */
export const LIST_SIGNALS_MAX = 1_000;
export const LIST_SIGNALS_DEFAULT = 100;

const Value = () => Type.Union([Type.Number(), Type.String({ maxLength: SIGNAL_STRING_VALUE_MAX_CHARS })]);
const LongOrString = () => Type.Union([Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }), Type.String({ maxLength: SIGNAL_STRING_VALUE_MAX_CHARS })]);
const Params = () => Type.Record(Type.String({ minLength: 1, maxLength: SIGNAL_PARAM_NAME_MAX_CHARS }), Value(), { maxProperties: SIGNAL_PARAMS_MAX });
const StoredParams = () => Type.Record(Type.String({ minLength: 1, maxLength: SIGNAL_PARAM_NAME_MAX_CHARS }), LongOrString(), { maxProperties: SIGNAL_PARAMS_MAX });
const Payload = () => PlainMap(100_000);

const SignalRequestSchema = Type.Object({
  params: Params(),
  payload: Payload(),
  requestId: Type.Optional(Type.String({ minLength: 1, maxLength: SIGNAL_REQUEST_ID_MAX_CHARS })),
  requestTimeMs: Type.Optional(Int(0)),
});
const SignalSourceSchema = Type.Object({
  workflowId: Id(),
  instanceId: Int(1),
  runId: Int(1),
  stepId: Id(),
  attempt: Int(0),
  stepInstanceUuid: Id(),
});
const MatchSchema = Type.Record(
  Type.String({ minLength: 1, maxLength: SIGNAL_PARAM_NAME_MAX_CHARS }),
  Type.Object({ value: LongOrString(), operator: OneOf(['=', '<', '>', '<=', '>=', '!='] as const) }),
  { maxProperties: SIGNAL_PARAMS_MAX },
);
const WaiterSchema = Type.Object({ instanceKey: Id(), runId: Int(1), stepId: Id(), index: Int(0) });

const AnnounceSchema = Type.Object({ type: Type.Literal('Announce'), signal: SignalRequestSchema, source: Type.Optional(SignalSourceSchema) });
const GetSchema = Type.Object({ type: Type.Literal('GetSignal'), seqId: Type.Optional(Int(1)) });
const ListSchema = Type.Object({ type: Type.Literal('ListSignals'), afterSeq: Type.Optional(Int(0)), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIST_SIGNALS_MAX })) });
const WaitSchema = Type.Object({ type: Type.Literal('Wait'), waiter: WaiterSchema, match: MatchSchema });
const UnwaitSchema = Type.Object({ type: Type.Literal('Unwait'), waiter: WaiterSchema });
const FindSchema = Type.Object({ type: Type.Literal('Find'), afterSeq: Int(0), match: MatchSchema, oldest: Type.Boolean() });
const SubscribeSchema = Type.Object({ type: Type.Literal('Subscribe'), subscriber: Id() });
const UnsubscribeSchema = Type.Object({ type: Type.Literal('Unsubscribe'), subscriber: Id() });

const SIGNAL_MESSAGES = [AnnounceSchema, GetSchema, ListSchema, WaitSchema, UnwaitSchema, FindSchema, SubscribeSchema, UnsubscribeSchema] as const;
export const parseSignalMessage: (body: unknown) => SignalStoreMessage = typedUnion<SignalStoreMessage>('signal message', SIGNAL_MESSAGES);

const SignalInstanceSchema = Type.Object({
  name: Id(),
  seqId: Int(1),
  instanceId: Id(),
  params: StoredParams(),
  payload: Payload(),
  requestTimeMs: Ms(),
  createTimeMs: Ms(),
});
const AnnounceReplySchema = Type.Object({ instance: SignalInstanceSchema, duplicate: Type.Boolean() });
const ListSignalsReplySchema = Type.Object({ instances: Type.Array(SignalInstanceSchema, { maxItems: LIST_SIGNALS_MAX }), latestSeq: Int(0) });
const WaitReplySchema = Type.Object({ matched: Type.Optional(SignalInstanceSchema) });
const FindReplySchema = Type.Object({ instance: Type.Optional(SignalInstanceSchema) });
const SubscribeReplySchema = Type.Object({ latestSeq: Int(0) });
const SignalMatchedSchema = Type.Object({ type: Type.Literal('SignalMatched'), runId: Int(1), stepId: Id(), index: Int(0), signal: SignalInstanceSchema });
const SignalArrivedSchema = Type.Object({ type: Type.Literal('SignalArrived'), signal: SignalInstanceSchema });

export const signalInstanceReply = wire('SignalInstance', SignalInstanceSchema);
export const announceReply = wire('AnnounceReply', AnnounceReplySchema);
export const listSignalsReply = wire('ListSignalsReply', ListSignalsReplySchema);
export const waitReply = wire('WaitReply', WaitReplySchema);
export const findReply = wire('FindReply', FindReplySchema);
export const subscribeReply = wire('SubscribeReply', SubscribeReplySchema);
/** For the instance side: the check of a SignalMatched notice. */
export const signalMatchedMessage = wire('SignalMatched', SignalMatchedSchema);
/** For the trigger side: the check of a SignalArrived notice. */
export const signalArrivedMessage = wire('SignalArrived', SignalArrivedSchema);
export { SignalMatchedSchema, SignalArrivedSchema };

type Assert<T extends true> = T;
export type SignalSchemasAgree = [
  Assert<Agrees<Static<(typeof SIGNAL_MESSAGES)[number]>, SignalStoreMessage>>,
  Assert<Agrees<Static<typeof SignalInstanceSchema>, SignalInstance>>,
  Assert<Agrees<Static<typeof AnnounceReplySchema>, AnnounceReply>>,
  Assert<Agrees<Static<typeof ListSignalsReplySchema>, ListSignalsReply>>,
  Assert<Agrees<Static<typeof WaitReplySchema>, WaitReply>>,
  Assert<Agrees<Static<typeof FindReplySchema>, FindReply>>,
  Assert<Agrees<Static<typeof SubscribeReplySchema>, SubscribeReply>>,
  Assert<Agrees<Static<typeof SignalMatchedSchema>, SignalMatchedMessage>>,
  Assert<Agrees<Static<typeof SignalArrivedSchema>, SignalArrivedMessage>>,
];
