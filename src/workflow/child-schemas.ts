/** Wire schemas shared by instance and queue messages: a child's parent reference, how run 1 of an instance is created. */
import { Type } from '@sinclair/typebox';
import { Id, Int, PlainMap } from '../protocol/wire.js';
import { PARAM_MAP_SIZE_LIMIT } from '../core/params/limits.js';
import { STEP_STATUSES, WORKFLOW_STATUSES } from '../core/status.js';
import { TriggerInfoSchema } from './trigger-schemas.js';

const NameList = Type.Array(Id(), { maxItems: 1000 });

export const ParentRefSchema = Type.Object({
  workflowId: Id(),
  instanceId: Int(1),
  runId: Int(1),
  stepId: Id(),
  attempt: Int(1),
  sync: Type.Boolean(),
  report: Type.Optional(Type.Record(Id(), NameList)),
  feedback: Type.Optional(NameList),
});

export const InitiatorSchema = Type.Union([
  Type.Literal('MANUAL'),
  Type.Literal('TIME'),
  Type.Literal('SIGNAL'),
  Type.Literal('SUBWORKFLOW'),
  Type.Literal('FOREACH'),
  Type.Literal('WHILE'),
]);

/** How the queue owner creates run 1 of an instance (EntryStart; also the body of an Enqueue). */
export const EntryStartFields = {
  version: Int(1),
  params: PlainMap(PARAM_MAP_SIZE_LIMIT),
  requestId: Type.Optional(Id()),
  initiator: Type.Optional(InitiatorSchema),
  /** A subworkflow child's parent step, nesting depth and tree (composite.ts). */
  parent: Type.Optional(ParentRefSchema),
  depth: Type.Optional(Int(0)),
  correlationId: Type.Optional(Id()),
  instanceStepConcurrency: Type.Optional(Int(1)),
  /** A time- or signal-triggered start: what fired it. */
  trigger: Type.Optional(TriggerInfoSchema),
};

export const RestartPolicySchema = Type.Union([Type.Literal('RESTART_FROM_INCOMPLETE'), Type.Literal('RESTART_FROM_BEGINNING'), Type.Literal('RESTART_FROM_SPECIFIC')]);

export const WorkflowStatusSchema = Type.Union(WORKFLOW_STATUSES.map((s) => Type.Literal(s)));
const StepStatusSchema = Type.Union(STEP_STATUSES.map((s) => Type.Literal(s)));
const RollupRefSchema = Type.Object({ status: StepStatusSchema, workflowId: Id(), runId: Int(1), instanceId: Int(1), stepId: Id(), attempt: Int(1) });
export const RollupSchema = Type.Object({
  total: Int(0),
  counts: Type.Partial(Type.Record(StepStatusSchema, Int(0))),
  refs: Type.Optional(Type.Array(RollupRefSchema, { maxItems: 1000 })),
});

/** A restart path through loop iterations (core/instance/events.ts RestartNode), nearest level first. */
export const RestartPathSchema = Type.Array(
  Type.Object({
    workflowId: Id(),
    instanceId: Int(1),
    runId: Int(1),
    policy: RestartPolicySchema,
    stepId: Type.Optional(Id()),
    prior: Type.Object({ status: WorkflowStatusSchema, rollup: RollupSchema }),
    before: Type.Optional(RollupSchema),
  }),
  { minItems: 1, maxItems: 64 },
);
