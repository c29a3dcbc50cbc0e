/**
 * The workflow queue owner: a service actor kind (service-actor.ts) keyed `~queue/<workflowId>`,
 * one per workflow. Pure logic in core/queue (numbering, run strategies, dequeue); this file
 * turns messages into its events (reading the outside facts they carry) and performs its
 * effects against instance actors.
 *
 * - Launch: the decision is journaled first, then a Launch goes to the instance actor (idempotent
 *   there), so a resend after a takeover (`resume`) does no harm. An answer showing the run
 *   ended is fed back as an `ended` event; a refusal (bad run params, a restart of a run that is
 *   not terminal) makes the queue forget the run and is the caller's answer.
 * - Instances tell their queue owner when a run ends (instance-actor.ts `notifyQueue`); after a
 *   takeover the owner re-launches its running runs, whose answers say which already ended, so
 *   a lost notice never wedges a queue.
 * - Instance ids: latest + 1 per workflow (1, 2, 3, ...), journaled with the arrival. A queue's
 *   first arrival starts above the ids an older engine's block allocator handed out (`seq/<id>`).
 */
import { MaestroError, NotFoundError, PreconditionError } from '../core/errors.js';
import type { InstanceView } from '../core/instance/view.js';
import { instanceKeyOf } from '../core/partition.js';
import {
  QUEUE_KEY_PREFIX,
  queueReducer,
  queueStatusOf,
  runningCount,
  strategyChangeRefusal,
  workflowIdOfQueueKey,
  type QueueEffect,
  type QueueEvent,
  type QueueState,
} from '../core/queue/index.js';
import { isWorkflowTerminal } from '../core/status.js';
import { getChecked, type KvStore } from '../store/port.js';
import type { DefinitionRegistry } from './definitions.js';
import { checkIdCounter } from './kv-schemas.js';
import type { InstanceMessage, LaunchMessage } from './messages.js';
import { parseQueueMessage, type FoundRequestReply, type QueueInfoReply, type QueueMessage } from './queue-messages.js';
import { parseViewReply } from './reply-schemas.js';
import type { Outcome, ServiceContext, ServiceKind } from './service-actor.js';

/** Posted by the owner to itself only (never on the wire): an instance refused a launch. */
interface ForgetMessage {
  type: 'Forget';
  instanceId: number;
  runId: number;
}
type Msg = QueueMessage | ForgetMessage;

export interface QueueServiceDeps {
  definitions: DefinitionRegistry;
  kv: KvStore;
  requestTimeoutMs: number;
}

/** Transient launch failures are retried this many times (the transport itself retries for requestTimeoutMs). */
const LAUNCH_ATTEMPTS = 3;

/** Instances told at once by a workflow-wide unblock (Maestro updates them in batches of 100). */
const UNBLOCK_BATCH = 10;

