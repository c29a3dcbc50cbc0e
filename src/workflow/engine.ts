/**
 * The engine's public face (EngineApi), the same on an embedded node and a cluster node.
 * Definitions live in the KvStore; every instance call travels over the transport to the
 * instance's actor, wherever its partition is hosted, so any node can answer any call.
 */
import { MaestroError, PreconditionError, ValidationError } from '../core/errors.js';
import type { Breakpoints } from './breakpoints.js';
import { completeRequest, listExpressions, parseWorkflowInput, runtimeWarnings, validateForRuntime } from '../core/definition/index.js';
import type { ExpressionEngine } from '../core/expr-port.js';
import type { WorkflowCreateInput, WorkflowCreateRequest } from '../core/definition/model.js';
import { instanceKeyOf } from '../core/partition.js';
import type { InstanceChange, InstanceSummary, InstanceView } from '../core/instance/view.js';
import type { KvStore } from '../store/port.js';
import type { Transport } from '../transport/port.js';
import type { DefinitionRegistry } from './definitions.js';
import type {
  Breakpoint,
  PausedAttempt,
  StepActionKind,
  DefinitionFormat,
  EngineApi,
  ListInstancesRequest,
  RestartPolicy,
  StartRequest,
  WorkflowSummary,
  WorkflowVersionInfo,
  TagPermit,
} from './engine-api.js';
import { WATCH_RENEW_MS, instanceTopic, type InstanceMessage } from './messages.js';
import { parseViewReply } from './reply-schemas.js';
import { bypassesQueue, queueKeyOf } from '../core/queue/model.js';
import { isInlineWorkflowId } from '../core/instance/inline.js';
import { isChildView, restartThroughIterations } from './restart-path.js';
import { isWorkflowTerminal } from '../core/status.js';
import { PERMITS_KEY, checkPermitTag } from '../core/permits/model.js';
import { tagPermitInfoReply, tagPermitsReply, type PermitMessage } from './permit-messages.js';
import { foundRequestReply, queueInfoReply, terminateReply, unblockReply, type QueueInfoReply, type QueueMessage, type TerminateReply } from './queue-messages.js';
import { moduleLogger, type Logger } from '../log/logger.js';
import { checkSignalName, normalizeSignalRequest } from '../core/signals/encode.js';
import { signalKeyOf, signalTriggerKeyOf, type AnnounceReply, type ListSignalsReply, type SignalInstance, type SignalRequest, type SignalStoreMessage } from '../core/signals/model.js';
import { announceReply, LIST_SIGNALS_MAX, listSignalsReply, signalInstanceReply } from './signal-messages.js';
import { hasActiveSignalTriggers } from './signal-trigger-service.js';
import { signalTriggersReply, type SignalTriggerMessage, type SignalTriggersReply } from './signal-trigger-messages.js';
import { isRetryable } from '../retry/index.js';
import { activeHasTimeTriggers, syncAllTimeTriggers, syncTimeTriggers, syncTimeTriggersLogged, timeTriggerInfo } from './time-trigger-sync.js';
import type { TimeTriggerSyncReply, TimeTriggersReply } from './time-trigger-messages.js';

/** Where list-instances looks: the local partition hosts, or every node of a cluster. */
export interface InstanceIndex {
  list(filter: { workflowId?: string; status?: string }): Promise<InstanceSummary[]>;
}

export interface EngineDeps {
  definitions: DefinitionRegistry;
  kv: KvStore;
  transport: Transport;
  index: InstanceIndex;
  /** Compiles every expression of a definition at create/validate time. */
  expressions: ExpressionEngine;
  /** Step types some executor can run (lower-case); used by validate (dry run). */
  hasRuntime(stepType: string): boolean;
  /**
   * Re-reads the step types registered elsewhere (workers, worker-types.ts): a definition naming
   * a type unknown here is checked again after it, so a push right after a worker registered
   * with another node is accepted.
   */
  refreshRuntimes?(): Promise<void>;
  requestTimeoutMs: number;
  log?: Logger;
  /** Breakpoints (KV-backed); without them the breakpoint calls are refused. */
  breakpoints?: Breakpoints;
}

