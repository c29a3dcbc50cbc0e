/** Wire schema of a child's parent reference, shared by instance and queue messages. */
import { Type } from '@sinclair/typebox';
import { Id, Int } from '../protocol/wire.js';

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
