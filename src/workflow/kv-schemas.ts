/**
 * Schemas of what the engine keeps in the KvStore (JetStream KV in a cluster: bytes anyone who
 * may publish on the bucket's subjects can write). Every read goes through one of these
 * (getChecked/listChecked/updateKv), so a bad value is a KvCorruptError naming its key and
 * revision, never, say, an instance-id counter that turns into a string.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Id, Int, Ms, Text, wire } from '../protocol/wire.js';

const HeaderSchema = Type.Object({
  workflowId: Id(),
  latestVersion: Int(1),
  activeVersion: Int(0),
  createdAtMs: Ms(),
  deleted: Type.Optional(Type.Boolean()),
});
export type Header = Static<typeof HeaderSchema>;

const VersionRecordSchema = Type.Object({
  version: Int(1),
  createdAtMs: Ms(),
  definitionJson: Text(),
});
export type VersionRecord = Static<typeof VersionRecordSchema>;

/** `wf/<id>`: a workflow's header. */
export const checkHeader = wire('workflow header', HeaderSchema).parse;
/** `wfv/<id>/<version>`: one immutable version. */
export const checkVersionRecord = wire('workflow version', VersionRecordSchema).parse;
/** `seq/<workflowId>`: the last instance id an older engine's block allocator reserved (read once per queue; see queue-service.ts). */
export const checkIdCounter = wire('instance id counter', Int(0)).parse;
