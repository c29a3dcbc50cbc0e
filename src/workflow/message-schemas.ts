/**
 * Wire schemas of the messages in ./messages.ts, and `WIRE_SCHEMAS`: every check a transport
 * applies to what it receives (actor messages, step tasks, topic events), which the node hands
 * to its transport. src/protocol/wire.ts says what a check guarantees (shape, bounds, unknown
 * fields stripped); the executor protocol's schemas are in src/protocol/schemas.ts.
 *
 * An instance message type is one schema with a `type` literal plus one line in
 * INSTANCE_MESSAGES; the union, its parser and the type check below follow from that list.
 */
import { Type, type Static, type TObject } from '@sinclair/typebox';
import { PARAM_MAP_SIZE_LIMIT } from '../core/params/limits.js';
import { instanceKeyOf, PARTITION_ADDRESS_PREFIX } from '../core/partition.js';
import type { InstanceChange } from '../core/instance/view.js';
import { InvalidMessageError } from '../protocol/errors.js';
import { PROTOCOL_TOPICS, StepResultMessageSchema, stepTask } from '../protocol/schemas.js';
import { Id, ID_MAX_CHARS, Int, Ms, PlainMap, Text, wire, type Agrees, type WireSchema } from '../protocol/wire.js';
import type { WireSchemas } from '../transport/port.js';
import { BREAKPOINTS_TOPIC, instanceTopic, type InstanceMessage, type ListMessage, type ListPausedMessage } from './messages.js';
import { isServiceKey } from '../core/service/reducer.js';
import { EntryStartFields, ParentRefSchema, RestartPathSchema, RestartPolicySchema, RollupSchema, WorkflowStatusSchema } from './child-schemas.js';
import { QUEUE_KEY_PREFIX } from '../core/queue/model.js';
import { parseQueueMessage, type QueueMessage } from './queue-messages.js';
import { parseSignalTriggerMessage, type SignalTriggerMessage } from './signal-trigger-messages.js';
import { PERMITS_HOT_TOPIC, PERMITS_KEY_PREFIX } from '../core/permits/model.js';
import { hotReply, parsePermitMessage, type PermitMessage } from './permit-messages.js';
import { parseSignalMessage } from './signal-messages.js';
import { SIGNAL_KEY_PREFIX, SIGNAL_TRIGGER_KEY_PREFIX, TIME_TRIGGER_KEY_PREFIX, type SignalStoreMessage } from '../core/signals/model.js';
import { parseTimeTriggerMessage, type TimeTriggerMessage } from './time-trigger-messages.js';
import type { StepActionKind } from '../core/instance/events.js';
import { SignalMatchedSchema } from './signal-messages.js';

const InlineSourceSchema = Type.Object({ workflowId: Id(), version: Int(1), path: Type.Array(Id(), { minItems: 1, maxItems: 64 }) });

const StartSchema = Type.Object({
  type: Type.Literal('Start'),
  workflowId: Id(),
  instanceId: Int(1),
  version: Int(1),
  params: PlainMap(PARAM_MAP_SIZE_LIMIT),
  requestId: Type.Optional(Id()),
  initiator: Type.Optional(Type.Union([Type.Literal('SUBWORKFLOW'), Type.Literal('FOREACH'), Type.Literal('WHILE')])),
  runId: Type.Optional(Int(1)),
  parent: Type.Optional(ParentRefSchema),
  source: Type.Optional(InlineSourceSchema),
  depth: Type.Optional(Int(0)),
  correlationId: Type.Optional(Id()),
  instanceStepConcurrency: Type.Optional(Int(1)),
  restart: Type.Optional(RestartPolicySchema),
  restartStepId: Type.Optional(Id()),
  restartPath: Type.Optional(RestartPathSchema),
});

const ChildEndedSchema = Type.Object({
  type: Type.Literal('ChildEnded'),
  stepId: Id(),
  attempt: Int(1),
  instanceId: Int(1),
  runId: Int(1),
  status: WorkflowStatusSchema,
  rollup: RollupSchema,
  outputs: Type.Optional(Type.Record(Id(), PlainMap(PARAM_MAP_SIZE_LIMIT))),
  feedback: Type.Optional(PlainMap(PARAM_MAP_SIZE_LIMIT)),
  error: Type.Optional(Text()),
});
const ChildStartedSchema = Type.Object({
  type: Type.Literal('ChildStarted'),
  stepId: Id(),
  attempt: Int(1),
  instanceId: Int(1),
  runId: Int(1),
  version: Int(1),
});
const ChildFailedSchema = Type.Object({ type: Type.Literal('ChildFailed'), stepId: Id(), attempt: Int(1), error: Text() });
const RestartIterationSchema = Type.Object({
  type: Type.Literal('RestartIteration'),
  stepId: Id(),
  iteration: Int(1),
  runId: Int(1),
  policy: RestartPolicySchema,
  prior: Type.Object({ status: WorkflowStatusSchema, rollup: RollupSchema }),
  restartStepId: Type.Optional(Id()),
  path: Type.Optional(RestartPathSchema),
});

