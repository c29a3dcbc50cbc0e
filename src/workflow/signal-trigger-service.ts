/**
 * The signal triggers of one workflow: a service actor kind (service-actor.ts) keyed
 * `~sigtrig/<workflowId>` (maestro-semantics §9). Pure part in core/signals/trigger.ts and
 * trigger-execution.ts; this file turns messages into its events (asking the signal stores and
 * the definitions) and performs its effects.
 *
 * - Sync: the ACTIVE version's `signal_triggers` (unless the latest properties say
 *   `signal_trigger_disabled`) are the triggers wanted. New trigger uuids are subscribed at the
 *   store of each of their signals (`Subscribe` answers the store's latest seq: the first
 *   checkpoint), trigger uuids no longer wanted are unsubscribed. Sent by the engine after a
 *   create/activate/delete, by every node at start, and by the actor itself after recovery, so
 *   a Sync lost in a crash heals. Idempotent.
 * - SignalArrived (from `~signal/<name>`): for each trigger using the name, Maestro's
 *   `tryExecuteTrigger`: the arriving signal must be newer than the checkpoint and satisfy its
 *   match_params; its join values select, by position, one instance newer than the checkpoint
 *   of every other signal (`Find`). All found: the trigger fires (checkpoints move to the matched
 *   seqs), its params/condition/dedup_expr are evaluated with no params context and a start is
 *   journaled. The mailbox serializes all of it (Maestro's row lock, FOR UPDATE).
 * - The start is an Enqueue at `~queue/<workflowId>` (initiator SIGNAL, the trigger info, run
 *   params {}, a request id from the dedup_expr or the matched set): the run strategy applies,
 *   and the queue dedups the request id, so a re-send after a crash starts nothing new.
 * - Workflow gone, no active version, triggers disabled or the trigger no longer in the active
 *   version when it fires: the trigger is unsubscribed (Maestro deletes it), logged.
 */
import { MaestroError, NotFoundError } from '../core/errors.js';
import type { ExpressionEngine } from '../core/expr-port.js';
import type { RunStrategy, SignalTrigger } from '../core/definition/model.js';
import { queueKeyOf } from '../core/queue/model.js';
import { SIGNAL_TRIGGER_KEY_PREFIX, signalKeyOf, type SignalInstance, type SignalStoreMessage } from '../core/signals/model.js';
import {
  arrivalQueries,
  canonicalJson,
  matchedSet,
  signalNamesOf,
  signalTriggerReducer,
  subscribedNames,
  type PendingStart,
  type SignalTriggerEffect,
  type SignalTriggerEvent,
  type SignalTriggerState,
} from '../core/signals/trigger.js';
import { evaluateExecution } from '../core/signals/trigger-execution.js';
import { isRetryable } from '../retry/index.js';
import type { DefinitionRegistry } from './definitions.js';
import { javaNameUuid } from '../core/java-compat.js';

const nameUuid = (text: string): string => javaNameUuid(text).text;
import type { EnqueueMessage } from './queue-messages.js';
import type { EngineMetrics } from '../log/metrics.js';
import { parseViewReply } from './reply-schemas.js';
import { deferredPoster, type ServiceContext, type ServiceKind } from './service-actor.js';
import { findReply, parseSignalTriggerMessage, subscribeReply, type SignalTriggerMessage, type SignalTriggersReply } from './signal-trigger-messages.js';
import { LIST_SIGNALS_MAX, listSignalsReply } from './signal-messages.js';

/** Posted by the actor to itself only (never on the wire): the queue owner answered a start. */
interface AckMessage {
  type: 'Ack';
  requestId: string;
  instanceId?: number;
  error?: string;
}
type Msg = SignalTriggerMessage | AckMessage;

export interface SignalTriggerServiceDeps {
  definitions: DefinitionRegistry;
  expressions: ExpressionEngine;
  requestTimeoutMs: number;
  /** Default Math.random (the results are journaled: replay never evaluates again). */
  random?: () => number;
  /** Counts fires that start a run (once each, when journaled); absent: none. */
  metrics?: EngineMetrics;
}