const MAX_PAGE = 1000;

export class Engine implements EngineApi {
  private readonly log: Logger;

  constructor(private readonly d: EngineDeps) {
    this.log = moduleLogger(d.log, 'engine');
  }

  /** The request as the next version would store it (properties merged over the latest version's). */
  async validateWorkflow(text: string, format?: DefinitionFormat): Promise<WorkflowCreateRequest> {
    return this.checkRequest(parseWorkflowInput(text, format));
  }

  private async checkRequest(input: WorkflowCreateInput): Promise<WorkflowCreateRequest> {
    const req = completeRequest(input, await this.d.definitions.latestProperties(input.workflow.id));
    const known = (type: string) => this.d.hasRuntime(type.toLowerCase()) || MAESTRO_TYPES_WITHOUT_RUNTIME_HERE.has(type.toLowerCase());
    try {
      validateForRuntime(req, known);
    } catch (err) {
      if (!(err instanceof ValidationError) || this.d.refreshRuntimes === undefined) throw err;
      await this.d.refreshRuntimes();
      validateForRuntime(req, known);
    }
    for (const site of listExpressions(req)) {
      try {
        this.d.expressions.compile(site.source);
      } catch (err) {
        throw new ValidationError(site.path, `invalid SEL expression: ${(err as Error).message}`, { cause: err });
      }
    }
    return req;
  }

  /**
   * A new version. A change of run strategy is first put to the workflow's queue owner, which
   * refuses it where Maestro does (FAILED_PRECONDITION); after the version is stored the owner
   * is told (it dequeues under the new strategy).
   */
  /** What a valid definition will still fail at when it runs here (no runtime for a step type, nested templates). */
  runtimeWarnings(def: WorkflowCreateRequest): string[] {
    return runtimeWarnings(def, (type) => this.d.hasRuntime(type.toLowerCase()));
  }

  async createWorkflow(text: string, format?: DefinitionFormat): Promise<WorkflowVersionInfo> {
    const input = parseWorkflowInput(text, format);
    const req = await this.checkRequest(input);
    const id = input.workflow.id;
    const before = (await this.d.definitions.latestProperties(id))?.runStrategy;
    const next = req.properties.runStrategy;
    const changed = before !== undefined && (before.rule !== next.rule || before.workflowConcurrency !== next.workflowConcurrency);
    if (changed) await this.askQueue(id, { type: 'Strategy', runStrategy: next, check: true });
    const hadSignalTriggers = await hasActiveSignalTriggers(this.d.definitions, id);
    const hadTimeTriggers = await activeHasTimeTriggers(this.d.definitions, id);
    const info = await this.d.definitions.create(input);
    if (hadSignalTriggers || (info.isActive && req.workflow.signalTriggers.length > 0)) await this.syncSignalTriggers(id);
    if (hadTimeTriggers || (info.isActive && req.workflow.timeTriggers.length > 0)) await this.afterTimeTriggerChange(id);
    if (changed) {
      this.askQueue(id, { type: 'Strategy', runStrategy: next }).catch((err: unknown) =>
        this.log.warn({ err, workflowId: id }, 'queue owner not told of the new run strategy; the next start carries it'),
      );
    }
    return info;
  }

  getWorkflow(workflowId: string, version?: number): Promise<WorkflowVersionInfo> {
    return this.d.definitions.get(workflowId, version);
  }

  listWorkflows(): Promise<WorkflowSummary[]> {
    return this.d.definitions.list();
  }

  async activateWorkflow(workflowId: string, version: number): Promise<WorkflowVersionInfo> {
    const hadSignalTriggers = await hasActiveSignalTriggers(this.d.definitions, workflowId);
    const hadTimeTriggers = await activeHasTimeTriggers(this.d.definitions, workflowId);
    const info = await this.d.definitions.activate(workflowId, version);
    if (hadSignalTriggers || info.definition.workflow.signalTriggers.length > 0) await this.syncSignalTriggers(workflowId);
    if (hadTimeTriggers || info.definition.workflow.timeTriggers.length > 0) await this.afterTimeTriggerChange(workflowId);
    return info;
  }

