/**
 * Messages to a workflow's queue owner (address `queueKeyOf(workflowId)` = `~queue/<id>`), with
 * their wire schemas. What each answers:
 * - Enqueue: a new instance through the run strategy (start-workflow, a subworkflow step's
 *   child). Answers the instance view: CREATED (queued), IN_PROGRESS (started) or STOPPED
 *   (FIRST_ONLY). A request id seen before answers the first instance's view.
 * - Restart: a new run of a terminal instance through the run strategy; answers its view.
 * - Ended: a run ended (from its instance actor); answers true.
 * - Unblock: one FAILED instance (answers its view) or all (answers UnblockReply).
 * - Terminate: workflow-wide stop/kill; answers TerminateReply.
 * - Strategy: a new version's run strategy; `check` only asks whether the change is allowed
 *   (FAILED_PRECONDITION when Maestro refuses it). Answers true.
 * - Dequeue: the owner's own kick; answers true.
 * - QueueInfo: the queue's state in brief (QueueInfoReply).
 * - ForgetRequests: retention forgot these instances; their request ids are dropped (each only
 *   while it still names that instance). Answers true.
 * - FindRequest: the instance a start with this request id created (FoundRequestReply);
 *   NotFoundError while no such start exists. Journals nothing.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { RunStrategy } from '../core/definition/model.js';
import { RUN_STRATEGY_RULES } from '../core/definition/model.js';
import type { RestartNode, RestartPolicy } from '../core/instance/events.js';
import type { EntryStart } from '../core/queue/model.js';
import type { WorkflowStatus } from '../core/status.js';
import { EntryStartFields, ParentRefSchema, RestartPathSchema, RestartPolicySchema } from './child-schemas.js';
import type { ParentRef } from '../core/instance/state.js';
import { WORKFLOW_STATUSES } from '../core/status.js';
import { Id, Int, OneOf, Text, wire, type Agrees, typedUnion } from '../protocol/wire.js';

/** A new instance, numbered and run (or queued, or created ended) by the run strategy. */
export interface EnqueueMessage extends EntryStart {
  type: 'Enqueue';
  /** The run strategy in force; resolved from the latest version when absent. */
  runStrategy?: RunStrategy;
}
export interface RestartQueueMessage {
  type: 'Restart';
  instanceId: number;
  policy: RestartPolicy;
  /** The restart step of RESTART_FROM_SPECIFIC. */
  stepId?: string;
  /** RESTART_FROM_SPECIFIC through loop iterations: the levels below `stepId` (core/instance/events.ts RestartNode). */
  path?: RestartNode[];
  /** A subworkflow child re-run by its parent's restart: the parent step it reports to from now on. */
  parent?: ParentRef;
}
export interface EndedMessage {
  type: 'Ended';
  instanceId: number;
  runId: number;
  status: WorkflowStatus;
}
export interface UnblockMessage {
  type: 'Unblock';
  instanceId?: number;
}
export interface TerminateMessage {
  type: 'Terminate';
  action: 'stop' | 'kill';
  reason?: string;
}
export interface StrategyMessage {
  type: 'Strategy';
  runStrategy: RunStrategy;
  check?: boolean;
}
export interface DequeueMessage {
  type: 'Dequeue';
}
export interface QueueInfoMessage {
  type: 'QueueInfo';
}
export interface FindRequestMessage {
  type: 'FindRequest';
  requestId: string;
}
export interface ForgetRequestsMessage {
  type: 'ForgetRequests';
  requests: Array<{ requestId: string; instanceId: number }>;
}

export type QueueMessage =
  | EnqueueMessage
  | RestartQueueMessage
  | EndedMessage
  | UnblockMessage
  | TerminateMessage
  | StrategyMessage
  | DequeueMessage
  | QueueInfoMessage
  | ForgetRequestsMessage
  | FindRequestMessage;