/** Transient enqueue failures are retried this many times (the transport itself retries for requestTimeoutMs). */
const ENQUEUE_ATTEMPTS = 3;

/** The trigger uuid (Maestro: UUID(trigger.toString()); here the name-based UUID of its canonical JSON). */
export function signalTriggerUuid(trigger: SignalTrigger): string {
  return nameUuid(canonicalJson(trigger));
}

/** The triggers a workflow's ACTIVE version wants, by uuid; or why none. */
/** How long a trigger actor trusts its last read of the active version between Syncs. */
const WANTED_TTL_MS = 5_000;

export type ActiveSignalTriggers = { version: number; triggers: Map<string, SignalTrigger>; runStrategy: RunStrategy } | { reason: string };

export async function activeSignalTriggers(definitions: DefinitionRegistry, workflowId: string): Promise<ActiveSignalTriggers> {
  let header;
  try {
    header = await definitions.header(workflowId);
  } catch (err) {
    if (err instanceof NotFoundError) return { reason: `workflow ${workflowId} not found (deleted)` };
    throw err;
  }
  if (header.activeVersion <= 0) return { reason: `workflow ${workflowId} has no active version` };
  const active = await definitions.compiledVersion(workflowId, header.activeVersion);
  const latest = header.latestVersion === header.activeVersion ? active : await definitions.compiledVersion(workflowId, header.latestVersion);
  if (latest.request.properties.signalTriggerDisabled === true) return { reason: `signal triggers of workflow ${workflowId} are disabled (signal_trigger_disabled)` };
  const triggers = new Map<string, SignalTrigger>();
  for (const t of active.request.workflow.signalTriggers) triggers.set(signalTriggerUuid(t), t);
  return { version: header.activeVersion, triggers, runStrategy: latest.request.properties.runStrategy };
}

/** Whether the workflow's active version has signal triggers (false when it is gone or has none active). */
export async function hasActiveSignalTriggers(definitions: DefinitionRegistry, workflowId: string): Promise<boolean> {
  try {
    const h = await definitions.header(workflowId);
    if (h.activeVersion <= 0) return false;
    return (await definitions.compiledVersion(workflowId, h.activeVersion)).request.workflow.signalTriggers.length > 0;
  } catch (err) {
    if (err instanceof NotFoundError) return false;
    throw err;
  }
}

