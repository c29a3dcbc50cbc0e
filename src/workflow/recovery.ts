/**
 * Takeover's replay: every instance of a partition image rebuilt by folding its journal
 * (core/instance/replay.ts), each failure kept with its reason instead of dropped.
 *
 * - A record that cannot be folded: the instance keeps the state of the last record that did,
 *   flagged with `replayError`; its actor holds it read-only (get-instance shows the reason).
 * - An instance whose workflow version is gone from the definition store cannot be shown at
 *   all: it is listed as unrecovered with the reason (calls for it get that reason).
 * - A journal in a format this node cannot read fails the whole takeover (JournalFormatError).
 */
import { NotFoundError } from '../core/errors.js';
import { decodeRecordEvent, decodeSnapshotState, describeReplayFailure, replayInstance, type InstanceEvent, type InstanceState, type MachineContext } from '../core/instance/index.js';
import type { InstanceImage, PartitionImage } from '../journal/port.js';
import type { InlineSource } from '../core/instance/state.js';
import { isServiceKey } from '../core/service/reducer.js';

export interface Recovered {
  key: string;
  state: InstanceState;
  ctx: MachineContext;
  /** Records folded on top of the snapshot (the next checkpoint should fold them in). */
  replayed: number;
}

export interface RecoveryResult {
  instances: Recovered[];
  /** Instances that could not be rebuilt at all, with the reason. */
  unrecovered: Map<string, string>;
  /** Reasons of every instance held read-only or unrecovered, for the node's log. */
  failures: Array<{ key: string; reason: string; cause?: Error }>;
}

export async function recoverPartition(
  image: PartitionImage,
  contextFor: (workflowId: string, version: number, source?: InlineSource) => Promise<MachineContext>,
): Promise<RecoveryResult> {
  const where = `partition ${image.partition}`;
  const out: RecoveryResult = { instances: [], unrecovered: new Map(), failures: [] };
  for (const [key, img] of image.instances) {
    if (!img.snapshot && img.records.length === 0) continue;
    if (isServiceKey(key)) continue; // service actors (service-actor.ts) are recovered by the host
    const head = headOf(key, img, where);
    let ctx: MachineContext;
    try {
      ctx = await contextFor(head.workflowId, head.version, head.source);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err; // the store is unavailable: the takeover is retried
      const reason = `workflow ${head.workflowId} version ${head.version} is not in the definition store: ${err.message}`;
      out.unrecovered.set(key, reason);
      out.failures.push({ key, reason, cause: err });
      continue;
    }
    const result = replayInstance({ instanceKey: key, snapshot: img.snapshot, records: img.records }, ctx, where);
    let state = result.state;
    if (result.failure) {
      const reason = describeReplayFailure(key, result.failure);
      out.failures.push({ key, reason, cause: result.failure.error });
      state = { ...(state ?? placeholder(head)), replayError: reason };
    }
    if (state) out.instances.push({ key, state, ctx, replayed: img.records.length });
  }
  return out;
}

interface Head {
  workflowId: string;
  instanceId: number;
  version: number;
  atMs: number;
  source?: InlineSource;
}

/** Which workflow version an instance runs: from its snapshot, else from its `started` record. */
function headOf(key: string, img: InstanceImage, where: string): Head {
  if (img.snapshot) {
    const s = decodeSnapshotState(img.snapshot.state, `${where}, snapshot of ${key}`);
    return { workflowId: s.workflowId, instanceId: s.instanceId, version: s.version, atMs: s.createdAtMs, source: s.source };
  }
  const first = img.records[0]!;
  const ev = decodeRecordEvent(first.event, `${where}, ${key} seq ${first.seq}`).event as Extract<InstanceEvent, { t: 'started' }>;
  return { workflowId: ev.workflowId, instanceId: ev.instanceId, version: ev.version, atMs: ev.atMs, source: ev.source };
}

/** What get-instance shows of an instance whose very first record could not be folded. */
function placeholder(h: Head): InstanceState {
  return {
    workflowId: h.workflowId,
    instanceId: h.instanceId,
    version: h.version,
    runId: 1,
    uuid: '',
    status: 'CREATED',
    runPolicy: 'START_FRESH_NEW_RUN',
    initiator: 'MANUAL',
    runParams: {},
    params: {},
    steps: {},
    timers: {},
    createdAtMs: h.atMs,
    runs: [],
    seq: 0,
  };
}
