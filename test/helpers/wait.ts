/**
 * Waits for an instance, or one of its steps, to reach a status by following its watch stream:
 * no polling, no sleeps. Works over the engine (EngineApi) and over gRPC (ControlClient).
 *
 * Race-free order: subscribe first, then read the instance (get), then follow the changes. A
 * change before the subscription is in the read; one after it is in the stream. The engine's
 * subscription is open once watchInstance resolves; a gRPC stream's once its first message (the
 * "snapshot") arrives, so the instance is read again then. A workflow that ends without the
 * target reached fails the wait at once (after a last read); so does a watch that fails. On
 * timeout the error names the target and the last statuses seen.
 */
import type { InstanceChange, InstanceView } from '../../src/core/instance/view.js';
import { isWorkflowTerminal, WORKFLOW_STATUSES, type WorkflowStatus } from '../../src/core/status.js';

/** What both EngineApi and ControlClient offer. */
export interface WatchSource {
  getInstance(workflowId: string, instanceId: number): Promise<InstanceView>;
  watchInstance(workflowId: string, instanceId: number, onChange: (c: InstanceChange) => void, onEnd?: (err?: Error) => void): Promise<() => void>;
}

export interface WaitTarget {
  /** Absent: the workflow status. */
  stepId?: string;
  /** One status, any of several, or 'terminal' (a terminal workflow status). */
  status: string | readonly string[] | 'terminal';
  /** Only this run counts (e.g. after a restart). */
  runId?: number;
}

export interface WaitOptions {
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 20_000;

const isTerminalWorkflow = (status: string): boolean =>
  (WORKFLOW_STATUSES as readonly string[]).includes(status) && isWorkflowTerminal(status as WorkflowStatus);

function describe(t: WaitTarget): string {
  const status = t.status === 'terminal' ? 'a terminal status' : [t.status].flat().join(' or ');
  return `${t.stepId === undefined ? 'the workflow' : `step ${t.stepId}`} to reach ${status}${t.runId === undefined ? '' : ` in run ${t.runId}`}`;
}

/** Resolves with the instance (read after the target was reached) once `target` is reached. */
export function waitFor(source: WatchSource, workflowId: string, instanceId: number, target: WaitTarget, opts: WaitOptions = {}): Promise<InstanceView> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const name = `${workflowId}/${instanceId}`;
  const wanted = (status: string): boolean => (target.status === 'terminal' ? isTerminalWorkflow(status) : [target.status].flat().includes(status));
  const runOk = (runId: number): boolean => target.runId === undefined || runId === target.runId;
  let lastWorkflow = '(nothing yet)';
  let lastStep = '(nothing yet)';
  const lastSeen = (): string => `last seen: workflow ${lastWorkflow}${target.stepId === undefined ? '' : `, step ${target.stepId} ${lastStep}`}`;

  return new Promise<InstanceView>((resolve, reject) => {
    let done = false;
    let unsubscribe: (() => void) | undefined;
    const finish = (err: Error | undefined, view?: InstanceView): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe?.();
      if (err) reject(err);
      else resolve(view!);
    };
    const fail = (err: unknown): void => finish(err instanceof Error ? err : new Error(String(err)));
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${name}: ${describe(target)}; ${lastSeen()}`)), timeoutMs);

    /** Reads the instance; resolves with it when it shows the target, fails when it ended without. */
    const check = (endedWithout: boolean): void => {
      source.getInstance(workflowId, instanceId).then((view) => {
        lastWorkflow = `${view.status} (run ${view.runId})`;
        const status = target.stepId === undefined ? view.status : view.steps.find((s) => s.stepId === target.stepId)?.status;
        if (status === undefined) return finish(new Error(`${name} has no step ${target.stepId}`));
        if (target.stepId !== undefined) lastStep = status;
        if (runOk(view.runId) && wanted(status)) return finish(undefined, view);
        if (endedWithout || (isTerminalWorkflow(view.status) && runOk(view.runId))) {
          finish(new Error(`${name} ended ${view.status} without ${describe(target)}; ${lastSeen()}`));
        }
      }, fail);
    };

    /** A change showed the target: it was reached, whatever the instance shows by the time it is read. */
    const reached = (): void => {
      source.getInstance(workflowId, instanceId).then((view) => finish(undefined, view), fail);
    };

    const onChange = (c: InstanceChange): void => {
      if (c.message === 'snapshot') check(false); // a gRPC stream is subscribed from here on
      const mine = c.stepId === target.stepId;
      if (c.stepId === undefined) lastWorkflow = `${c.status} (run ${c.runId})`;
      else if (mine) lastStep = c.status;
      if (mine && runOk(c.runId) && wanted(c.status)) reached();
      else if (c.stepId === undefined && isTerminalWorkflow(c.status) && runOk(c.runId)) check(true);
    };
    const onEnd = (err?: Error): void => {
      if (err) finish(err);
      else check(true); // a gRPC stream ends after a terminal workflow status
    };

    source.watchInstance(workflowId, instanceId, onChange, onEnd).then((off) => {
      if (done) return off();
      unsubscribe = off;
      check(false);
    }, fail);
  });
}

/** The instance once `stepId` reached `status` (one of several when a list). */
export function waitForStep(source: WatchSource, workflowId: string, instanceId: number, stepId: string, status: string | readonly string[], opts: WaitOptions & { runId?: number } = {}): Promise<InstanceView> {
  return waitFor(source, workflowId, instanceId, { stepId, status, runId: opts.runId }, opts);
}

/** The instance once its workflow status is terminal. */
export function waitForEnd(source: WatchSource, workflowId: string, instanceId: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<InstanceView> {
  return waitFor(source, workflowId, instanceId, { status: 'terminal' }, { timeoutMs });
}
