/**
 * Attempts of an instance that wait for a worker: dispatched to a step type that workers
 * registered (worker-types.ts) while no worker of it is connected anywhere. Such an attempt does
 * not fail: it stays running, and its owner dispatches it again when a worker of the type
 * registers (TOPIC_WORKER_TYPE) and, in case that announcement was lost, every 10 s (the sweep).
 *
 * Not journaled: the note is a fact about the cluster now, not about the instance. It is merged
 * into the views this owner answers with (the attempt's `details.waitingFor`), and gone after a
 * move until the new owner's dispatch finds no worker again.
 */
import type { InstanceView } from '../core/instance/view.js';

export class WorkerWaits {
  /** attemptId -> step type. */
  private readonly waits = new Map<string, string>();

  get size(): number {
    return this.waits.size;
  }

  add(attemptId: string, stepType: string): void {
    this.waits.set(attemptId, stepType);
  }

  has(attemptId: string): boolean {
    return this.waits.has(attemptId);
  }

  delete(attemptId: string): void {
    this.waits.delete(attemptId);
  }

  /** Attempts waiting for a worker of `type` (lower-case), forgetting those not in `running`. */
  of(type: string, running: ReadonlySet<string>): string[] {
    const out: string[] = [];
    for (const [id, t] of this.waits) {
      if (!running.has(id)) this.waits.delete(id);
      else if (t.toLowerCase() === type) out.push(id);
    }
    return out;
  }

  /** `view` with each waiting attempt's note (the view is the caller's own copy). */
  annotate(view: InstanceView): InstanceView {
    if (this.waits.size === 0) return view;
    for (const step of view.steps) {
      for (const a of step.attempts) {
        const type = this.waits.get(a.attemptId);
        if (type === undefined || a.endedAtMs !== undefined) continue;
        a.details = { ...a.details, waitingFor: waitingNote(type) };
      }
    }
    return view;
  }
}

export function waitingNote(stepType: string): string {
  return `waiting for a worker of type ${stepType} (none connected)`;
}