  async deactivateWorkflow(workflowId: string): Promise<number> {
    const hadSignalTriggers = await hasActiveSignalTriggers(this.d.definitions, workflowId);
    const hadTimeTriggers = await activeHasTimeTriggers(this.d.definitions, workflowId);
    const was = await this.d.definitions.deactivate(workflowId);
    if (hadSignalTriggers) await this.syncSignalTriggers(workflowId);
    if (hadTimeTriggers) await this.afterTimeTriggerChange(workflowId);
    return was;
  }

  async deleteWorkflow(workflowId: string): Promise<void> {
    const hadSignalTriggers = await hasActiveSignalTriggers(this.d.definitions, workflowId);
    const hadTimeTriggers = await activeHasTimeTriggers(this.d.definitions, workflowId);
    await this.d.definitions.delete(workflowId);
    if (hadSignalTriggers) await this.syncSignalTriggers(workflowId);
    if (hadTimeTriggers) await this.afterTimeTriggerChange(workflowId);
  }

  /** After a KV write that may change a workflow's time triggers (time-trigger-sync.ts); failures are logged. */
  private afterTimeTriggerChange(workflowId: string): Promise<void> {
    return syncTimeTriggersLogged(this.d.transport, workflowId, this.d.requestTimeoutMs, this.log);
  }

  /** NOT_FOUND for a workflow that does not exist (or was deleted): no trigger actor is created for it. */
  async getTimeTriggers(workflowId: string, upcoming?: number): Promise<TimeTriggersReply> {
    if (!workflowId) throw new ValidationError('workflow_id', 'is required');
    await this.d.definitions.header(workflowId);
    return timeTriggerInfo(this.d.transport, workflowId, upcoming, this.d.requestTimeoutMs);
  }

  /** At node start: Sync every workflow whose active version has time triggers (failures logged); how many. */
  syncAllTimeTriggers(): Promise<number> {
    return syncAllTimeTriggers(this.d.definitions, this.d.transport, this.d.requestTimeoutMs, this.log);
  }

  async syncTimeTriggers(workflowId: string): Promise<TimeTriggerSyncReply> {
    if (!workflowId) throw new ValidationError('workflow_id', 'is required');
    await this.d.definitions.header(workflowId);
    return syncTimeTriggers(this.d.transport, workflowId, this.d.requestTimeoutMs);
  }

  /**
   * Through the workflow's queue owner: it numbers the instance (latest + 1), dedups by request
   * id and applies the run strategy; the view says CREATED (queued), IN_PROGRESS or STOPPED.
   */
  async startWorkflow(req: StartRequest): Promise<InstanceView> {
    if (!req.workflowId) throw new ValidationError('workflow_id', 'is required');
    const { version, runStrategy } = await this.d.definitions.resolveStart(req.workflowId, req.version);
    const msg: QueueMessage = { type: 'Enqueue', version, params: req.params ?? {}, runStrategy };
    if (req.requestId) msg.requestId = req.requestId;
    return parseViewReply(queueKeyOf(req.workflowId), await this.askQueue(req.workflowId, msg));
  }

  getInstance(workflowId: string, instanceId: number): Promise<InstanceView> {
    return this.call(workflowId, instanceId, { type: 'Get' });
  }

  async listInstances(req: ListInstancesRequest): Promise<{ instances: InstanceSummary[]; nextPageToken: string }> {
    const all = await this.d.index.list({ workflowId: req.workflowId, status: req.status });
    all.sort((a, b) => (a.workflowId === b.workflowId ? b.instanceId - a.instanceId : a.workflowId < b.workflowId ? -1 : 1));
    const size = Math.min(Math.max(req.pageSize ?? 100, 1), MAX_PAGE);
    const offset = req.pageToken ? Number.parseInt(req.pageToken, 10) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw new ValidationError('page_token', 'is not a token this server issued');
    const page = all.slice(offset, offset + size);
    return { instances: page, nextPageToken: offset + size < all.length ? String(offset + size) : '' };
  }

