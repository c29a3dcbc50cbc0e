/** Wire schema of a triggered start's TriggerInfo (core/signals/model.ts), carried by an Enqueue (EntryStart.trigger). */
import { Type, type Static } from '@sinclair/typebox';
import type { TriggerInfo } from '../core/signals/model.js';
import { PARAM_MAP_SIZE_LIMIT } from '../core/params/limits.js';
import { Id, Int, Ms, PlainMap, type Agrees } from '../protocol/wire.js';

const SignalValueSchema = Type.Union([Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }), Type.String()]);

export const TriggerInfoSchema = Type.Union([
  Type.Object({ kind: Type.Literal('TIME'), triggerUuid: Id(), triggerTimeMs: Ms(), timezone: Id() }),
  Type.Object({
    kind: Type.Literal('SIGNAL'),
    triggerUuid: Id(),
    signalIds: Type.Record(Type.String(), Int(0)),
    signalParams: Type.Record(Type.String(), Type.Record(Type.String(), SignalValueSchema)),
    params: PlainMap(PARAM_MAP_SIZE_LIMIT),
  }),
]);

type Assert<T extends true> = T;
export type TriggerInfoSchemaAgrees = Assert<Agrees<Static<typeof TriggerInfoSchema>, TriggerInfo>>;
