/**
 * Messages to the tag-permit manager (address PERMITS_KEY = `~permits/all`), with their wire
 * schemas. What each answers:
 * - Permits: an instance's batch of releases (holders whose step left its permits) and acquires
 *   (idempotent per holder); answers PermitsReply, the acquiring holders that hold now.
 * - SetTagPermit / DeleteTagPermit: a tag's limit through the API; answers the tag's TagPermitInfo
 *   (deleting a tag with no limit: NOT_FOUND).
 * - TagPermits: one tag's info (`tag` given; a tag nobody limits, holds or waits for is shown
 *   with zero holders) or every known tag's; answers TagPermitsReply.
 * - Hot: the saturated tags (nodes' fast-path cache at startup); answers HotReply.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { PermitRequest, TagPermitInfo } from '../core/permits/index.js';
import { Id, Int, wire, type Agrees, typedUnion } from '../protocol/wire.js';

/** Holders and requests one Permits message may carry (an instance batch stays far below). */
export const PERMITS_BATCH_MAX = 10_000;

export interface PermitsMessage {
  type: 'Permits';
  acquire?: PermitRequest[];
  release?: string[];
}
export interface SetTagPermitMessage {
  type: 'SetTagPermit';
  tag: string;
  maxAllowed: number;
}
export interface DeleteTagPermitMessage {
  type: 'DeleteTagPermit';
  tag: string;
}
export interface TagPermitsMessage {
  type: 'TagPermits';
  tag?: string;
}
export interface HotMessage {
  type: 'Hot';
}
export type PermitMessage = PermitsMessage | SetTagPermitMessage | DeleteTagPermitMessage | TagPermitsMessage | HotMessage;

export interface PermitsReply {
  granted: string[];
}
export interface TagPermitsReply {
  tags: TagPermitInfo[];
}
export interface HotReply {
  tags: string[];
}

const PermitTagSchema = Type.Object({ name: Id(), inlineLimit: Type.Optional(Int(0)) });
const PermitRequestSchema = Type.Object({
  holder: Id(),
  instanceKey: Id(),
  stepId: Id(),
  attempt: Int(1),
  tags: Type.Array(PermitTagSchema, { maxItems: 1_000 }),
});
const PermitsSchema = Type.Object({
  type: Type.Literal('Permits'),
  acquire: Type.Optional(Type.Array(PermitRequestSchema, { maxItems: PERMITS_BATCH_MAX })),
  release: Type.Optional(Type.Array(Id(), { maxItems: PERMITS_BATCH_MAX })),
});
const SetSchema = Type.Object({ type: Type.Literal('SetTagPermit'), tag: Id(), maxAllowed: Int(0) });
const DeleteSchema = Type.Object({ type: Type.Literal('DeleteTagPermit'), tag: Id() });
const InfoSchema = Type.Object({ type: Type.Literal('TagPermits'), tag: Type.Optional(Id()) });
const HotSchema = Type.Object({ type: Type.Literal('Hot') });

const PERMIT_MESSAGES = [PermitsSchema, SetSchema, DeleteSchema, InfoSchema, HotSchema] as const;
export const parsePermitMessage: (body: unknown) => PermitMessage = typedUnion<PermitMessage>('permit message', PERMIT_MESSAGES);

const PermitsReplySchema = Type.Object({ granted: Type.Array(Id()) });
const TagPermitInfoSchema = Type.Object({ tag: Id(), maxAllowed: Type.Optional(Int(0)), holders: Int(0), waiting: Int(0) });
const TagPermitsReplySchema = Type.Object({ tags: Type.Array(TagPermitInfoSchema) });
const HotReplySchema = Type.Object({ tags: Type.Array(Id()) });
const permitsReply = wire('PermitsReply', PermitsReplySchema);
export const tagPermitInfoReply = wire('TagPermitInfo', TagPermitInfoSchema);
export const tagPermitsReply = wire('TagPermitsReply', TagPermitsReplySchema);
export const hotReply = wire('HotReply', HotReplySchema);

export function parsePermitsReply(body: unknown): PermitsReply {
  return permitsReply.parse(body);
}

type Assert<T extends true> = T;
export type PermitSchemasAgree = [
  Assert<Agrees<Static<(typeof PERMIT_MESSAGES)[number]>, PermitMessage>>,
  Assert<Agrees<Static<typeof PermitsReplySchema>, PermitsReply>>,
  Assert<Agrees<Static<typeof TagPermitInfoSchema>, TagPermitInfo>>,
  Assert<Agrees<Static<typeof TagPermitsReplySchema>, TagPermitsReply>>,
  Assert<Agrees<Static<typeof HotReplySchema>, HotReply>>,
];
