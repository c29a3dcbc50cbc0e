/** InstanceView.rawStatus / runs <-> proto Instance.raw_status / runs (core/instance/raw-status.ts). */
import { MaestroError } from '../core/errors.js';
import { WORKFLOW_STATUSES } from '../core/status.js';
import type { RawStatus, RunView } from '../core/instance/view.js';
import type * as pb from '../gen/maestro/v1/instance.js';
import { workflowStatuses } from './enums.js';

const RAW: ReadonlySet<string> = new Set<string>([...WORKFLOW_STATUSES, 'FAILED_1', 'FAILED_2']);

/** An empty string (an older server) is no raw status. */
export function rawStatusFromProto(s: string): RawStatus | undefined {
  if (s === '') return undefined;
  if (!RAW.has(s)) throw new MaestroError('internal', `server sent an unknown raw status ${JSON.stringify(s)}`);
  return s as RawStatus;
}

export function runsToProto(runs: RunView[] | undefined): pb.RunInfo[] {
  return (runs ?? []).map((r) => ({
    runId: r.runId,
    status: workflowStatuses.toProto(r.status),
    rawStatus: r.rawStatus,
    startedAt: r.startedAtMs === undefined ? undefined : new Date(r.startedAtMs),
    endedAt: r.endedAtMs === undefined ? undefined : new Date(r.endedAtMs),
  }));
}

export function runsFromProto(runs: pb.RunInfo[]): RunView[] {
  return runs.map((r) => {
    const status = workflowStatuses.fromProto(r.status);
    if (status === undefined) throw new MaestroError('internal', `server sent an unknown workflow status (${r.status}) for run ${r.runId}`);
    const v: RunView = { runId: r.runId, status, rawStatus: rawStatusFromProto(r.rawStatus) ?? status };
    if (r.startedAt) v.startedAtMs = r.startedAt.getTime();
    if (r.endedAt) v.endedAtMs = r.endedAt.getTime();
    return v;
  });
}