  /**
   * Subscribes to the instance's changes and tells its actor someone watches (renewed every
   * WATCH_RENEW_MS, so after a partition move the new owner publishes within that time).
   */
  async watchInstance(workflowId: string, instanceId: number, onChange: (c: InstanceChange) => void): Promise<() => void> {
    return (await this.watchWithSnapshot(workflowId, instanceId, onChange)).stop;
  }

  /**
   * watchInstance, also answering the view the actor had when it took the watch: every change
   * with a `seq` above `view.seq` is newer than it; those at or below may arrive too (published
   * before the reply) and are already in it.
   */
  async watchWithSnapshot(workflowId: string, instanceId: number, onChange: (c: InstanceChange) => void): Promise<{ view: InstanceView; stop: () => void }> {
    const sub = this.d.transport.subscribe(instanceTopic(instanceKeyOf(workflowId, instanceId)), (body) => onChange(body as InstanceChange));
    let view: InstanceView;
    try {
      view = await this.call(workflowId, instanceId, { type: 'Watch' });
    } catch (err) {
      await sub.close();
      throw err;
    }
    const fields = { workflowId, instanceId };
    const renew = setInterval(() => {
      this.call(workflowId, instanceId, { type: 'Watch' }).catch((err: unknown) => {
        // The owner moving is expected; the next renewal reaches the new one.
        if (isRetryable(err)) this.log.debug({ ...fields, err }, 'watch renewal failed; the next one retries');
        else this.log.warn({ ...fields, err }, 'watch renewal refused');
      });
    }, WATCH_RENEW_MS);
    renew.unref();
    const stop = (): void => {
      clearInterval(renew);
      sub.close().catch((err: unknown) => this.log.warn({ ...fields, err }, 'closing a watch subscription failed'));
    };
    return { view, stop };
  }

  stop(workflowId: string, instanceId: number): Promise<InstanceView> {
    return this.call(workflowId, instanceId, { type: 'Action', action: 'stop' });
  }

  kill(workflowId: string, instanceId: number): Promise<InstanceView> {
    return this.call(workflowId, instanceId, { type: 'Action', action: 'kill' });
  }

  /**
   * Through the queue owner (a new run obeys the run strategy); inline loop iterations directly.
   * `stepId`: restart from that step (RESTART_FROM_SPECIFIC; `policy` must be it or absent).
   */
  async restart(workflowId: string, instanceId: number, policy?: RestartPolicy, stepId?: string): Promise<InstanceView> {
    if (stepId !== undefined && policy !== undefined && policy !== 'RESTART_FROM_SPECIFIC') {
      throw new ValidationError('restart_policy', `a restart from step ${stepId} is RESTART_FROM_SPECIFIC, not ${policy}`);
    }
    if (stepId === undefined && policy === 'RESTART_FROM_SPECIFIC') throw new ValidationError('restart_step_id', 'is required with RESTART_FROM_SPECIFIC');
    const p: RestartPolicy = policy ?? (stepId === undefined ? 'RESTART_FROM_INCOMPLETE' : 'RESTART_FROM_SPECIFIC');
    if (isInlineWorkflowId(workflowId)) return this.restartThroughParents(workflowId, instanceId, p, stepId);
    // A subworkflow child is not restarted alone: the restart walks up its ended parents (restart-path.ts).
    if (isChildView(await this.getInstance(workflowId, instanceId))) return this.restartThroughParents(workflowId, instanceId, p, stepId);
    if (bypassesQueue(workflowId)) {
      const msg: InstanceMessage = { type: 'Action', action: 'restart', policy: p };
      if (stepId !== undefined) msg.stepId = stepId;
      return this.call(workflowId, instanceId, msg);
    }
    const msg: QueueMessage = { type: 'Restart', instanceId, policy: p };
    if (stepId !== undefined) msg.stepId = stepId;
    return parseViewReply(queueKeyOf(workflowId), await this.askQueue(workflowId, msg));
  }

