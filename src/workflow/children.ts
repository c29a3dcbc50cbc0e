/**
 * The node's side of parent/child instances (foreach and while iterations, subworkflow
 * children): how an actor's `launch` reaches the child and how notices and stops travel. Every
 * call goes over the transport to the child's (or parent's) owner, wherever it is, and is
 * idempotent there (see composite.ts for the protocol).
 *
 * A subworkflow child is an instance of another workflow: its version is resolved here
 * (active, latest, default or a number, as Maestro's subworkflow_version) and it is started
 * through that workflow's queue owner — its own numbering and run strategy, as in Maestro —
 * with the parent step's identity as request id, so a repeated launch after a crash finds the
 * same child. Loop iterations bypass run strategies (Maestro does the same).
 */
import { MaestroError, NotFoundError, PreconditionError, ValidationError } from '../core/errors.js';
import type { ChildLaunch } from '../core/instance/commands.js';
import { instanceKeyOf } from '../core/partition.js';
import type { Transport } from '../transport/port.js';
import type { ChildPort } from './instance-actor.js';
import type { ChildEndedMessage, StartMessage } from './messages.js';
import { parseSummaryReply, parseViewReply } from './reply-schemas.js';
import { queueKeyOf } from '../core/queue/model.js';
import type { QueueMessage } from './queue-messages.js';
import type { DefinitionRegistry } from './definitions.js';

export interface ChildDeps {
  transport: Transport;
  definitions: DefinitionRegistry;
  requestTimeoutMs: number;
}

export function childPort(d: ChildDeps): ChildPort {
  const ask = (to: string, msg: unknown) => d.transport.request(to, msg, { timeoutMs: d.requestTimeoutMs });
  /**
   * Whether this restart launch already re-ran the child (a launch repeated after the parent's
   * recovery): the child reports to this very parent run and attempt. It then goes on below
   * as a known child asked again, instead of a second restart.
   */
  const reRunFor = async (l: ChildLaunch): Promise<boolean> => {
    const key = instanceKeyOf(l.workflowId, l.instanceId!);
    const p = parseViewReply(key, await ask(key, { type: 'Get' })).parent;
    return p !== undefined && p.workflowId === l.parent.workflowId && p.instanceId === l.parent.instanceId && p.runId === l.parent.runId && p.stepId === l.parent.stepId && p.attempt === l.parent.attempt;
  };
  return {
    async launch(l: ChildLaunch) {
      if (l.kind === 'subworkflow') {
        const queue = queueKeyOf(l.workflowId);
        if (l.instanceId === undefined) {
          // A new child: numbered and run (or queued, or created STOPPED) by its workflow's queue.
          const version = typeof l.version === 'number' ? l.version : await resolveVersionSpec(d.definitions, l.workflowId, l.version);
          const msg: QueueMessage = { type: 'Enqueue', version, params: l.params, initiator: 'SUBWORKFLOW', parent: l.parent, depth: l.depth, correlationId: l.correlationId };
          if (l.instanceStepConcurrency !== undefined) msg.instanceStepConcurrency = l.instanceStepConcurrency;
          if (l.requestId !== undefined) msg.requestId = l.requestId.slice(0, 200);
          const view = parseViewReply(queue, await ask(queue, msg));
          return { instanceId: view.instanceId, runId: view.runId, version: view.version };
        }
        if (l.restart && !(await reRunFor(l))) {
          // The parent restarted: the same child runs again, through its queue.
          // On a restart path (restart-path.ts) it re-runs from the path's step, with the levels below.
          const msg: QueueMessage = { type: 'Restart', instanceId: l.instanceId, policy: l.restart, parent: l.parent };
          if (l.restartStepId !== undefined) msg.stepId = l.restartStepId;
          if (l.restartPath) msg.path = l.restartPath;
          const view = parseViewReply(queue, await ask(queue, msg));
          return { instanceId: view.instanceId, runId: view.runId, version: view.version };
        }
      }
      // A loop iteration (created or re-run here, bypassing run strategies as in Maestro), or
      // after a recovery a known subworkflow child asked again (it reports again if it ended).
      const instanceId = l.instanceId!;
      const msg: StartMessage = {
        type: 'Start',
        workflowId: l.workflowId,
        instanceId,
        version: typeof l.version === 'number' ? l.version : 1,
        params: l.params,
        initiator: l.kind === 'subworkflow' ? 'SUBWORKFLOW' : l.kind === 'foreach' ? 'FOREACH' : 'WHILE',
        parent: l.parent,
        depth: l.depth,
        correlationId: l.correlationId,
      };
      if (l.runId !== 1 || l.restart) msg.runId = l.runId;
      if (l.instanceStepConcurrency !== undefined) msg.instanceStepConcurrency = l.instanceStepConcurrency;
      if (l.source) msg.source = l.source;
      if (l.restart) msg.restart = l.restart;
      if (l.restartStepId !== undefined) msg.restartStepId = l.restartStepId;
      if (l.restartPath) msg.restartPath = l.restartPath;
      const key = instanceKeyOf(l.workflowId, instanceId);
      const view = parseSummaryReply(key, await ask(key, msg));
      return { instanceId, runId: view.runId, version: view.version };
    },
    async notify(parentKey: string, msg: ChildEndedMessage) {
      await d.transport.request(parentKey, msg, { timeoutMs: d.requestTimeoutMs });
    },
    async stop(workflowId: string, instanceIds: number[]) {
      const errors: unknown[] = [];
      await Promise.all(
        instanceIds.map(async (id) => {
          const key = instanceKeyOf(workflowId, id);
          try {
            await d.transport.request(key, { type: 'Action', action: 'stop' }, { timeoutMs: d.requestTimeoutMs });
          } catch (err) {
            if (err instanceof PreconditionError || err instanceof NotFoundError) return; // ended already
            errors.push(err);
          }
        }),
      );
      if (errors.length > 0) throw new MaestroError('unavailable', `${errors.length} of ${instanceIds.length} children of ${workflowId} not stopped: ${(errors[0] as Error).message}`, { retryable: true });
    },
    retryDelayMs: (attempt) => Math.min(5_000, 50 * 2 ** Math.min(attempt - 1, 10)),
  };
}

/** Maestro's subworkflow_version: `active`, `latest`, `default` (active, else latest) or an exact version. */
export async function resolveVersionSpec(defs: DefinitionRegistry, workflowId: string, spec: string): Promise<number> {
  const s = spec.trim().toLowerCase();
  if (s === 'active') return defs.resolveVersion(workflowId);
  if (s === 'latest' || s === 'default') {
    const h = await defs.header(workflowId);
    return s === 'default' && h.activeVersion > 0 ? h.activeVersion : h.latestVersion;
  }
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0) throw new ValidationError('subworkflow_version', `expected active, latest, default or a version number, got ${JSON.stringify(spec)}`);
  return defs.resolveVersion(workflowId, n);
}
