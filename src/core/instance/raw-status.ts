/**
 * Maestro's raw instance status beside the shown one (maestro-semantics §5.2, §5.4, §13.7): an
 * unblocked FAILED run is raw FAILED_1, a FAILED run that was restarted is raw FAILED_2; both
 * still show FAILED, and only raw FAILED blocks a STRICT_SEQUENTIAL queue.
 *
 * Both are facts of the instance's own journal: the `unblocked` event (the queue owner's unblock,
 * one instance or workflow-wide, tells the instance first) sets `unblocked` on the run, and the
 * `restart` event moves the ended run into `runs` — every earlier run was restarted, so an
 * earlier FAILED run that was not unblocked is FAILED_2.
 */
import { PreconditionError } from '../errors.js';
import type { WorkflowStatus } from '../status.js';
import type { InstanceState, RunSummary } from './state.js';
import type { Transition } from './transition.js';
import type { RawStatus, RunView } from './view.js';

/** The `unblocked` event: the latest run, FAILED, no longer blocks its queue (raw FAILED_1). */
export function applyUnblocked(t: Transition): void {
  if (t.s.status !== 'FAILED') {
    throw new PreconditionError(`cannot unblock instance ${t.key}: it is ${t.s.status}; only a FAILED instance can be unblocked`);
  }
  t.s.unblocked = true;
}

/** The raw status of the latest run (its shown status, FAILED_1 once unblocked). */
export function rawStatusOf(s: Pick<InstanceState, 'status' | 'unblocked'>): RawStatus {
  return s.status === 'FAILED' && s.unblocked ? 'FAILED_1' : s.status;
}

/** The raw status of an earlier (restarted) run. */
function earlierRawStatus(r: RunSummary): RawStatus {
  if (r.status !== 'FAILED') return r.status;
  return r.unblocked ? 'FAILED_1' : 'FAILED_2';
}

/** Every run of the instance, oldest first, with its raw status (the latest one as it is now). */
export function runsView(s: InstanceState): RunView[] {
  const out: RunView[] = s.runs.map((r) => runView(r.runId, r.status, earlierRawStatus(r), r.startedAtMs, r.endedAtMs));
  out.push(runView(s.runId, s.runStatus ?? s.status, rawStatusOf(s), s.startedAtMs, s.endedAtMs));
  return out;
}

function runView(runId: number, status: WorkflowStatus, rawStatus: RawStatus, startedAtMs?: number, endedAtMs?: number): RunView {
  const v: RunView = { runId, status, rawStatus };
  if (startedAtMs !== undefined) v.startedAtMs = startedAtMs;
  if (endedAtMs !== undefined) v.endedAtMs = endedAtMs;
  return v;
}