export function queueServiceKind(deps: QueueServiceDeps): ServiceKind<QueueState, QueueEvent, QueueEffect, Msg> {
  const ask = async (ctx: ServiceContext, id: number, msg: InstanceMessage): Promise<InstanceView> => {
    const key = instanceKeyOf(workflowIdOfQueueKey(ctx.key), id);
    return parseViewReply(key, await ctx.transport.request(key, msg, { timeoutMs: deps.requestTimeoutMs }));
  };

  /**
   * Workflow-wide unblock: each blocking instance records it, UNBLOCK_BATCH at a time; answers
   * the ids the queue may stop counting. One that no longer exists (retention) or is no longer
   * FAILED blocks nothing any more; one that could not be told keeps blocking (logged; unblock again).
   */
  const unblockInstances = async (ctx: ServiceContext, ids: number[]): Promise<number[]> => {
    const done: number[] = [];
    for (let i = 0; i < ids.length; i += UNBLOCK_BATCH) {
      await Promise.all(
        ids.slice(i, i + UNBLOCK_BATCH).map(async (id) => {
          try {
            await ask(ctx, id, { type: 'Unblock' });
            done.push(id);
          } catch (err) {
            if (err instanceof MaestroError && (err.kind === 'not_found' || err.kind === 'failed_precondition')) {
              ctx.log.info({ key: ctx.key, instanceId: id, err }, 'unblock: the instance no longer blocks (gone or not FAILED)');
              done.push(id);
            } else {
              ctx.log.warn({ key: ctx.key, instanceId: id, err }, 'unblock: the instance could not be told; it still blocks');
            }
          }
        }),
      );
    }
    return done.sort((a, b) => a - b);
  };

  const toEvents = async (ctx: ServiceContext, s: QueueState, msg: Msg): Promise<QueueEvent[]> => {
    const atMs = ctx.now();
    const wf = s.workflowId;
    switch (msg.type) {
      case 'Enqueue': {
        if (msg.requestId !== undefined && s.requests[msg.requestId] !== undefined) return []; // answered with the first instance
        const strategy = msg.runStrategy ?? (await deps.definitions.runStrategyOf(wf));
        let id = s.latestId + 1;
        if (s.seq === 0) id = Math.max(id, (await legacyLatestId(deps.kv, wf)) + 1);
        const start: QueueEvent & { t: 'enqueue' } = { t: 'enqueue', atMs, strategy, id, start: { version: msg.version, params: msg.params } };
        if (msg.requestId !== undefined) start.start.requestId = msg.requestId;
        if (msg.initiator !== undefined) start.start.initiator = msg.initiator;
        if (msg.parent !== undefined) start.start.parent = msg.parent;
        if (msg.depth !== undefined) start.start.depth = msg.depth;
        if (msg.correlationId !== undefined) start.start.correlationId = msg.correlationId;
        if (msg.instanceStepConcurrency !== undefined) start.start.instanceStepConcurrency = msg.instanceStepConcurrency;
        if (msg.trigger !== undefined) start.start.trigger = msg.trigger;
        return [start];
      }
      case 'Restart': {
        const view = await ask(ctx, msg.instanceId, { type: 'Get' });
        if (!isWorkflowTerminal(view.status)) {
          throw new PreconditionError(`cannot restart instance ${wf}/${msg.instanceId}: it is ${view.status}; stop it first`);
        }
        const events: QueueEvent[] = [];
        const where = queueStatusOf(s, msg.instanceId);
        if (where && where.runId === view.runId) {
          // its end notice has not arrived yet: the instance's own answer stands for it
          events.push({ t: 'ended', atMs, id: msg.instanceId, runId: view.runId, status: view.status });
        } else if (where) {
          throw new PreconditionError(`cannot restart instance ${wf}/${msg.instanceId}: its run ${where.runId} is ${where.where}`);
        }
        const strategy = await deps.definitions.runStrategyOf(wf);
        const ev: QueueEvent & { t: 'restart' } = { t: 'restart', atMs, strategy, id: msg.instanceId, runId: view.runId + 1, policy: msg.policy };
        if (msg.stepId !== undefined) ev.stepId = msg.stepId;
        if (msg.path) ev.path = msg.path;
        if (msg.parent) ev.parent = msg.parent;
        events.push(ev);
        return events;
      }
      case 'Ended':
      case 'Forget': {
        const where = queueStatusOf(s, msg.instanceId);
        if (!where || where.runId !== msg.runId) return [];
        return msg.type === 'Ended' ? [{ t: 'ended', atMs, id: msg.instanceId, runId: msg.runId, status: msg.status }] : [{ t: 'forget', atMs, id: msg.instanceId, runId: msg.runId }];
      }
      case 'Unblock': {
        // The instance records it first (raw FAILED_1, journaled there), then the queue stops
        // counting it: an instance shown raw FAILED always blocks. Repeating is harmless.
        if (msg.instanceId === undefined) {
          const ids = await unblockInstances(ctx, [...s.failed]);
          return ids.length > 0 ? [{ t: 'unblock', atMs, ids }] : [];
        }
        await ask(ctx, msg.instanceId, { type: 'Unblock' }); // refused unless FAILED
        return s.failed.includes(msg.instanceId) ? [{ t: 'unblock', atMs, ids: [msg.instanceId] }] : [];
      }
      case 'Terminate':
        if (s.queued.length === 0 && runningCount(s) === 0) return [];
        return [{ t: 'terminate', atMs, action: msg.action, reason: msg.reason ?? `${msg.action === 'stop' ? 'stopped' : 'killed'} by user (all instances of the workflow)` }];
      case 'Strategy': {
        if (msg.check) {
          const why = strategyChangeRefusal(s, msg.runStrategy);
          if (why) throw new PreconditionError(why);
          return [];
        }
        const same = msg.runStrategy.rule === s.strategy.rule && msg.runStrategy.workflowConcurrency === s.strategy.workflowConcurrency;
        return same || s.seq === 0 ? [] : [{ t: 'strategy', atMs, strategy: msg.runStrategy }];
      }
      case 'Dequeue':
        return s.queued.length > 0 ? [{ t: 'dequeue', atMs }] : [];
      case 'QueueInfo':
        return [];
      case 'ForgetRequests': {
        const ids = msg.requests.filter((r) => s.requests[r.requestId] === r.instanceId).map((r) => r.requestId);
        return ids.length > 0 ? [{ t: 'forgetRequests', atMs, requestIds: ids }] : [];
      }
      case 'FindRequest':
        if (s.requests[msg.requestId] === undefined) throw new NotFoundError(`no instance of workflow ${wf} was started with request id ${msg.requestId}`);
        return [];
    }
  };

  const launch = async (ctx: ServiceContext, f: QueueEffect & { f: 'launch' }): Promise<InstanceView> => {
    const msg: LaunchMessage = { type: 'Launch', workflowId: workflowIdOfQueueKey(ctx.key), instanceId: f.id, runId: f.runId, mode: f.mode };
    if (f.start) msg.start = f.start;
    if (f.policy) msg.policy = f.policy;
    if (f.stepId) msg.stepId = f.stepId;
    if (f.path) msg.path = f.path;
    if (f.parent) msg.parent = f.parent;
    if (f.reason !== undefined) msg.reason = f.reason;
    for (let attempt = 1; ; attempt++) {
      try {
        return await ask(ctx, f.id, msg);
      } catch (err) {
        const retryable = (err as { retryable?: boolean }).retryable === true;
        if (retryable && attempt < LAUNCH_ATTEMPTS) continue;
        if (!retryable && (f.mode === 'queue' || f.mode === 'run')) {
          // The instance refused this run: the queue must not count it (else it wedges).
          const forget: ForgetMessage = { type: 'Forget', instanceId: f.id, runId: f.runId };
          ctx.post(forget).catch((e: unknown) => ctx.log.warn({ err: e, key: ctx.key }, 'forgetting a refused run failed'));
        } else {
          ctx.log.error({ err, key: ctx.key, instanceId: f.id, runId: f.runId, mode: f.mode }, 'queue launch failed; the next takeover of the queue resends it');
        }
        throw err;
      }
    }
  };

  /** An answer showing run `runId` ended is fed back (the instance's own notice may be lost or late). */
  const observe = (ctx: ServiceContext, runId: number, view: InstanceView): InstanceView => {
    if (view.runId === runId && isWorkflowTerminal(view.status)) {
      ctx.post({ type: 'Ended', instanceId: view.instanceId, runId, status: view.status } satisfies Msg).catch((err: unknown) => ctx.log.debug({ err, key: ctx.key }, 'run end not applied'));
    }
    return view;
  };

  return {
    prefix: QUEUE_KEY_PREFIX,
    reducer: queueReducer,
    parse: parseQueueMessage,
    toEvents,
    async run(ctx, f) {
      switch (f.f) {
        case 'launch':
          return observe(ctx, f.runId, await launch(ctx, f));
        case 'terminate':
          return observe(ctx, f.runId, await ask(ctx, f.id, { type: 'Action', action: f.action, reason: f.reason, ifRunning: true }));
        case 'kick':
          return ctx.post({ type: 'Dequeue' } satisfies Msg);
      }
    },
    reply(ctx, s, msg, out) {
      switch (msg.type) {
        case 'Enqueue': {
          if (out.events.length === 0) return ask(ctx, s.requests[msg.requestId!]!, { type: 'Get' });
          const ev = out.events[0] as QueueEvent & { t: 'enqueue' };
          return resultFor(out, ev.id, 1, () => ask(ctx, ev.id, { type: 'Get' }));
        }
        case 'Restart': {
          const ev = out.events[out.events.length - 1] as QueueEvent & { t: 'restart' };
          return resultFor(out, ev.id, ev.runId, () => ask(ctx, ev.id, { type: 'Get' }));
        }
        case 'Unblock':
          if (msg.instanceId !== undefined) return ask(ctx, msg.instanceId, { type: 'Get' });
          return { unblocked: out.events.length === 0 ? 0 : (out.events[0] as QueueEvent & { t: 'unblock' }).ids.length };
        case 'Terminate':
          return {
            ended: out.effects.filter((f) => f.f === 'launch').length,
            terminating: out.effects.filter((f) => f.f === 'terminate').length,
          };
        case 'QueueInfo':
          return infoOf(s);
        case 'FindRequest':
          return { instanceId: s.requests[msg.requestId]! } satisfies FoundRequestReply;
        default:
          return true;
      }
    },
  };
}

