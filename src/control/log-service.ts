/**
 * maestro.v1.LogService (proto/maestro/v1/logs.proto): an attempt's stdout/stderr.
 *
 * - An ended attempt: the logs kept with it (its result's stdout/stderr), then `end`.
 * - A running attempt: the live tail this node holds (LiveLogs), then, with `follow`, every live
 *   chunk until the attempt ends (seen on the instance's watch). After that the stream waits up
 *   to `endGraceMs` for the publisher's end marker (chunks and the result travel separately),
 *   then ends. When no live text was seen at all (a silent attempt, a node that started later),
 *   the kept logs of the result are sent before `end`.
 * - `follow` on a step with no attempt yet (or not the asked one) waits for it; an instance that
 *   ends first ends the stream with `end` and no attempt.
 */
import type { ServerWritableStream } from '@grpc/grpc-js';
import { NotFoundError, PreconditionError, ValidationError } from '../core/errors.js';
import { isStepTerminal, isWorkflowTerminal } from '../core/status.js';
import type { AttemptView, InstanceView, StepView } from '../core/instance/view.js';
import { LogServiceService, type LogChunk, type LogServiceServer, type StreamStepLogsRequest } from '../gen/maestro/v1/logs.js';
import type { Logger } from '../log/logger.js';
import type { AttemptLogChunk } from '../protocol/executor.js';
import type { EngineApi } from '../workflow/engine-api.js';
import type { LiveLogs } from '../workflow/live-logs.js';
import { isInternal, requireInstanceId, requireString } from './handlers.js';
import { toGrpcStatus } from './errors.js';
import type { ServiceRegistration } from './server.js';

export const LOG_SERVICE = 'maestro.v1.LogService';
/** How long a follower waits for the end marker after the attempt ended. */
export const LOG_END_GRACE_MS = 2000;

export interface StepLogsRequest {
  workflowId: string;
  instanceId: number;
  stepId: string;
  /** 0: the latest. */
  attempt: number;
  follow: boolean;
}

export interface LogDeps {
  api: Pick<EngineApi, 'getInstance' | 'watchWithSnapshot'>;
  live: LiveLogs;
  endGraceMs?: number;
}

export function logServiceRegistration(deps: LogDeps, log: Logger): ServiceRegistration {
  return { name: LOG_SERVICE, definition: LogServiceService, implementation: logService(deps, log) };
}

export function logService(deps: LogDeps, log: Logger): LogServiceServer {
  return {
    streamStepLogs(call: ServerWritableStream<StreamStepLogsRequest, LogChunk>) {
      const cancel = new AbortController();
      call.on('cancelled', () => cancel.abort());
      let req: StepLogsRequest;
      try {
        req = stepLogsRequest(call.request);
      } catch (err) {
        call.emit('error', toGrpcStatus(err));
        return;
      }
      streamStepLogs(deps, req, (c) => void call.write(c), cancel.signal).then(
        () => call.end(),
        (err: unknown) => {
          if (isInternal(err)) log.error({ err, method: call.getPath() }, 'call failed with an internal error');
          call.emit('error', toGrpcStatus(err));
        },
      );
    },
  };
}

function stepLogsRequest(r: StreamStepLogsRequest): StepLogsRequest {
  if (!Number.isSafeInteger(r.attempt) || r.attempt < 0) throw new ValidationError('attempt', `must be 0 (the latest) or a positive attempt number, got ${r.attempt}`);
  return {
    workflowId: requireString(r.workflowId, 'workflow_id'),
    instanceId: requireInstanceId(r.instanceId),
    stepId: requireString(r.stepId, 'step_id'),
    attempt: r.attempt,
    follow: r.follow,
  };
}

type Send = (c: LogChunk) => void;

function chunk(a: AttemptView, fields: Partial<LogChunk>): LogChunk {
  return { attempt: a.attempt, attemptId: a.attemptId, stream: '', text: '', end: false, status: '', truncated: false, ...fields };
}

function stepOf(view: InstanceView, stepId: string): StepView {
  const step = view.steps.find((s) => s.stepId === stepId);
  if (step === undefined) throw new ValidationError('step_id', `instance ${view.workflowId}/${view.instanceId} has no step ${JSON.stringify(stepId)} in its run ${view.runId}`);
  return step;
}

/** The asked attempt, undefined while it does not exist yet. */
function attemptOf(step: StepView, attempt: number): AttemptView | undefined {
  if (attempt === 0) return step.attempts[step.attempts.length - 1];
  return step.attempts.find((a) => a.attempt === attempt);
}

function sendKept(a: AttemptView, send: Send): void {
  if (a.stdout) send(chunk(a, { stream: 'stdout', text: a.stdout }));
  if (a.stderr) send(chunk(a, { stream: 'stderr', text: a.stderr }));
}

