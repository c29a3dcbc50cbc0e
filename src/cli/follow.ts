/**
 * Follows an instance to its end, printing one line per status change. `followChanges` prints a
 * snapshot-first stream (`run`, `start --watch`, `watch`); `follow` subscribes and reads itself
 * (`restart --wait`, and callers with only a FollowSource).
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
import { MaestroError } from '../core/errors.js';
import type { WatchedChange } from '../control/mapping.js';

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

  const clock = monotonic();
  const show = (c: InstanceChange): void => {
    const key = c.stepId ?? '';
    const sig = `${c.status}#${c.attempt ?? 0}#${c.runId}`;
    if (last.get(key) !== sig) {
      last.set(key, sig);
      print(progressLine(clock(c), origin ?? c.atMs));
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
    const base = { workflowId, instanceId, runId: view.runId };
    for (const c of storyOf(view, Date.now())) show(c);
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

/** What a view shows as changes: started, each step past NOT_CREATED, and its end when finished. */
function storyOf(view: InstanceView, at: number): InstanceChange[] {
  const base = { workflowId: view.workflowId, instanceId: view.instanceId, runId: view.runId };
  // A finished instance reads as a story: started, its steps, its end.
  const opening = isTerminal(view.status) ? 'IN_PROGRESS' : view.status;
  const out: InstanceChange[] = [{ ...base, atMs: view.startedAtMs ?? view.createdAtMs, status: opening }];
  for (const s of view.steps) {
    if (s.status === 'NOT_CREATED') continue;
    out.push({ ...base, stepId: s.stepId, attempt: s.attempts.length, atMs: s.endedAtMs ?? s.startedAtMs ?? at, status: s.status });
  }
  if (isTerminal(view.status)) out.push({ ...base, atMs: view.endedAtMs ?? at, status: view.status });
  // In time order (steps are listed in definition order; the sort is stable for equal times).
  return out.sort((a, b) => a.atMs - b.atMs);
}

/**
 * The times printed never go backwards: a change's time comes from the clock of the process that
 * made it (the owner node, an executor or worker on another host), and lines print in the order
 * the changes arrive. A change stamped before the last line printed is shown at that line's time.
 */
export function monotonic(): (c: InstanceChange) => InstanceChange {
  let latest = -Infinity;
  return (c) => {
    if (c.atMs >= latest) {
      latest = c.atMs;
      return c;
    }
    return { ...c, atMs: latest };
  };
}

export interface FollowChangesOptions {
  originMs?: number;
  /** Called with the snapshot (the stream's first change) before anything is printed. */
  onSnapshot?: (view: InstanceView) => void;
}

/**
 * Prints a snapshot-first change stream (WatchInstance / StartAndWatch, or `watchChanges` over an
 * engine): the snapshot as its story, then a line per change, skipping a line identical to the
 * last one printed for the same step (or the workflow). The stream ends after the terminal
 * status (it rejects with the stream's error). Returns the final instance, read with `get`.
 */
export async function followChanges(
  changes: AsyncIterable<WatchedChange>,
  get: (workflowId: string, instanceId: number) => Promise<InstanceView>,
  print: (line: string) => void,
  opts: FollowChangesOptions = {},
): Promise<InstanceView> {
  const last = new Map<string, string>();
  let origin = opts.originMs;
  let snapshot: InstanceView | undefined;
  const clock = monotonic();
  const show = (c: InstanceChange): void => {
    const key = c.stepId ?? '';
    const sig = `${c.status}#${c.attempt ?? 0}#${c.runId}`;
    if (last.get(key) === sig) return;
    last.set(key, sig);
    print(progressLine(clock(c), origin ?? c.atMs));
  };
  for await (const c of changes) {
    if (c.snapshot) {
      snapshot = c.snapshot;
      origin ??= snapshot.createdAtMs;
      opts.onSnapshot?.(snapshot);
      for (const s of storyOf(snapshot, c.atMs)) show(s);
    } else {
      show(c);
    }
  }
  if (!snapshot) throw new MaestroError('internal', 'the watch ended before its snapshot');
  return get(snapshot.workflowId, snapshot.instanceId);
}

