/**
 * Watchers learn when a foreach/while/subworkflow step's rollup moves. A child's end (a
 * `child-ended` event) changes the parent step's counts and rollup but usually not its status,
 * so the machine emits no change for it; without one, a watcher (the web UI's instance page)
 * would show a running loop's counts stale until the step's status changes. After a batch
 * applied while watched, each composite step that took a child's end and got no change in that
 * batch gets one: its current status again (watchers that dedupe by status, like the CLI's
 * follow, print nothing new). One per step per batch, so a busy loop costs at most one change
 * per batch, and nothing while nobody watches. Not journaled: an effect, like every change.
 */
import type { InstanceCommand } from '../core/instance/commands.js';
import type { InstanceEvent } from '../core/instance/events.js';
import type { InstanceState } from '../core/instance/state.js';

/** The step ids whose child ended in `ev` (added to `into`). */
export function noteProgress(into: Set<string> | undefined, ev: InstanceEvent): Set<string> | undefined {
  if (ev.t !== 'child-ended') return into;
  return (into ?? new Set()).add(ev.stepId);
}

/** Appends a `changed` command for each of `steps` that `commands` holds no change for. */
export function progressChanges(steps: Set<string> | undefined, state: InstanceState | undefined, atMs: number, commands: InstanceCommand[]): void {
  if (steps === undefined || state === undefined) return;
  for (const c of commands) if (c.c === 'changed' && c.change.stepId !== undefined) steps.delete(c.change.stepId);
  for (const stepId of steps) {
    const st = state.steps[stepId];
    if (st === undefined) continue;
    const attempt = st.attempts[st.attempts.length - 1]?.attempt;
    commands.push({ c: 'changed', change: { workflowId: state.workflowId, instanceId: state.instanceId, runId: state.runId, atMs, stepId, attempt, status: st.status, seq: state.seq } });
  }
}
