/**
 * The WatchInstance server stream.
 *
 * Invariants:
 * - The handler subscribes before it reads the instance, so no change between the read and the
 *   subscription is lost; changes arriving before the read completes are queued and sent after.
 * - The first message is a snapshot: the instance's current workflow status, message "snapshot".
 * - Nothing is sent after a workflow-level terminal status (SUCCEEDED, FAILED, STOPPED,
 *   TIMED_OUT): the stream ends OK right after it. A terminal snapshot ends the stream at once
 *   (queued step changes are already reflected in the instance).
 * - Every way out (terminal status, client cancel, server close, engine error) unsubscribes from
 *   the engine exactly once; an engine error ends the stream with the mapped status, a closing
 *   server with UNAVAILABLE, so a client can tell "finished" from "watch again".
 */
import type { handleServerStreamingCall } from '@grpc/grpc-js';
import { MaestroError } from '../core/errors.js';
import { isWorkflowTerminal } from '../core/status.js';
import type { InstanceChange, InstanceView } from '../core/instance/view.js';
import type { EngineApi } from '../workflow/engine-api.js';
import type * as pb from '../gen/maestro/v1/instance.js';
import { isWorkflowStatusName } from './enums.js';
import { toGrpcStatus } from './errors.js';
import { isInternal, requireInstanceId, requireString } from './handlers.js';
import type { Logger } from '../log/logger.js';
import { changeToProto } from './mapping.js';

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
  return { workflowId: view.workflowId, instanceId: view.instanceId, runId: view.runId, atMs, status: view.status, message: SNAPSHOT_MESSAGE };
}

export function watchHandler(api: EngineApi, registry: WatchRegistry, log: Logger): handleServerStreamingCall<pb.WatchInstanceRequest, pb.InstanceChange> {
  return (call) => {
    let state: 'subscribing' | 'live' | 'done' = 'subscribing';
    const queued: InstanceChange[] = [];
    let unsubscribe: (() => void) | undefined;

    const release = (): boolean => {
      if (state === 'done') return false;
      state = 'done';
      registry.delete(endWithError);
      unsubscribe?.();
      unsubscribe = undefined;
      return true;
    };
    const endOk = (): void => {
      if (release()) call.end();
    };
    function endWithError(err: unknown): void {
      if (isInternal(err)) log.error({ err, method: call.getPath() }, 'watch failed with an internal error');
      if (release()) call.emit('error', toGrpcStatus(err));
    }
    const send = (c: InstanceChange): void => {
      call.write(changeToProto(c));
      if (isTerminalWorkflowChange(c)) endOk();
    };

    registry.add(endWithError);
    call.on('cancelled', () => release());

    const run = async (): Promise<void> => {
      const workflowId = requireString(call.request.workflowId, 'workflow_id');
      const instanceId = requireInstanceId(call.request.instanceId);
      const unsub = await api.watchInstance(workflowId, instanceId, (c) => {
        if (state === 'subscribing') queued.push(c);
        else if (state === 'live') send(c);
      });
      if (state === 'done') {
        unsub();
        return;
      }
      unsubscribe = unsub;
      const view = await api.getInstance(workflowId, instanceId);
      if (state !== 'subscribing') return;
      state = 'live';
      send(snapshotOf(view, Date.now()));
      for (const c of queued.splice(0)) {
        if (state !== 'live') break;
        send(c);
      }
    };
    run().catch(endWithError);
  };
}
