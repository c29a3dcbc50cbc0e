/**
 * The WatchInstance server stream.
 *
 * Also StartAndWatch (start, then the same stream) and a watch by a start's request id.
 *
 * Invariants:
 * - The handler subscribes before it reads the instance (the actor answers the subscription's
 *   Watch with its view), so no change between the read and the subscription is lost; changes
 *   arriving before the read completes are queued and sent after.
 * - The first message is a snapshot: the whole instance (`snapshot`, steps included), its
 *   workflow status as `status`, message "snapshot", and its journal position as `seq`.
 * - No change older than the snapshot follows it: a change whose `seq` is at or below the
 *   snapshot's is already in it and is dropped.
 * - Nothing is sent after a workflow-level terminal status (SUCCEEDED, FAILED, STOPPED,
 *   TIMED_OUT): the stream ends OK right after it. A terminal snapshot ends the stream at once
 *   (queued step changes are already reflected in the instance).
 * - Every way out (terminal status, client cancel, server close, engine error) unsubscribes from
 *   the engine exactly once; an engine error ends the stream with the mapped status, a closing
 *   server with UNAVAILABLE, so a client can tell "finished" from "watch again".
 */
import type { handleServerStreamingCall, ServerWritableStream } from '@grpc/grpc-js';
import { MaestroError, ValidationError } from '../core/errors.js';
import { isWorkflowTerminal } from '../core/status.js';
import type { InstanceChange, InstanceView } from '../core/instance/view.js';
import type { EngineApi } from '../workflow/engine-api.js';
import type * as pb from '../gen/maestro/v1/instance.js';
import { isWorkflowStatusName } from './enums.js';
import { toGrpcStatus } from './errors.js';
import { isInternal, requireInstanceId, requireString } from './handlers.js';
import type { Logger } from '../log/logger.js';
import { changeToProto, instanceToProto, type WatchedChange } from './mapping.js';

export const SNAPSHOT_MESSAGE = 'snapshot';

/** Open watch streams, so that a closing server can end them instead of waiting on them. */
export class WatchRegistry {
  private readonly open = new Set<(err: unknown) => void>();
  add(end: (err: unknown) => void): void {
    this.open.add(end);
  }
  delete(end: (err: unknown) => void): void {
    this.open.delete(end);
  }
  get size(): number {
    return this.open.size;
  }
  /** Ends every open stream with UNAVAILABLE (retryable): the client should watch again elsewhere. */
  endAll(reason = 'server is shutting down; watch again'): void {
    const err = new MaestroError('unavailable', reason);
    for (const end of [...this.open]) end(err);
  }
}

export function isTerminalWorkflowChange(c: InstanceChange): boolean {
  return c.stepId === undefined && isWorkflowStatusName(c.status) && isWorkflowTerminal(c.status);
}

export function snapshotOf(view: InstanceView, atMs: number): InstanceChange {
  const c: InstanceChange = { workflowId: view.workflowId, instanceId: view.instanceId, runId: view.runId, atMs, status: view.status, message: SNAPSHOT_MESSAGE };
  if (view.seq !== undefined) c.seq = view.seq;
  return c;
}

/** Which instance a stream watches: resolved once the stream is registered (a start, a request id lookup). */
export type WatchTarget = () => Promise<{ workflowId: string; instanceId: number }>;

/** WatchInstance: by instance_id, or by request_id (NOT_FOUND until a start with it exists). */
export function watchInstanceHandler(api: EngineApi, registry: WatchRegistry, log: Logger): handleServerStreamingCall<pb.WatchInstanceRequest, pb.InstanceChange> {
  return (call) => {
    const req = call.request;
    watchStream(call, api, registry, log, async () => {
      const workflowId = requireString(req.workflowId, 'workflow_id');
      if (req.requestId !== '') {
        if (req.instanceId !== 0) throw new ValidationError('instance_id', 'give instance_id or request_id, not both');
        return { workflowId, instanceId: await api.findInstanceByRequestId(workflowId, req.requestId) };
      }
      return { workflowId, instanceId: requireInstanceId(req.instanceId) };
    });
  };
}