export function signalTriggerServiceKind(deps: SignalTriggerServiceDeps): ServiceKind<SignalTriggerState, SignalTriggerEvent, SignalTriggerEffect, Msg> {
  const random = deps.random ?? Math.random;
  const ask = (ctx: ServiceContext, name: string, msg: SignalStoreMessage): Promise<unknown> =>
    ctx.transport.request(signalKeyOf(name), msg, { timeoutMs: deps.requestTimeoutMs });

  const subscribe = async (ctx: ServiceContext, name: string): Promise<number> =>
    subscribeReply.parse(await ask(ctx, name, { type: 'Subscribe', subscriber: ctx.key })).latestSeq;

  /**
   * The active triggers as this actor last read them, per actor incarnation: a firing reads the
   * definitions again only when that is older than WANTED_TTL_MS (every create/activate/delete
   * sends a Sync, which reads them afresh), so a burst of signals costs no KV read per firing.
   */
  const wantedCache = new WeakMap<ServiceContext, { atMs: number; wanted: ActiveSignalTriggers }>();
  const readWanted = async (ctx: ServiceContext, workflowId: string, fresh: boolean): Promise<ActiveSignalTriggers> => {
    const hit = wantedCache.get(ctx);
    const now = ctx.now();
    if (!fresh && hit && now - hit.atMs < WANTED_TTL_MS) return hit.wanted;
    const wanted = await activeSignalTriggers(deps.definitions, workflowId);
    wantedCache.set(ctx, { atMs: now, wanted });
    return wanted;
  };

  const sync = async (ctx: ServiceContext, s: SignalTriggerState): Promise<SignalTriggerEvent[]> => {
    const atMs = ctx.now();
    const wanted = await readWanted(ctx, s.workflowId, true);
    const events: SignalTriggerEvent[] = [];
    // Subscriptions first: an unsubscribe then only drops names no wanted trigger uses.
    if (!('reason' in wanted)) {
      for (const [uuid, definition] of wanted.triggers) {
        if (s.triggers[uuid]) continue;
        const checkpoints: Record<string, number> = {};
        for (const name of signalNamesOf(definition)) checkpoints[name] = await subscribe(ctx, name);
        events.push({ t: 'subscribed', atMs, uuid, definition, checkpoints });
        ctx.log.info({ key: ctx.key, triggerUuid: uuid, checkpoints }, 'signal trigger subscribed');
      }
      // Subscriptions a store may have lost (an unsubscribe that overtook a later subscribe): idempotent there.
      for (const name of subscribedNames(s)) await subscribe(ctx, name);
    }
    for (const uuid of Object.keys(s.triggers)) {
      if (!('reason' in wanted) && wanted.triggers.has(uuid)) continue;
      const reason = 'reason' in wanted ? wanted.reason : `not in the active version ${wanted.version}`;
      events.push({ t: 'unsubscribed', atMs, uuid, reason });
      ctx.log.info({ key: ctx.key, triggerUuid: uuid, reason }, 'signal trigger unsubscribed');
    }
    return events;
  };

  const arrived = async (ctx: ServiceContext, s: SignalTriggerState, signal: SignalInstance): Promise<SignalTriggerEvent[]> => {
    const users = Object.values(s.triggers).filter((t) => Object.hasOwn(t.definition.definitions, signal.name));
    if (users.length === 0) {
      // A subscription left behind (a lost unsubscribe): drop it now.
      await ask(ctx, signal.name, { type: 'Unsubscribe', subscriber: ctx.key }).catch((err: unknown) =>
        ctx.log.warn({ err, key: ctx.key, signal: signal.name }, 'stale signal subscription not dropped; the next arrival tries again'),
      );
      return [];
    }
    const events: SignalTriggerEvent[] = [];
    let wanted: ActiveSignalTriggers | undefined;
    for (const t of users) {
      const queries = arrivalQueries(t, signal);
      if (!queries) continue;
      const found: SignalInstance[] = [signal];
      for (const q of queries) {
        const reply = findReply.parse(await ask(ctx, q.name, { type: 'Find', afterSeq: q.afterSeq, match: q.match, oldest: q.oldest }));
        if (!reply.instance) break;
        found.push(reply.instance);
      }
      if (found.length !== queries.length + 1) continue; // some signal is missing: nothing consumed
      const atMs = ctx.now();
      wanted ??= await readWanted(ctx, s.workflowId, false);
      if ('reason' in wanted || !wanted.triggers.has(t.uuid)) {
        const reason = 'reason' in wanted ? wanted.reason : `not in the active version ${wanted.version}`;
        ctx.log.info({ key: ctx.key, triggerUuid: t.uuid, reason }, 'signal trigger matched but is gone: unsubscribed');
        events.push({ t: 'unsubscribed', atMs, uuid: t.uuid, reason });
        continue;
      }
      const { signalIds, signalParams } = matchedSet(found);
      const outcome = evaluateExecution({
        workflowId: s.workflowId,
        triggerUuid: t.uuid,
        version: wanted.version,
        definition: t.definition,
        signalIds,
        engine: deps.expressions,
        nowMs: atMs,
        random,
        uuidOf: nameUuid,
      });
      if ('skipped' in outcome) {
        ctx.log.info({ key: ctx.key, triggerUuid: t.uuid, signalIds, reason: outcome.skipped }, 'signal trigger matched; no run (the signals stay consumed)');
        events.push({ t: 'fired', atMs, uuid: t.uuid, signalIds, skipped: outcome.skipped });
        continue;
      }
      if (outcome.dedupError !== undefined) ctx.log.warn({ key: ctx.key, triggerUuid: t.uuid, reason: outcome.dedupError }, 'signal trigger dedup_expr failed');
      const start: PendingStart = {
        requestId: outcome.requestId,
        version: wanted.version,
        trigger: { kind: 'SIGNAL', triggerUuid: t.uuid, signalIds, signalParams, params: outcome.params },
        firedAtMs: atMs,
        runStrategy: wanted.runStrategy,
      };
      ctx.log.info({ key: ctx.key, triggerUuid: t.uuid, signalIds, requestId: start.requestId }, 'signal trigger fired');
      events.push({ t: 'fired', atMs, uuid: t.uuid, signalIds, start });
    }
    return events;
  };

  /** Start acknowledgements are journaled together, off the firing path (a lost one only re-sends a start the queue dedups). */
  const later = deferredPoster(20);

  /**
   * Arrivals of a name are evaluated in seq order, each once per actor incarnation. Notices can
   * overtake each other (a store re-sending after a takeover, a retry that waited while a later
   * one went through), and an arrival at or below a trigger's checkpoint counts as consumed: so a
   * notice above the next expected seq first fetches the ones in between from the store and
   * evaluates them in order (on a copy of the state with their events folded in), and a notice at
   * or below the cursor is a redelivery. After a takeover the cursor starts at the lowest
   * checkpoint of the triggers using the name (re-evaluating an arrival that matched nothing is
   * harmless; one that fired is at or below its trigger's checkpoint).
   */
  const cursors = new WeakMap<ServiceContext, Map<string, number>>();
  const arrivedInOrder = async (ctx: ServiceContext, s: SignalTriggerState, signal: SignalInstance): Promise<SignalTriggerEvent[]> => {
    const users = Object.values(s.triggers).filter((t) => Object.hasOwn(t.definition.definitions, signal.name));
    if (users.length === 0) return arrived(ctx, s, signal);
    let byName = cursors.get(ctx);
    if (!byName) cursors.set(ctx, (byName = new Map()));
    const floor = Math.min(...users.map((t) => t.checkpoints[signal.name] ?? 0));
    const cursor = Math.max(byName.get(signal.name) ?? floor, floor);
    if (signal.seqId <= cursor) return []; // evaluated already (a redelivery)
    const batch: SignalInstance[] = [];
    for (let after = cursor; after < signal.seqId - 1; ) {
      const page = listSignalsReply.parse(await ask(ctx, signal.name, { type: 'ListSignals', afterSeq: after, limit: Math.min(LIST_SIGNALS_MAX, signal.seqId - 1 - after) })).instances;
      const below = page.filter((i) => i.seqId < signal.seqId);
      batch.push(...below);
      if (below.length === 0) break;
      after = below[below.length - 1]!.seqId;
    }
    batch.push(signal);
    let state = batch.length > 1 ? structuredClone(s) : s;
    const out: SignalTriggerEvent[] = [];
    for (const sig of batch) {
      const events = await arrived(ctx, state, sig);
      if (batch.length > 1) for (const ev of events) state = signalTriggerReducer.apply(state, ev).state;
      out.push(...events);
    }
    byName.set(signal.name, signal.seqId);
    return out;
  };

  const enqueue = async (ctx: ServiceContext, start: PendingStart): Promise<unknown> => {
    const wf = ctx.key.slice(SIGNAL_TRIGGER_KEY_PREFIX.length);
    const msg: EnqueueMessage = { type: 'Enqueue', version: start.version, params: {}, requestId: start.requestId, initiator: 'SIGNAL', trigger: start.trigger };
    if (start.runStrategy) msg.runStrategy = start.runStrategy;
    const ack = (m: Omit<AckMessage, 'type'>): void => {
      later(ctx, { type: 'Ack', ...m } satisfies Msg, (err: unknown) => ctx.log.debug({ err, key: ctx.key, requestId: start.requestId }, 'start acknowledgement not journaled; the next takeover re-sends the start'));
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const view = parseViewReply(queueKeyOf(wf), await ctx.transport.request(queueKeyOf(wf), msg, { timeoutMs: deps.requestTimeoutMs }));
        ack({ requestId: start.requestId, instanceId: view.instanceId });
        return view;
      } catch (err) {
        if (isRetryable(err) && attempt < ENQUEUE_ATTEMPTS) continue;
        if (isRetryable(err)) {
          ctx.log.warn({ err, key: ctx.key, requestId: start.requestId }, 'signal-triggered start not enqueued; the next Sync or takeover re-sends it');
          throw err;
        }
        const kind = err instanceof MaestroError ? err.kind : undefined;
        ctx.log.warn({ err, key: ctx.key, requestId: start.requestId, triggerUuid: start.trigger.triggerUuid }, 'signal-triggered start refused; it is dropped');
        ack({ requestId: start.requestId, error: (err as Error).message ?? String(err) });
        if (kind === 'not_found' || kind === 'failed_precondition') {
          // the workflow is gone or inactive: Maestro deletes the trigger; Sync does the same here
          ctx.post({ type: 'Sync' } satisfies Msg).catch((e: unknown) => ctx.log.warn({ err: e, key: ctx.key }, 'signal trigger Sync after a refused start failed'));
        }
        throw err;
      }
    }
  };

  const summary = (s: SignalTriggerState): SignalTriggersReply => ({
    workflowId: s.workflowId,
    triggers: Object.values(s.triggers).map((t) => ({ uuid: t.uuid, signals: [...t.signals], checkpoints: { ...t.checkpoints } })),
    pending: Object.keys(s.pending).length,
    fired: s.fired,
    skipped: s.skipped,
  });

  return {
    prefix: SIGNAL_TRIGGER_KEY_PREFIX,
    reducer: signalTriggerReducer,
    parse: parseSignalTriggerMessage,
    async toEvents(ctx, s, msg) {
      switch (msg.type) {
        case 'Sync':
          return sync(ctx, s);
        case 'SignalArrived':
          return arrivedInOrder(ctx, s, msg.signal);
        case 'Ack':
          if (!s.pending[msg.requestId]) return [];
          return [msg.error === undefined ? { t: 'acknowledged', atMs: ctx.now(), requestId: msg.requestId, instanceId: msg.instanceId! } : { t: 'acknowledged', atMs: ctx.now(), requestId: msg.requestId, error: msg.error }];
        case 'SignalTriggers':
          return [];
      }
    },
    run(ctx, f) {
      switch (f.f) {
        case 'enqueue':
          return enqueue(ctx, f.start);
        case 'sync':
          return ctx.post({ type: 'Sync' } satisfies Msg).catch((err: unknown) => {
            ctx.log.warn({ err, key: ctx.key }, 'signal trigger Sync after recovery failed; the next node start or definition change syncs');
          });
        case 'unsubscribe':
          return Promise.all(
            f.names.map((name) =>
              ask(ctx, name, { type: 'Unsubscribe', subscriber: ctx.key }).catch((err: unknown) => {
                ctx.log.warn({ err, key: ctx.key, signal: name }, 'signal unsubscribe failed; the store drops it at its next arrival');
              }),
            ),
          );
      }
    },
    reply(ctx, s, msg, out) {
      if (deps.metrics) {
        const started = out.events.reduce((n, e) => n + (e.t === 'fired' && e.start !== undefined ? 1 : 0), 0);
        if (started > 0) deps.metrics.triggerFired('signal', started);
      }
      switch (msg.type) {
        case 'Sync': {
          // Starts fired before and never acknowledged (a lost answer): re-send them (the queue dedups).
          for (const start of Object.values(s.pending)) enqueue(ctx, start).catch(() => undefined /* logged in enqueue */);
          return summary(s);
        }
        case 'SignalTriggers':
          return summary(s);
        default:
          return true;
      }
    },
  };
}