  async stepAction(workflowId: string, instanceId: number, stepId: string, action: StepActionKind, opts: { attempt?: number; reason?: string } = {}): Promise<InstanceView> {
    if (!stepId) throw new ValidationError('step_id', 'is required');
    if (opts.attempt !== undefined && action !== 'resume') throw new ValidationError('attempt', `is only taken by resume, not ${action}`);
    if (isInlineWorkflowId(workflowId) && (action === 'restart' || action === 'skip')) {
      // A step of an ended loop iteration re-runs through its loop (below), never on its own.
      const v = await this.getInstance(workflowId, instanceId);
      if (isWorkflowTerminal(v.status)) {
        if (action === 'skip') throw new PreconditionError(`cannot skip step ${stepId} of ${workflowId}/${instanceId}: the iteration is ${v.status}; restart its root instance instead`);
        return this.restartThroughParents(workflowId, instanceId, 'RESTART_FROM_SPECIFIC', stepId);
      }
    } else if (action === 'restart') {
      // A step of an ended subworkflow child re-runs through its parents (restart-path.ts).
      const v = await this.getInstance(workflowId, instanceId);
      if (isWorkflowTerminal(v.status) && isChildView(v)) return this.restartThroughParents(workflowId, instanceId, 'RESTART_FROM_SPECIFIC', stepId);
    }
    const msg: InstanceMessage = { type: 'StepAction', stepId, action };
    if (opts.attempt !== undefined) msg.attempt = opts.attempt;
    if (opts.reason) msg.reason = opts.reason;
    return this.call(workflowId, instanceId, msg);
  }

  /**
   * Maestro's restart through an ended foreach/while iteration or subworkflow child
   * (restart-path.ts): the nearest ancestor that has not ended (a running foreach or a running
   * parent's subworkflow step) or the root restarts RESTART_FROM_SPECIFIC along the path, so
   * each level on it re-runs only the child that leads down.
   */
  private restartThroughParents(workflowId: string, instanceId: number, policy: RestartPolicy, stepId?: string): Promise<InstanceView> {
    return restartThroughIterations(
      {
        getInstance: (w, i) => this.getInstance(w, i),
        call: (w, i, m) => this.call(w, i, m),
        restartRoot: async (w, i, step, path) => parseViewReply(queueKeyOf(w), await this.askQueue(w, { type: 'Restart', instanceId: i, policy: 'RESTART_FROM_SPECIFIC', stepId: step, path })),
      },
      workflowId,
      instanceId,
      policy,
      stepId,
    );
  }

  createBreakpoint(workflowId: string, stepId: string): Promise<Breakpoint> {
    return this.bp().create(workflowId, stepId);
  }

  listBreakpoints(workflowId?: string, stepId?: string): Promise<Breakpoint[]> {
    return this.bp().list(workflowId, stepId);
  }

  listPausedAttempts(workflowId: string, stepId: string): Promise<PausedAttempt[]> {
    return this.bp().pausedAttempts(workflowId, stepId);
  }

  /**
   * Deletes the breakpoint, then (with `resume`) resumes every attempt paused at it. An attempt
   * that moved on meanwhile (stopped, restarted) is not counted; it is logged.
   */
  async deleteBreakpoint(workflowId: string, stepId: string, resume: boolean): Promise<number> {
    const bp = this.bp();
    await bp.delete(workflowId, stepId);
    if (!resume) return 0;
    let resumed = 0;
    for (const p of await bp.pausedAttempts(workflowId, stepId)) {
      try {
        await this.stepAction(p.workflowId, p.instanceId, p.stepId, 'resume', { attempt: p.attempt });
        resumed++;
      } catch (err) {
        if (!(err instanceof MaestroError) || err.kind !== 'failed_precondition') throw err;
        this.log.info({ workflowId, instanceId: p.instanceId, stepId, attempt: p.attempt, err }, 'a paused attempt moved on before its resume; not counted');
      }
    }
    return resumed;
  }

