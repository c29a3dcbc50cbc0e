/**
 * The node's side of parent/child instances (foreach and while iterations, subworkflow
 * children): how an actor's `launch` reaches the child and how notices and stops travel. Every
 * call goes over the transport to the child's (or parent's) owner, wherever it is, and is
 * idempotent there (see composite.ts for the protocol).
 *
 * A subworkflow child is an instance of another workflow: its version is resolved here
 * (active, latest, default or a number, as Maestro's subworkflow_version) and its instance id
 * comes from that workflow's numbering with the parent step's request id as dedup key, so a
 * repeated launch after a crash finds the same child.
 */
import { MaestroError, NotFoundError, PreconditionError, ValidationError } from '../core/errors.js';
import type { ChildLaunch } from '../core/instance/commands.js';
import { instanceKeyOf } from '../core/partition.js';
import type { Transport } from '../transport/port.js';
import type { ChildPort } from './instance-actor.js';
import type { ChildEndedMessage, StartMessage } from './messages.js';
import { parseSummaryReply } from './reply-schemas.js';
import type { DefinitionRegistry } from './definitions.js';

export interface ChildDeps {
  transport: Transport;
  definitions: DefinitionRegistry;
  /** A new instance id of a workflow, or the one an earlier start with this request id got. */
  allocate(workflowId: string, requestId: string): Promise<number>;
  requestTimeoutMs: number;
}

export function childPort(d: ChildDeps): ChildPort {
  return {
    async launch(l: ChildLaunch) {
      let version: number;
      let instanceId = l.instanceId;
      if (l.kind === 'subworkflow') {
        version = typeof l.version === 'number' ? l.version : await resolveVersionSpec(d.definitions, l.workflowId, l.version);
        instanceId ??= await d.allocate(l.workflowId, l.requestId ?? '');
      } else {
        version = l.version as number;
      }
      if (instanceId === undefined) throw new ValidationError('instance_id', `a ${l.kind} launch needs one`);
      const msg: StartMessage = {
        type: 'Start',
        workflowId: l.workflowId,
        instanceId,
        version,
        params: l.params,
        initiator: l.kind === 'subworkflow' ? 'SUBWORKFLOW' : l.kind === 'foreach' ? 'FOREACH' : 'WHILE',
        parent: l.parent,
        depth: l.depth,
        correlationId: l.correlationId,
      };
      if (l.requestId !== undefined) msg.requestId = l.requestId.slice(0, 200);
      if (l.runId !== 1 || l.restart) msg.runId = l.runId;
      if (l.source) msg.source = l.source;
      if (l.restart) msg.restart = l.restart;
      const key = instanceKeyOf(l.workflowId, instanceId);
      const view = parseSummaryReply(key, await d.transport.request(key, msg, { timeoutMs: d.requestTimeoutMs }));
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