/** The result of the launch effect of run (id, runId), else `fallback()`. */
function resultFor(out: Outcome<QueueEvent, QueueEffect>, id: number, runId: number, fallback: () => Promise<InstanceView>): Promise<unknown> {
  for (let i = out.effects.length - 1; i >= 0; i--) {
    const f = out.effects[i]!;
    if (f.f === 'launch' && f.id === id && f.runId === runId) return out.results[i]!;
  }
  return fallback();
}

function infoOf(s: QueueState): QueueInfoReply {
  return {
    workflowId: s.workflowId,
    rule: s.strategy.rule,
    workflowConcurrency: s.strategy.workflowConcurrency,
    latestInstanceId: s.latestId,
    queued: s.queued.map((q) => ({ instanceId: q.id, runId: q.runId })),
    running: Object.entries(s.running).map(([id, r]) => ({ instanceId: Number(id), runId: r.runId })),
    failed: [...s.failed],
  };
}

/** The last id an older engine's block allocator reserved for this workflow (0 when none). */
async function legacyLatestId(kv: KvStore, workflowId: string): Promise<number> {
  try {
    return (await getChecked(kv, `seq/${workflowId}`, checkIdCounter))?.value ?? 0;
  } catch (err) {
    if (err instanceof NotFoundError) return 0;
    throw err;
  }
}