  private bp(): Breakpoints {
    if (!this.d.breakpoints) throw new PreconditionError('breakpoints are not available on this engine (no breakpoint store configured)');
    return this.d.breakpoints;
  }

  /** STRICT_SEQUENTIAL unblock of one instance: its latest run must be FAILED. */
  async unblockInstance(workflowId: string, instanceId: number): Promise<InstanceView> {
    if (!workflowId) throw new ValidationError('workflow_id', 'is required');
    if (bypassesQueue(workflowId)) return this.getInstance(workflowId, instanceId); // Maestro: a no-op for inline workflows
    return parseViewReply(queueKeyOf(workflowId), await this.askQueue(workflowId, { type: 'Unblock', instanceId }));
  }

  /** Unblocks every FAILED instance of the workflow; answers how many. */
  async unblockWorkflow(workflowId: string): Promise<number> {
    await this.d.definitions.header(workflowId);
    return unblockReply.parse(await this.askQueue(workflowId, { type: 'Unblock' })).unblocked;
  }

  /** Workflow-wide stop/kill: queued runs end directly, running ones are told to stop/kill. */
  async terminateWorkflow(workflowId: string, action: 'stop' | 'kill', reason?: string): Promise<TerminateReply> {
    await this.d.definitions.header(workflowId);
    const msg: QueueMessage = { type: 'Terminate', action };
    if (reason) msg.reason = reason;
    return terminateReply.parse(await this.askQueue(workflowId, msg));
  }

  /** The instance a start with `requestId` created (its dedup key); NotFoundError until that start exists. */
  async findInstanceByRequestId(workflowId: string, requestId: string): Promise<number> {
    if (!workflowId) throw new ValidationError('workflow_id', 'is required');
    if (!requestId) throw new ValidationError('request_id', 'is required');
    return foundRequestReply.parse(await this.askQueue(workflowId, { type: 'FindRequest', requestId })).instanceId;
  }

  /** The queue owner's state in brief (queued, running, blocking failures). */
  async queueInfo(workflowId: string): Promise<QueueInfoReply> {
    return queueInfoReply.parse(await this.askQueue(workflowId, { type: 'QueueInfo' }));
  }

  async setTagPermit(tag: string, maxAllowed: number): Promise<TagPermit> {
    checkPermitTag(tag);
    if (!Number.isSafeInteger(maxAllowed) || maxAllowed < 0) throw new ValidationError('max_allowed', `must be an integer >= 0, got ${maxAllowed}`);
    return tagPermitInfoReply.parse(await this.askPermits({ type: 'SetTagPermit', tag, maxAllowed }));
  }

  async getTagPermit(tag: string): Promise<TagPermit> {
    checkPermitTag(tag);
    return tagPermitsReply.parse(await this.askPermits({ type: 'TagPermits', tag })).tags[0]!;
  }

  async deleteTagPermit(tag: string): Promise<TagPermit> {
    checkPermitTag(tag);
    return tagPermitInfoReply.parse(await this.askPermits({ type: 'DeleteTagPermit', tag }));
  }

  async listTagPermits(): Promise<TagPermit[]> {
    return tagPermitsReply.parse(await this.askPermits({ type: 'TagPermits' })).tags;
  }

  async sendSignal(name: string, signal: SignalRequest): Promise<AnnounceReply> {
    checkSignalName(name);
    return announceReply.parse(await this.askSignal(name, { type: 'Announce', signal: normalizeSignalRequest(signal) }));
  }

  async getSignal(name: string, seqId?: number): Promise<SignalInstance> {
    checkSignalName(name);
    if (seqId !== undefined && (!Number.isSafeInteger(seqId) || seqId < 1)) throw new ValidationError('seq_id', `must be an integer >= 1, got ${seqId}`);
    return signalInstanceReply.parse(await this.askSignal(name, seqId === undefined ? { type: 'GetSignal' } : { type: 'GetSignal', seqId }));
  }

