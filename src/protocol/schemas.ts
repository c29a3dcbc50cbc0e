/**
 * Wire schemas of the executor protocol (./executor.ts): what an owner and executors say to
 * each other, as checked when it comes off the transport (./wire.ts says what a check
 * guarantees). The `Agrees` lines make the compiler refuse a schema that drifts from its type.
 * A task and a cancel carry the owner's (partition, epoch): a receiver's fence needs both.
 */
import { Type, type Static } from '@sinclair/typebox';
import { PARAM_MAP_SIZE_LIMIT } from '../core/params/limits.js';
import type { AttemptHeartbeat, AttemptLogChunk, CancelAttempt, DispatchedTask, PartitionEpoch, StepResult, StepResultMessage, WorkerTypeAnnounced } from './executor.js';
import { TOPIC_ATTEMPT_HEARTBEAT, TOPIC_ATTEMPT_LOG, TOPIC_CANCEL_ATTEMPT, TOPIC_PARTITION_EPOCH, TOPIC_WORKER_TYPE } from './executor.js';
import { Id, Int, Ms, PlainMap, Text, wire, type Agrees, type WireSchema } from './wire.js';

/**
 * A step task's params are workflow, step and system params merged (each of Maestro's maps has
 * at most PARAM_MAP_SIZE_LIMIT entries); their serialized size is bounded by the payload limit.
 */
export const TASK_PARAMS_MAX_ENTRIES = 8 * PARAM_MAP_SIZE_LIMIT;
/** Attempts one heartbeat may announce; a heartbeat at the 1 MiB payload limit holds fewer. */
export const HEARTBEAT_MAX_ATTEMPTS = 65_536;

const StepTaskSchema = Type.Object({
  instanceKey: Id(),
  workflowId: Id(),
  instanceId: Int(),
  runId: Int(1),
  stepId: Id(),
  attempt: Int(1),
  attemptId: Id(),
  stepType: Id(),
  subType: Type.Optional(Id()),
  params: PlainMap(TASK_PARAMS_MAX_ENTRIES),
  startedAtMs: Ms(),
  timeoutMs: Type.Optional(Ms()),
  partition: Int(),
  epoch: Int(),
});

const StepResultSchema = Type.Object({
  status: Type.Union([Type.Literal('SUCCEEDED'), Type.Literal('USER_FAILED'), Type.Literal('PLATFORM_FAILED'), Type.Literal('FATALLY_FAILED')]),
  outputs: Type.Optional(PlainMap(PARAM_MAP_SIZE_LIMIT)),
  error: Type.Optional(Text()),
  stdout: Type.Optional(Text()),
  stderr: Type.Optional(Text()),
  details: Type.Optional(PlainMap(PARAM_MAP_SIZE_LIMIT)),
});

export const StepResultMessageSchema = Type.Object({
  type: Type.Literal('StepResult'),
  stepId: Id(),
  runId: Int(1),
  attempt: Int(1),
  attemptId: Id(),
  result: StepResultSchema,
});

const CancelAttemptSchema = Type.Object({
  attemptId: Id(),
  partition: Int(),
  epoch: Int(),
});

const AttemptHeartbeatSchema = Type.Object({
  attempts: Type.Array(Type.Tuple([Id(), Id()]), { maxItems: HEARTBEAT_MAX_ATTEMPTS }),
});

const PartitionEpochSchema = Type.Object({
  partition: Int(),
  epoch: Int(),
});

export const stepTask: WireSchema<DispatchedTask> = wire('StepTask', StepTaskSchema);
export const stepResult: WireSchema<StepResult> = wire('StepResult', StepResultSchema);
export const cancelAttempt: WireSchema<CancelAttempt> = wire('CancelAttempt', CancelAttemptSchema);
export const attemptHeartbeat: WireSchema<AttemptHeartbeat> = wire('AttemptHeartbeat', AttemptHeartbeatSchema);
export const partitionEpoch: WireSchema<PartitionEpoch> = wire('PartitionEpoch', PartitionEpochSchema);

const WorkerTypeAnnouncedSchema = Type.Object({ type: Id() });
export const workerTypeAnnounced: WireSchema<WorkerTypeAnnounced> = wire('WorkerTypeAnnounced', WorkerTypeAnnouncedSchema);

const AttemptLogChunkSchema = Type.Object({
  attemptId: Id(),
  stream: Type.Union([Type.Literal('stdout'), Type.Literal('stderr')]),
  text: Text(),
  offset: Int(),
  end: Type.Optional(Type.Boolean()),
});
export const attemptLogChunk: WireSchema<AttemptLogChunk> = wire('AttemptLogChunk', AttemptLogChunkSchema);

/** The executor protocol's fan-out topics and what each carries. */
export const PROTOCOL_TOPICS: Readonly<Record<string, WireSchema<unknown>>> = {
  [TOPIC_CANCEL_ATTEMPT]: cancelAttempt,
  [TOPIC_ATTEMPT_HEARTBEAT]: attemptHeartbeat,
  [TOPIC_PARTITION_EPOCH]: partitionEpoch,
  [TOPIC_WORKER_TYPE]: workerTypeAnnounced,
  [TOPIC_ATTEMPT_LOG]: attemptLogChunk,
};

type Assert<T extends true> = T;
export type SchemasAgree = [
  Assert<Agrees<Static<typeof StepTaskSchema>, DispatchedTask>>,
  Assert<Agrees<Static<typeof StepResultSchema>, StepResult>>,
  Assert<Agrees<Static<typeof StepResultMessageSchema>, StepResultMessage>>,
  Assert<Agrees<Static<typeof CancelAttemptSchema>, CancelAttempt>>,
  Assert<Agrees<Static<typeof AttemptHeartbeatSchema>, AttemptHeartbeat>>,
  Assert<Agrees<Static<typeof PartitionEpochSchema>, PartitionEpoch>>,
  Assert<Agrees<Static<typeof WorkerTypeAnnouncedSchema>, WorkerTypeAnnounced>>,
  Assert<Agrees<Static<typeof AttemptLogChunkSchema>, AttemptLogChunk>>,
];