/** Where a watch delivers: `change` in order (the snapshot first, with the view), then `end` once. */
export interface WatchSink {
  change(c: InstanceChange, snapshot?: InstanceView): void;
  /** Called once: no error after a terminal workflow status or a close(); else the error. */
  end(err?: unknown): void;
}

/**
 * Watches one instance (see the invariants above) into `sink`; transport-agnostic, so the gRPC
 * streams and the CLI's embedded `run` share it. `target` runs first (a start, a request id
 * lookup). Returns close(err?): ends the watch (unsubscribing) and tells the sink, unless it ended.
 */
export function openWatch(api: EngineApi, target: WatchTarget, sink: WatchSink): (err?: unknown) => void {
  let state: 'subscribing' | 'live' | 'done' = 'subscribing';
  const queued: InstanceChange[] = [];
  let unsubscribe: (() => void) | undefined;
  let snapshotSeq = 0;
  const ended = (): boolean => state === 'done';

  const close = (err?: unknown): void => {
    if (state === 'done') return;
    state = 'done';
    unsubscribe?.();
    unsubscribe = undefined;
    sink.end(err);
  };
  const send = (c: InstanceChange, snapshot?: InstanceView): void => {
    if (snapshot === undefined && c.seq !== undefined && c.seq <= snapshotSeq) return; // already in the snapshot
    sink.change(c, snapshot);
    if (isTerminalWorkflowChange(c)) close();
  };

  const run = async (): Promise<void> => {
    const { workflowId, instanceId } = await target();
    if (ended()) return;
    const { view, stop } = await api.watchWithSnapshot(workflowId, instanceId, (c) => {
      if (state === 'subscribing') queued.push(c);
      else if (state === 'live') send(c);
    });
    if (ended()) {
      stop();
      return;
    }
    unsubscribe = stop;
    state = 'live';
    snapshotSeq = view.seq ?? 0;
    send(snapshotOf(view, Date.now()), view);
    for (const c of queued.splice(0)) {
      if (state !== 'live') break;
      send(c);
    }
  };
  run().catch(close);
  return close;
}

/** openWatch as an async iterator of changes (the first carries `snapshot`); breaking out closes it. */
export async function* watchChanges(api: EngineApi, target: WatchTarget): AsyncGenerator<WatchedChange, void, undefined> {
  const buffer: WatchedChange[] = [];
  let done = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const close = openWatch(api, target, {
    change(c, snapshot) {
      buffer.push(snapshot ? { ...c, snapshot } : c);
      wake?.();
    },
    end(err) {
      done = true;
      failure = err;
      wake?.();
    },
  });
  try {
    for (;;) {
      const next = buffer.shift();
      if (next) {
        yield next;
        continue;
      }
      if (done) {
        if (failure !== undefined) throw failure;
        return;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    close();
  }
}

/** A watch as a gRPC server stream: ends OK after a terminal status, with the mapped error otherwise; a closing server ends it UNAVAILABLE. */
export function watchStream(
  call: ServerWritableStream<unknown, pb.InstanceChange>,
  api: EngineApi,
  registry: WatchRegistry,
  log: Logger,
  target: WatchTarget,
): void {
  let cancelled = false;
  const close = openWatch(api, target, {
    change(c, snapshot) {
      const msg = changeToProto(c);
      if (snapshot) msg.snapshot = instanceToProto(snapshot);
      call.write(msg);
    },
    end(err) {
      registry.delete(close);
      if (cancelled) return;
      if (err === undefined) {
        call.end();
        return;
      }
      if (isInternal(err)) log.error({ err, method: call.getPath() }, 'watch failed with an internal error');
      call.emit('error', toGrpcStatus(err));
    },
  });
  registry.add(close);
  call.on('cancelled', () => {
    cancelled = true;
    close();
  });
}