  async listSignals(name: string, afterSeq?: number, limit?: number): Promise<ListSignalsReply> {
    checkSignalName(name);
    if (afterSeq !== undefined && (!Number.isSafeInteger(afterSeq) || afterSeq < 0)) throw new ValidationError('after_seq', `must be an integer >= 0, got ${afterSeq}`);
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1 || limit > LIST_SIGNALS_MAX)) throw new ValidationError('limit', `must be an integer in 1..${LIST_SIGNALS_MAX}, got ${limit}`);
    const msg: SignalStoreMessage = { type: 'ListSignals' };
    if (afterSeq !== undefined) msg.afterSeq = afterSeq;
    if (limit !== undefined) msg.limit = limit;
    return listSignalsReply.parse(await this.askSignal(name, msg));
  }

  private askSignal(name: string, msg: SignalStoreMessage): Promise<unknown> {
    return this.d.transport.request(signalKeyOf(name), msg, { timeoutMs: this.d.requestTimeoutMs });
  }

  private askPermits(msg: PermitMessage): Promise<unknown> {
    return this.d.transport.request(PERMITS_KEY, msg, { timeoutMs: this.d.requestTimeoutMs });
  }

  private askQueue(workflowId: string, msg: QueueMessage): Promise<unknown> {
    return this.d.transport.request(queueKeyOf(workflowId), msg, { timeoutMs: this.d.requestTimeoutMs });
  }

  /**
   * Tells the workflow's signal-trigger actor to reconcile its subscriptions with the active
   * version (signal-trigger-service.ts). Never fails: a lost Sync heals at the actor's next
   * recovery or the next node start (logged).
   */
  async syncSignalTriggers(workflowId: string): Promise<void> {
    try {
      await this.d.transport.request(signalTriggerKeyOf(workflowId), { type: 'Sync' } satisfies SignalTriggerMessage, { timeoutMs: this.d.requestTimeoutMs });
    } catch (err) {
      this.log.warn({ err, workflowId }, 'signal triggers not synced; the next node start or the actor recovery syncs them');
    }
  }

  /** The workflow's subscribed signal triggers, their checkpoints and counts (its `~sigtrig/` actor). */
  async signalTriggers(workflowId: string): Promise<SignalTriggersReply> {
    return signalTriggersReply.parse(await this.d.transport.request(signalTriggerKeyOf(workflowId), { type: 'SignalTriggers' } satisfies SignalTriggerMessage, { timeoutMs: this.d.requestTimeoutMs }));
  }

  /** At node start: a Sync to every workflow whose active version has signal triggers (only sent; idempotent). */
  async syncAllSignalTriggers(): Promise<void> {
    try {
      const work = (await this.d.definitions.list()).filter((wf) => wf.activeVersion > 0);
      const worker = async (): Promise<void> => {
        for (let wf = work.shift(); wf; wf = work.shift()) {
          if (await hasActiveSignalTriggers(this.d.definitions, wf.workflowId)) await this.syncSignalTriggers(wf.workflowId);
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
    } catch (err) {
      this.log.warn({ err }, 'signal triggers not synced at start');
    }
  }

  putStepOutputs(workflowId: string, instanceId: number, stepId: string, outputs: Record<string, unknown>): Promise<InstanceView> {
    if (!stepId) throw new ValidationError('step_id', 'is required');
    return this.call(workflowId, instanceId, { type: 'PutOutputs', stepId, outputs });
  }

  private async call(workflowId: string, instanceId: number, msg: InstanceMessage): Promise<InstanceView> {
    const key = instanceKeyOf(workflowId, instanceId);
    return parseViewReply(key, await this.d.transport.request(key, msg, { timeoutMs: this.d.requestTimeoutMs }));
  }
}

/**
 * Maestro step types this build has no runtime for but accepts in definitions (their runs fail
 * with "no runtime for step type"): Kubernetes and Titus. Notebook is rejected at dry run, as
 * Maestro's open-source server does.
 */
const MAESTRO_TYPES_WITHOUT_RUNTIME_HERE = new Set(['kubernetes', 'titus']);

