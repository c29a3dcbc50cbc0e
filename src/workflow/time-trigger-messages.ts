/**
 * Messages to a workflow's time-trigger actor (address `timeTriggerKeyOf(workflowId)` =
 * `~cron/<id>`), with their wire schemas. What each answers:
 * - Sync: re-read the workflow's active version (subscribe, keep, or end the subscription),
 *   then fire whatever is due; sent after a definition change, at node start, after a takeover.
 *   Answers TimeTriggerSyncReply once every start due by now was answered by the queue.
 * - Tick: the same, but a failure to read the definitions is logged and retried (the actor's
 *   own timer sends it, and the actor after a takeover; a test driving a fake clock may too).
 * - TimeTriggerInfo: the triggers with their jitter, watermark and next `upcoming` fires
 *   (default 5, at most 100); answers TimeTriggersReply.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Id, Int, Ms, Text, wire, type Agrees, typedUnion } from '../protocol/wire.js';

export const MAX_UPCOMING_FIRES = 100;

export interface SyncMessage {
  type: 'Sync';
}
export interface TickMessage {
  type: 'Tick';
}
export interface TimeTriggerInfoMessage {
  type: 'TimeTriggerInfo';
  upcoming?: number;
}
export type TimeTriggerMessage = SyncMessage | TickMessage | TimeTriggerInfoMessage;

export interface TimeTriggerSyncReply {
  subscribed: boolean;
  /** Starts sent by this round. */
  fired: number;
}

export interface TimeTriggerView {
  index: number;
  /** The trigger as Maestro JSON. */
  definitionJson: string;
  /** Maestro's toString of it (what request ids hash). */
  text: string;
  /** The timezone it runs in (UTC when the definition names none). */
  timezone: string;
  jitterMs: number;
  /** The last fire time planned (or the subscription time); absent when not subscribed. */
  watermarkMs?: number;
  /** The next fires, jitter included (after the watermark; after now when not subscribed). */
  nextFiresMs: number[];
}

export interface TimeTriggersReply {
  workflowId: string;
  subscribed: boolean;
  triggerUuid?: string;
  /** The active version the fires start. */
  version?: number;
  subscribedAtMs?: number;
  /** Why the subscription ended or never began (workflow gone, inactive, disabled, no triggers, no future fires). */
  reason?: string;
  /** Starts journaled and not yet answered by the queue owner. */
  pending: number;
  nowMs: number;
  triggers: TimeTriggerView[];
}

const SyncSchema = Type.Object({ type: Type.Literal('Sync') });
const TickSchema = Type.Object({ type: Type.Literal('Tick') });
const InfoSchema = Type.Object({ type: Type.Literal('TimeTriggerInfo'), upcoming: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_UPCOMING_FIRES })) });

const MESSAGES = [SyncSchema, TickSchema, InfoSchema] as const;
export const parseTimeTriggerMessage: (body: unknown) => TimeTriggerMessage = typedUnion<TimeTriggerMessage>('time trigger message', MESSAGES);

const SyncReplySchema = Type.Object({ subscribed: Type.Boolean(), fired: Int(0) });
const ViewSchema = Type.Object({
  index: Int(0),
  definitionJson: Text(),
  text: Text(),
  timezone: Id(),
  jitterMs: Int(0),
  watermarkMs: Type.Optional(Ms()),
  nextFiresMs: Type.Array(Ms(), { maxItems: MAX_UPCOMING_FIRES }),
});
const TriggersReplySchema = Type.Object({
  workflowId: Id(),
  subscribed: Type.Boolean(),
  triggerUuid: Type.Optional(Id()),
  version: Type.Optional(Int(1)),
  subscribedAtMs: Type.Optional(Ms()),
  reason: Type.Optional(Text()),
  pending: Int(0),
  nowMs: Ms(),
  triggers: Type.Array(ViewSchema, { maxItems: 1000 }),
});
export const timeTriggerSyncReply = wire('TimeTriggerSyncReply', SyncReplySchema);
export const timeTriggersReply = wire('TimeTriggersReply', TriggersReplySchema);

type Assert<T extends true> = T;
export type TimeTriggerSchemasAgree = [
  Assert<Agrees<Static<(typeof MESSAGES)[number]>, TimeTriggerMessage>>,
  Assert<Agrees<Static<typeof SyncReplySchema>, TimeTriggerSyncReply>>,
  Assert<Agrees<Static<typeof TriggersReplySchema>, TimeTriggersReply>>,
];