const UnblockInstanceSchema = Type.Object({ type: Type.Literal('Unblock') });

const ActionSchema = Type.Object({
  type: Type.Literal('Action'),
  action: Type.Union([Type.Literal('stop'), Type.Literal('kill'), Type.Literal('restart')]),
  policy: Type.Optional(RestartPolicySchema),
  stepId: Type.Optional(Id()),
  path: Type.Optional(RestartPathSchema),
  reason: Type.Optional(Text()),
  ifRunning: Type.Optional(Type.Boolean()),
});

const StepActionSchema = Type.Object({
  type: Type.Literal('StepAction'),
  stepId: Id(),
  action: Type.Union(['stop', 'kill', 'skip', 'bypass', 'restart', 'resume'].map((a) => Type.Literal(a as StepActionKind))),
  attempt: Type.Optional(Int(1)),
  reason: Type.Optional(Text()),
  path: Type.Optional(RestartPathSchema),
});

const LaunchSchema = Type.Object({
  type: Type.Literal('Launch'),
  workflowId: Id(),
  instanceId: Int(1),
  runId: Int(1),
  mode: Type.Union([Type.Literal('queue'), Type.Literal('run'), Type.Literal('stop'), Type.Literal('kill')]),
  start: Type.Optional(Type.Object(EntryStartFields)),
  policy: Type.Optional(RestartPolicySchema),
  stepId: Type.Optional(Id()),
  path: Type.Optional(RestartPathSchema),
  parent: Type.Optional(ParentRefSchema),
  reason: Type.Optional(Text()),
});

const GetSchema = Type.Object({ type: Type.Literal('Get') });
const WatchSchema = Type.Object({ type: Type.Literal('Watch') });

const PutOutputsSchema = Type.Object({
  type: Type.Literal('PutOutputs'),
  stepId: Id(),
  outputs: PlainMap(PARAM_MAP_SIZE_LIMIT),
});

const PermitGrantSchema = Type.Object({ type: Type.Literal('PermitGrant'), holder: Id(), stepId: Id(), attempt: Int(1) });
const PermitCheckSchema = Type.Object({ type: Type.Literal('PermitCheck'), holders: Type.Array(Id(), { maxItems: 10_000 }) });

/** Every message an instance actor takes from the transport: one line per type. */
const INSTANCE_MESSAGES = [
  StartSchema,
  LaunchSchema,
  StepResultMessageSchema,
  ActionSchema,
  StepActionSchema,
  GetSchema,
  WatchSchema,
  PutOutputsSchema,
  ChildEndedSchema,
  ChildStartedSchema,
  ChildFailedSchema,
  RestartIterationSchema,
  UnblockInstanceSchema,
  PermitGrantSchema,
  PermitCheckSchema,
  SignalMatchedSchema,
] as const;

const ListSchema = Type.Object({
  type: Type.Literal('List'),
  workflowId: Type.Optional(Id()),
  status: Type.Optional(Id()),
});

const ListPausedSchema = Type.Object({
  type: Type.Literal('ListPaused'),
  workflowId: Id(),
  stepId: Id(),
});

const InstanceChangeSchema = Type.Object({
  workflowId: Id(),
  instanceId: Int(1),
  runId: Int(1),
  atMs: Ms(),
  stepId: Type.Optional(Id()),
  attempt: Type.Optional(Int(1)),
  status: Id(),
  message: Type.Optional(Text()),
  seq: Type.Optional(Int(1)),
});

type TypeOf<S> = S extends TObject<infer P> ? (P extends { type: { const: infer T } } ? T : never) : never;
const byType = new Map<string, WireSchema<unknown>>(
  INSTANCE_MESSAGES.map((s) => [s.properties.type.const, wire(`${s.properties.type.const} message`, s)]),
);
const TYPES = [...byType.keys()].join(', ');
const list = wire('List message', ListSchema);
const listPaused = wire('ListPaused message', ListPausedSchema);
export const instanceChange: WireSchema<InstanceChange> = wire('InstanceChange', InstanceChangeSchema);

