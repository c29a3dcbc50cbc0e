/**
 * Wire schemas of the replies instance actors and partition hosts send back (InstanceView,
 * InstanceSummary[]): a reply is bytes off NATS like any message, and anyone who can publish on
 * a requester's inbox could answer first. The engine checks them where it asks (engine.ts,
 * partition-index.ts); a malformed one is a MalformedReplyError, never a view passed on.
 * Step-result acks are not read, so they have no schema.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { InstanceSummary, InstanceView } from '../core/instance/view.js';
import { PARAM_TYPES } from '../core/definition/model.js';
import { RUN_POLICIES, STEP_STATUSES, WORKFLOW_STATUSES } from '../core/status.js';
import { TASK_PARAMS_MAX_ENTRIES } from '../protocol/schemas.js';
import { Id, Int, Ms, OneOf, PlainMap, Text, wire, type Agrees } from '../protocol/wire.js';
import { MalformedReplyError } from './errors.js';
import { TriggerInfoSchema } from './trigger-schemas.js';

const AttemptViewSchema = Type.Object({
  attempt: Int(1),
  attemptId: Id(),
  status: OneOf(STEP_STATUSES),
  createdAtMs: Ms(),
  startedAtMs: Type.Optional(Ms()),
  endedAtMs: Type.Optional(Ms()),
  error: Type.Optional(Text()),
  outputs: Type.Optional(PlainMap(TASK_PARAMS_MAX_ENTRIES)),
  stdout: Type.Optional(Text()),
  stderr: Type.Optional(Text()),
  details: Type.Optional(PlainMap(TASK_PARAMS_MAX_ENTRIES)),
});

/** A param's declared type by name (a view's `paramTypes`). */
const ParamTypes = Type.Record(Type.String(), OneOf(PARAM_TYPES), { maxProperties: TASK_PARAMS_MAX_ENTRIES });

const Counts = <T extends readonly string[]>(keys: T) => Type.Partial(Type.Record(OneOf(keys), Int(0)));
const RollupRefSchema = Type.Object({ status: OneOf(STEP_STATUSES), workflowId: Id(), runId: Int(1), instanceId: Int(1), stepId: Id(), attempt: Int(1) });
const RollupSchema = Type.Object({ total: Int(0), counts: Counts(STEP_STATUSES), refs: Type.Optional(Type.Array(RollupRefSchema, { maxItems: 1000 })) });
const Ranges = Type.Array(Type.Tuple([Int(1), Int(1)]), { maxItems: 30_000 });
const ForeachOverviewSchema = Type.Object({
  kind: Type.Literal('foreach'),
  inlineWorkflowId: Id(),
  runId: Int(1),
  total: Int(0),
  concurrency: Int(0),
  launched: Int(0),
  running: Type.Array(Int(1), { maxItems: 30_000 }),
  details: Type.Partial(Type.Record(OneOf(WORKFLOW_STATUSES), Ranges)),
  stats: Counts(WORKFLOW_STATUSES),
  rollup: RollupSchema,
});
const WhileOverviewSchema = Type.Object({
  kind: Type.Literal('while'),
  inlineWorkflowId: Id(),
  runId: Int(1),
  iterations: Int(0),
  running: Type.Optional(Int(1)),
  loopParamValues: Type.Record(Id(), Type.Array(Type.Unknown(), { maxItems: 30_000 })),
  lastStatus: Type.Optional(OneOf(WORKFLOW_STATUSES)),
  rollup: RollupSchema,
});
const SubworkflowOverviewSchema = Type.Object({
  kind: Type.Literal('subworkflow'),
  workflowId: Id(),
  instanceId: Type.Optional(Int(1)),
  runId: Type.Optional(Int(1)),
  version: Type.Optional(Int(1)),
  status: Type.Optional(OneOf(WORKFLOW_STATUSES)),
  sync: Type.Boolean(),
  rollup: Type.Optional(RollupSchema),
});
const ParentViewSchema = Type.Object({ workflowId: Id(), instanceId: Int(1), runId: Int(1), stepId: Id(), attempt: Int(1) });

/** A signal param: a long (safe integer) or a string. */
const SignalValueSchema = Type.Union([Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }), Type.String()]);