export interface UnblockReply {
  unblocked: number;
}
export interface TerminateReply {
  /** Queued runs ended directly (STOPPED or FAILED). */
  ended: number;
  /** Running runs told to stop/kill. */
  terminating: number;
}
export interface FoundRequestReply {
  instanceId: number;
}
export interface QueueInfoReply {
  workflowId: string;
  rule: string;
  workflowConcurrency: number;
  latestInstanceId: number;
  queued: Array<{ instanceId: number; runId: number }>;
  running: Array<{ instanceId: number; runId: number }>;
  failed: number[];
}

const RunStrategySchema = Type.Object({
  rule: OneOf(RUN_STRATEGY_RULES),
  workflowConcurrency: Int(0),
});

const EnqueueSchema = Type.Object({ type: Type.Literal('Enqueue'), ...EntryStartFields, runStrategy: Type.Optional(RunStrategySchema) });
const RestartSchema = Type.Object({ type: Type.Literal('Restart'), instanceId: Int(1), policy: RestartPolicySchema, stepId: Type.Optional(Id()), path: Type.Optional(RestartPathSchema), parent: Type.Optional(ParentRefSchema) });
const EndedSchema = Type.Object({ type: Type.Literal('Ended'), instanceId: Int(1), runId: Int(1), status: OneOf(WORKFLOW_STATUSES) });
const UnblockSchema = Type.Object({ type: Type.Literal('Unblock'), instanceId: Type.Optional(Int(1)) });
const TerminateSchema = Type.Object({
  type: Type.Literal('Terminate'),
  action: Type.Union([Type.Literal('stop'), Type.Literal('kill')]),
  reason: Type.Optional(Text()),
});
const StrategySchema = Type.Object({ type: Type.Literal('Strategy'), runStrategy: RunStrategySchema, check: Type.Optional(Type.Boolean()) });
const DequeueSchema = Type.Object({ type: Type.Literal('Dequeue') });
const QueueInfoSchema = Type.Object({ type: Type.Literal('QueueInfo') });
const ForgetRequestsSchema = Type.Object({ type: Type.Literal('ForgetRequests'), requests: Type.Array(Type.Object({ requestId: Id(), instanceId: Int(1) })) });
const FindRequestSchema = Type.Object({ type: Type.Literal('FindRequest'), requestId: Id() });

const QUEUE_MESSAGES = [EnqueueSchema, RestartSchema, EndedSchema, UnblockSchema, TerminateSchema, StrategySchema, DequeueSchema, QueueInfoSchema, ForgetRequestsSchema, FindRequestSchema] as const;
export const parseQueueMessage: (body: unknown) => QueueMessage = typedUnion<QueueMessage>('queue message', QUEUE_MESSAGES);

const UnblockReplySchema = Type.Object({ unblocked: Int(0) });
const TerminateReplySchema = Type.Object({ ended: Int(0), terminating: Int(0) });
export const unblockReply = wire('UnblockReply', UnblockReplySchema);
export const terminateReply = wire('TerminateReply', TerminateReplySchema);
const Pair = Type.Object({ instanceId: Int(1), runId: Int(1) });
const QueueInfoReplySchema = Type.Object({
  workflowId: Id(),
  rule: Id(),
  workflowConcurrency: Int(0),
  latestInstanceId: Int(0),
  queued: Type.Array(Pair),
  running: Type.Array(Pair),
  failed: Type.Array(Int(1)),
});
export const queueInfoReply = wire('QueueInfoReply', QueueInfoReplySchema);
const FoundRequestReplySchema = Type.Object({ instanceId: Int(1) });
export const foundRequestReply = wire('FoundRequestReply', FoundRequestReplySchema);

type Assert<T extends true> = T;
export type QueueSchemasAgree = [
  Assert<Agrees<Static<(typeof QUEUE_MESSAGES)[number]>, QueueMessage>>,
  Assert<Agrees<Static<typeof UnblockReplySchema>, UnblockReply>>,
  Assert<Agrees<Static<typeof TerminateReplySchema>, TerminateReply>>,
  Assert<Agrees<Static<typeof QueueInfoReplySchema>, QueueInfoReply>>,
  Assert<Agrees<Static<typeof FoundRequestReplySchema>, FoundRequestReply>>,
];