/** Sends the attempt's logs (see the top comment); resolves when the stream should end. */
export async function streamStepLogs(deps: LogDeps, req: StepLogsRequest, send: Send, cancel: AbortSignal): Promise<void> {
  if (!req.follow) {
    const view = await deps.api.getInstance(req.workflowId, req.instanceId);
    const step = stepOf(view, req.stepId);
    const a = attemptOf(step, req.attempt);
    if (a === undefined) {
      if (req.attempt === 0) throw new PreconditionError(`step ${req.stepId} has no attempt yet (status ${step.status})`);
      throw new ValidationError('attempt', `step ${req.stepId} has no attempt ${req.attempt} (it has ${step.attempts.length})`);
    }
    if (isStepTerminal(a.status)) {
      sendKept(a, send);
      send(chunk(a, { end: true, status: a.status }));
      return;
    }
    const { snapshot, stop } = deps.live.follow(a.attemptId, () => {});
    stop();
    send(chunk(a, {}));
    for (const s of ['stdout', 'stderr'] as const) if (snapshot[s].text !== '') send(chunk(a, { stream: s, text: snapshot[s].text, truncated: snapshot[s].truncated }));
    return;
  }
  await follow(deps, req, send, cancel);
}

async function follow(deps: LogDeps, req: StepLogsRequest, send: Send, cancel: AbortSignal): Promise<void> {
  let notify: (() => void) | undefined;
  let changed = false;
  const poke = (): void => {
    const n = notify;
    notify = undefined;
    n?.();
  };
  const next = (): Promise<void> => new Promise((resolve) => ((notify = resolve), cancel.aborted && poke()));
  const watched = await deps.api.watchWithSnapshot(req.workflowId, req.instanceId, (c) => {
    if (c.stepId === undefined || c.stepId === req.stepId) {
      changed = true;
      poke();
    }
  });
  const onAbort = (): void => poke();
  cancel.addEventListener('abort', onAbort);
  let stopLive = (): void => {};
  let grace: NodeJS.Timeout | undefined;
  try {
    let view = watched.view;
    const refresh = async (): Promise<void> => {
      changed = false;
      view = await deps.api.getInstance(req.workflowId, req.instanceId);
    };
    let a = attemptOf(stepOf(view, req.stepId), req.attempt);
    while (a === undefined) {
      if (isWorkflowTerminal(view.status)) return send({ attempt: 0, attemptId: '', stream: '', text: '', end: true, status: '', truncated: false });
      if (!changed) await next();
      if (cancel.aborted) return;
      await refresh();
      a = attemptOf(stepOf(view, req.stepId), req.attempt);
    }
    send(chunk(a, {}));
    if (isStepTerminal(a.status)) {
      sendKept(a, send);
      return send(chunk(a, { end: true, status: a.status }));
    }
    const queue: AttemptLogChunk[] = [];
    const live = deps.live.follow(a.attemptId, (c) => {
      queue.push(c);
      poke();
    });
    stopLive = live.stop;
    let sawText = false;
    for (const s of ['stdout', 'stderr'] as const) {
      const t = live.snapshot[s];
      if (t.end > 0) sawText = true;
      if (t.text !== '') send(chunk(a, { stream: s, text: t.text, truncated: t.truncated }));
    }
    let liveEnded = live.snapshot.ended;
    let ended: AttemptView | undefined;
    let graceOver = false;
    for (;;) {
      for (const c of queue.splice(0)) {
        if (c.text !== '') {
          sawText = true;
          send(chunk(a, { stream: c.stream, text: c.text }));
        }
        if (c.end === true) liveEnded = true;
      }
      if (ended === undefined && changed) {
        await refresh();
        const now = attemptOf(stepOf(view, req.stepId), a.attempt);
        if (now === undefined || isStepTerminal(now.status) || isWorkflowTerminal(view.status)) {
          ended = now ?? a;
          if (!liveEnded) {
            grace = setTimeout(() => ((graceOver = true), poke()), deps.endGraceMs ?? LOG_END_GRACE_MS);
          }
        }
        continue; // drain what arrived meanwhile
      }
      if (ended !== undefined && (liveEnded || graceOver)) {
        if (!sawText) sendKept(ended, send);
        return send(chunk(a, { end: true, status: ended.status }));
      }
      if (cancel.aborted) return;
      if (queue.length === 0 && !changed) await next();
    }
  } catch (err) {
    if (err instanceof NotFoundError && cancel.aborted) return;
    throw err;
  } finally {
    clearTimeout(grace);
    stopLive();
    watched.stop();
    cancel.removeEventListener('abort', onAbort);
  }
}