const StepViewSchema = Type.Object({
  stepId: Id(),
  stepType: Id(),
  status: OneOf(STEP_STATUSES),
  attempts: Type.Array(AttemptViewSchema),
  params: PlainMap(TASK_PARAMS_MAX_ENTRIES),
  paramTypes: Type.Optional(ParamTypes),
  outputs: PlainMap(TASK_PARAMS_MAX_ENTRIES),
  startedAtMs: Type.Optional(Ms()),
  endedAtMs: Type.Optional(Ms()),
  overview: Type.Optional(Type.Union([ForeachOverviewSchema, WhileOverviewSchema, SubworkflowOverviewSchema])),
  signalDependencies: Type.Optional(
    Type.Object({
      info: Type.Optional(Text()),
      dependencies: Type.Array(
        Type.Object({
          name: Text(),
          status: Id(),
          matchParams: Type.Optional(Type.Record(Type.String(), Type.Object({ value: SignalValueSchema, operator: Id() }))),
          signalId: Type.Optional(Int(1)),
        }),
        { maxItems: TASK_PARAMS_MAX_ENTRIES },
      ),
    }),
  ),
  signalOutputs: Type.Optional(
    Type.Object({
      info: Type.Optional(Text()),
      outputs: Type.Array(
        Type.Object({
          name: Text(),
          params: Type.Record(Type.String(), SignalValueSchema),
          payload: PlainMap(TASK_PARAMS_MAX_ENTRIES),
          signalId: Type.Optional(Int(1)),
          announceTimeMs: Type.Optional(Ms()),
          announced: Type.Boolean(),
        }),
        { maxItems: TASK_PARAMS_MAX_ENTRIES },
      ),
    }),
  ),
});

const StepAggregatedViewSchema = Type.Object({
  stepId: Id(),
  runId: Type.Optional(Int(1)),
  status: OneOf(STEP_STATUSES),
  startedAtMs: Type.Optional(Ms()),
  endedAtMs: Type.Optional(Ms()),
});

const RawStatusSchema = OneOf([...WORKFLOW_STATUSES, 'FAILED_1', 'FAILED_2'] as const);
const RunViewSchema = Type.Object({
  runId: Int(1),
  status: OneOf(WORKFLOW_STATUSES),
  rawStatus: RawStatusSchema,
  startedAtMs: Type.Optional(Ms()),
  endedAtMs: Type.Optional(Ms()),
});

const InstanceViewSchema = Type.Object({
  workflowId: Id(),
  instanceId: Int(1),
  runId: Int(1),
  version: Int(1),
  status: OneOf(WORKFLOW_STATUSES),
  runPolicy: OneOf(RUN_POLICIES),
  requestId: Type.Optional(Id()),
  params: PlainMap(TASK_PARAMS_MAX_ENTRIES),
  paramTypes: Type.Optional(ParamTypes),
  steps: Type.Array(StepViewSchema),
  createdAtMs: Ms(),
  startedAtMs: Type.Optional(Ms()),
  endedAtMs: Type.Optional(Ms()),
  error: Type.Optional(Text()),
  replayError: Type.Optional(Text()),
  rollup: RollupSchema,
  initiator: Id(),
  trigger: Type.Optional(TriggerInfoSchema),
  parent: Type.Optional(ParentViewSchema),
  depth: Int(0),
  correlationId: Id(),
  runStatus: Type.Optional(OneOf(WORKFLOW_STATUSES)),
  aggregatedInfo: Type.Optional(Type.Object({ steps: Type.Array(StepAggregatedViewSchema), workflowInstanceStatus: OneOf(WORKFLOW_STATUSES) })),
  rawStatus: Type.Optional(RawStatusSchema),
  runs: Type.Optional(Type.Array(RunViewSchema, { maxItems: 100_000 })),
  seq: Type.Optional(Int(0)),
});

const InstanceSummarySchema = Type.Object({
  workflowId: Id(),
  instanceId: Int(1),
  runId: Int(1),
  version: Int(1),
  status: OneOf(WORKFLOW_STATUSES),
  createdAtMs: Ms(),
  endedAtMs: Type.Optional(Ms()),
  rawStatus: Type.Optional(RawStatusSchema),
});

const view = wire('InstanceView reply', InstanceViewSchema);
const summaries = wire('InstanceSummary list reply', Type.Array(InstanceSummarySchema));
const summary = wire('InstanceSummary reply', InstanceSummarySchema);

export function parseViewReply(to: string, reply: unknown): InstanceView {
  return checked(to, () => view.parse(reply));
}

/** The reply to a parent's Start of a child (InstanceActor answers those with a summary). */
export function parseSummaryReply(to: string, reply: unknown): InstanceSummary {
  return checked(to, () => summary.parse(reply));
}

export function parseSummariesReply(to: string, reply: unknown): InstanceSummary[] {
  return checked(to, () => summaries.parse(reply));
}

function checked<T>(to: string, parse: () => T): T {
  try {
    return parse();
  } catch (cause) {
    throw new MalformedReplyError(to, { cause });
  }
}

type Assert<T extends true> = T;
export type ReplySchemasAgree = [
  Assert<Agrees<Static<typeof InstanceViewSchema>, InstanceView>>,
  Assert<Agrees<Static<typeof InstanceSummarySchema>, InstanceSummary>>,
];
