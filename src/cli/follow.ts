/**
 * Follows an instance to its end, printing one line per status change: shared by `run`,
 * `start --wait` and `watch`, over the embedded engine or the gRPC client.
 *
 * Invariants: it subscribes before reading the instance, prints the statuses the read shows
 * (steps already past NOT_CREATED), then queued and live changes, skipping a line identical to
 * the last one printed for the same step (or the workflow). It ends at a terminal workflow
 * status seen in a change, in a read, or in a slow safety poll (a lost change can't hang it),
 * and rejects when the watch ends with an error. It always unsubscribes.
 */
import type { InstanceChange, InstanceView } from '../core/instance/view.js';
import { isWorkflowTerminal } from '../core/status.js';
import { isWorkflowStatusName } from '../control/enums.js';
import { progressLine } from './render.js';

const isTerminal = (status: string): boolean => isWorkflowStatusName(status) && isWorkflowTerminal(status);

export interface FollowSource {
  getInstance(workflowId: string, instanceId: number): Promise<InstanceView>;
  watchInstance(
    workflowId: string,
    instanceId: number,
    onChange: (c: InstanceChange) => void,
    onEnd?: (err?: Error) => void,
  ): Promise<() => void>;
}

export interface FollowOptions {
  /** Elapsed times count from here; default the instance's creation. */
  originMs?: number;
  pollMs?: number;
}

export async function follow(
  source: FollowSource,
  workflowId: string,
  instanceId: number,
  print: (line: string) => void,
  opts: FollowOptions = {},
): Promise<InstanceView> {
  const last = new Map<string, string>();
  let origin = opts.originMs;
  let live = false;
  const queued: InstanceChange[] = [];
  let finish!: () => void;
  let fail!: (err: Error) => void;
  const ended = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  ended.catch(() => {}); // a failure before we await it is still seen by the await below

  const show = (c: InstanceChange): void => {
    const key = c.stepId ?? '';
    const sig = `${c.status}#${c.attempt ?? 0}#${c.runId}`;
    if (last.get(key) !== sig) {
      last.set(key, sig);
      print(progressLine(c, origin ?? c.atMs));
    }
    if (c.stepId === undefined && isTerminal(c.status)) finish();
  };

  const unsubscribe = await source.watchInstance(
    workflowId,
    instanceId,
    (c) => (live ? show(c) : queued.push(c)),
    (err) => (err ? fail(err) : undefined),
  );
  let poll: NodeJS.Timeout | undefined;
  try {
    const view = await source.getInstance(workflowId, instanceId);
    origin ??= view.createdAtMs;
    const at = Date.now();
    const base = { workflowId, instanceId, runId: view.runId };
    // A finished instance reads as a story: started, its steps, its end.
    const opening = isTerminal(view.status) ? 'IN_PROGRESS' : view.status;
    show({ ...base, atMs: view.startedAtMs ?? view.createdAtMs, status: opening });
    for (const s of view.steps) {
      if (s.status === 'NOT_CREATED') continue;
      show({ ...base, stepId: s.stepId, attempt: s.attempts.length, atMs: s.endedAtMs ?? s.startedAtMs ?? at, status: s.status });
    }
    if (isTerminal(view.status)) show({ ...base, atMs: view.endedAtMs ?? at, status: view.status });
    live = true;
    for (const c of queued.splice(0)) show(c);
    poll = setInterval(() => {
      source.getInstance(workflowId, instanceId).then(
        (v) => (isTerminal(v.status) ? show({ ...base, runId: v.runId, atMs: v.endedAtMs ?? Date.now(), status: v.status }) : undefined),
        (err: unknown) => fail(err instanceof Error ? err : new Error(String(err))),
      );
    }, opts.pollMs ?? 2000);
    await ended;
  } finally {
    if (poll) clearInterval(poll);
    unsubscribe();
  }
  return source.getInstance(workflowId, instanceId);
}