/** Checks a message for an instance actor: its `type` picks the schema. */
export function parseInstanceMessage(body: unknown): InstanceMessage {
  const type = typeof body === 'object' && body !== null ? (body as { type?: unknown }).type : undefined;
  const schema = typeof type === 'string' ? byType.get(type) : undefined;
  if (schema === undefined) {
    const got = typeof type === 'string' ? JSON.stringify(type.slice(0, 40)) : typeof body === 'object' && body !== null ? 'none' : 'no map';
    throw new InvalidMessageError('instance message', 'type', `expected one of ${TYPES}, got ${got}`);
  }
  return schema.parse(body) as InstanceMessage;
}

/**
 * Checks a message for actor `to`: a partition address takes only List; a service key (`~kind/`)
 * its kind's messages; an instance key takes
 * instance messages, and a Start must name the instance `to` is the key of (else it would
 * create an instance under another's key, possibly in the wrong partition).
 */
export function parseActorMessage(to: string, body: unknown): InstanceMessage | ListMessage | ListPausedMessage | QueueMessage | PermitMessage | SignalStoreMessage | SignalTriggerMessage | TimeTriggerMessage {
  if (to.length === 0 || to.length > ID_MAX_CHARS) throw new InvalidMessageError('actor message', 'to', `must be 1..${ID_MAX_CHARS} chars, got ${to.length}`);
  if (to.startsWith(PARTITION_ADDRESS_PREFIX)) {
    const type = typeof body === 'object' && body !== null ? (body as { type?: unknown }).type : undefined;
    return type === 'ListPaused' ? listPaused.parse(body) : list.parse(body);
  }
  if (isServiceKey(to)) {
    const kind = SERVICE_MESSAGES.find(([prefix]) => to.startsWith(prefix));
    if (!kind) throw new InvalidMessageError('actor message', 'to', `no service kind owns ${to.slice(0, 40)}`);
    return kind[1](body);
  }
  const msg = parseInstanceMessage(body);
  if ((msg.type === 'Start' || msg.type === 'Launch') && instanceKeyOf(msg.workflowId, msg.instanceId) !== to) {
    throw new InvalidMessageError(`${msg.type} message`, 'workflowId', `names instance ${instanceKeyOf(msg.workflowId, msg.instanceId)}, sent to ${to}`);
  }
  return msg;
}

/** Service actor kinds' message checks by key prefix (service-actor.ts): one line per kind. */
const SERVICE_MESSAGES: ReadonlyArray<readonly [prefix: string, parse: (body: unknown) => QueueMessage | PermitMessage | SignalStoreMessage | SignalTriggerMessage | TimeTriggerMessage]> = [
  [QUEUE_KEY_PREFIX, parseQueueMessage],
  [PERMITS_KEY_PREFIX, parsePermitMessage],
  [SIGNAL_KEY_PREFIX, parseSignalMessage],
  [SIGNAL_TRIGGER_KEY_PREFIX, parseSignalTriggerMessage],
  [TIME_TRIGGER_KEY_PREFIX, parseTimeTriggerMessage],
];

/** Instance topics (`instanceTopic(key)`) carry InstanceChange; the protocol's topics their own. */
const INSTANCE_TOPIC_PREFIX = instanceTopic('');
const breakpointsChanged = wire('breakpoints changed', Type.Object({ workflowId: Id(), stepId: Id() }));
function topicSchema(topic: string): ((body: unknown) => unknown) | undefined {
  if (topic.startsWith(INSTANCE_TOPIC_PREFIX)) return instanceChange.parse;
  if (topic === BREAKPOINTS_TOPIC) return breakpointsChanged.parse;
  if (topic === PERMITS_HOT_TOPIC) return hotReply.parse;
  return PROTOCOL_TOPICS[topic]?.parse;
}

/** What the node's transports check on receipt. */
export const WIRE_SCHEMAS: WireSchemas = {
  actor: parseActorMessage,
  task: stepTask.parse,
  topic: topicSchema,
};

type Assert<T extends true> = T;
export type MessageSchemasAgree = [
  Assert<Agrees<Static<(typeof INSTANCE_MESSAGES)[number]>, InstanceMessage>>,
  Assert<Agrees<TypeOf<(typeof INSTANCE_MESSAGES)[number]>, InstanceMessage['type']>>,
  Assert<Agrees<Static<typeof ListSchema>, ListMessage>>,
  Assert<Agrees<Static<typeof ListPausedSchema>, ListPausedMessage>>,
  Assert<Agrees<Static<typeof InstanceChangeSchema>, InstanceChange>>,
];
