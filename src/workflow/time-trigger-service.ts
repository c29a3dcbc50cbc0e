/**
 * Time triggers: a service actor kind (service-actor.ts) keyed `~cron/<workflowId>`, one per
 * workflow with time triggers. Pure logic in core/triggers (fire times, jitter, ids, planner,
 * reducer); this file reads the definitions, keeps the timer and sends the starts.
 *
 * - Sync (after a definition change, at node start, after a takeover) and Tick (the timer)
 *   both: read the ACTIVE version and the properties (DefinitionRegistry); subscribe, keep or
 *   end the subscription; plan every fire after each trigger's watermark that is earlier than
 *   now (at most `maxPerRound` across triggers, Maestro's max-triggers-per-message); journal
 *   them with the new watermarks (`fired`) BEFORE anything is sent.
 * - Each fire becomes an Enqueue to `~queue/<wf>` (initiator TIME, the trigger info, Maestro's
 *   request id, params {}), sent in order, `batchSize` at a time; the queue's answers are
 *   journaled as `acked`. The queue dedups the request id, so a fire re-sent after a crash or a
 *   takeover (`resume`) or a failed send (the next tick) starts one instance, cluster-wide.
 *   A refusal for good (workflow gone, bad version) drops the fire, with a log line.
 * - The timer: to the earliest next fire, at most `maxTickMs` (900 s) away; 0 when the round
 *   was capped (catch-up continues at once, once the round's starts were answered).
 * - The clock is `ctx.now()` (the node's, injectable); the timer waits in real time, so a test
 *   with a fake clock advances it and sends Sync or Tick itself.
 */
import { NotFoundError } from '../core/errors.js';
import type { TimeTrigger } from '../core/definition/model.js';
import { renderTimeTrigger } from '../core/definition/render.js';
import { queueKeyOf } from '../core/queue/model.js';
import { TIME_TRIGGER_KEY_PREFIX } from '../core/signals/model.js';
import {
  MAX_TICK_DELAY_MS,
  MAX_TRIGGERS_PER_ROUND,
  TRIGGER_BATCH_SIZE,
  advanceWatermarks,
  cronReducer,
  earliestFire,
  planFires,
  scheduleOf,
  timeFireRequestId,
  timeTriggerSetUuid,
  timeTriggerText,
  upcomingFires,
  workflowIdOfCronKey,
  type CronEffect,
  type CronEvent,
  type CronFire,
  type CronState,
  type CronSubscription,
} from '../core/triggers/index.js';
import { isRetryable } from '../retry/index.js';
import type { DefinitionRegistry } from './definitions.js';
import type { EnqueueMessage } from './queue-messages.js';
import type { EngineMetrics } from '../log/metrics.js';
import type { ServiceContext, ServiceKind } from './service-actor.js';
import { parseTimeTriggerMessage, type TimeTriggerMessage, type TimeTriggerSyncReply, type TimeTriggersReply, type TimeTriggerView } from './time-trigger-messages.js';

/** Posted by the actor to itself only (never on the wire): the queue answered these starts. */
interface AckMessage {
  type: 'Ack';
  requestIds: string[];
}
type Msg = TimeTriggerMessage | AckMessage;

export interface TimeTriggerServiceDeps {
  definitions: DefinitionRegistry;
  requestTimeoutMs: number;
  /** Fires per round (Maestro's max-triggers-per-message, default 100). */
  maxPerRound?: number;
  /** Starts acknowledged per journal write (Maestro's trigger-batch-size, 10). */
  batchSize?: number;
  /** Longest wait between ticks (Maestro's max-delay, 900 s). */
  maxTickMs?: number;
  /** Wait before a start that failed to reach the queue is sent again. */
  retryMs?: number;
  /** Counts fires (once each, when journaled); absent: none. */
  metrics?: EngineMetrics;
}

const DEFAULT_UPCOMING = 5;
const NO_FUTURE_FIRES = 'no future fires';

type Desired = { kind: 'none'; reason: string } | { kind: 'sub'; triggerUuid: string; version: number; triggers: TimeTrigger[] };

/** A trigger as plain data (no undefined fields: it is journaled). */
function plainTrigger(t: TimeTrigger): TimeTrigger {
  return JSON.parse(JSON.stringify(t)) as TimeTrigger;
}

export function timeTriggerServiceKind(deps: TimeTriggerServiceDeps): ServiceKind<CronState, CronEvent, CronEffect, Msg> {
  const maxPerRound = deps.maxPerRound ?? MAX_TRIGGERS_PER_ROUND;
  const batchSize = deps.batchSize ?? TRIGGER_BATCH_SIZE;
  const maxTickMs = deps.maxTickMs ?? MAX_TICK_DELAY_MS;
  const retryMs = deps.retryMs ?? 10_000;
  /** Per actor incarnation: its timer, the latest state it answered with, the starts in flight. */
  const timers = new WeakMap<ServiceContext, ReturnType<typeof setTimeout>>();
  const latest = new WeakMap<ServiceContext, CronState>();
  const inflight = new WeakMap<ServiceContext, Set<string>>();
  /** Actor incarnations whose last Tick could not read the definitions: the next waits at least retryMs. */
  const backoff = new WeakSet<ServiceContext>();
  /** Per actor incarnation: the start rounds still sending (a Sync answers once they are done). */
  const rounds = new WeakMap<ServiceContext, Set<Promise<number>>>();

  /** What the workflow's definitions say the subscription should be now. */
  const desired = async (workflowId: string): Promise<Desired> => {
    let h;
    try {
      h = await deps.definitions.header(workflowId);
    } catch (err) {
      if (err instanceof NotFoundError) return { kind: 'none', reason: 'workflow not found' };
      throw err;
    }
    if (!h.activeVersion) return { kind: 'none', reason: 'workflow has no active version' };
    const active = await deps.definitions.compiledVersion(workflowId, h.activeVersion);
    const triggers = active.request.workflow.timeTriggers;
    if (triggers.length === 0) return { kind: 'none', reason: 'the active version has no time triggers' };
    // properties are shared by all versions: the latest version's are in force
    const latestVersion = h.latestVersion === h.activeVersion ? active : await deps.definitions.compiledVersion(workflowId, h.latestVersion).catch((err: unknown) => {
      if (err instanceof NotFoundError) return active; // its record is not written (yet)
      throw err;
    });
    if (latestVersion.request.properties.timeTriggerDisabled) return { kind: 'none', reason: 'time_trigger_disabled' };
    return { kind: 'sub', triggerUuid: timeTriggerSetUuid(triggers), version: h.activeVersion, triggers: triggers.map(plainTrigger) };
  };

  const schedulesOf = (workflowId: string, sub: CronSubscription) => sub.triggers.map((t) => scheduleOf(t, workflowId));

  const plan = async (ctx: ServiceContext, s: CronState): Promise<CronEvent[]> => {
    const atMs = ctx.now();
    const d = await desired(s.workflowId);
    const events: CronEvent[] = [];
    let cur = s;
    const push = (ev: CronEvent) => {
      events.push(ev);
      cur = cronReducer.apply(cur, ev).state;
    };
    if (d.kind === 'none') {
      if (cur.sub) push({ t: 'unsubscribe', atMs, reason: d.reason });
      return events;
    }
    const exhausted = !cur.sub && cur.ended?.reason === NO_FUTURE_FIRES && cur.ended.triggerUuid === d.triggerUuid;
    if (exhausted) return events;
    if (!cur.sub || cur.sub.triggerUuid !== d.triggerUuid || cur.sub.version !== d.version) {
      push({ t: 'subscribe', atMs, triggerUuid: d.triggerUuid, version: d.version, triggers: d.triggers });
    }
    const sub = cur.sub!;
    const schedules = schedulesOf(s.workflowId, sub);
    const planned = planFires(schedules, sub.watermarks, atMs, maxPerRound);
    if (planned.length > 0) {
      const fires: CronFire[] = planned.map((p) => ({
        index: p.index,
        fireMs: p.fireMs,
        requestId: timeFireRequestId(s.workflowId, sub.triggers[p.index]!, p.fireMs),
        version: sub.version,
        triggerUuid: sub.triggerUuid,
        timezone: schedules[p.index]!.timezone,
      }));
      push({ t: 'fired', atMs, fires, watermarks: advanceWatermarks(sub.watermarks, planned) });
    }
    if (earliestFire(schedules, cur.sub!.watermarks) === undefined) push({ t: 'unsubscribe', atMs, reason: NO_FUTURE_FIRES, triggerUuid: sub.triggerUuid });
    return events;
  };

  const enqueueOf = (workflowId: string, f: CronFire): EnqueueMessage => ({
    type: 'Enqueue',
    version: f.version,
    params: {},
    requestId: f.requestId,
    initiator: 'TIME',
    trigger: { kind: 'TIME', triggerUuid: f.triggerUuid, triggerTimeMs: f.fireMs, timezone: f.timezone },
  });

  /** Sends `fires` in order (sendAll), tracked until done. */
  const start = (ctx: ServiceContext, fires: CronFire[]): Promise<number> => {
    let mine = rounds.get(ctx);
    if (!mine) rounds.set(ctx, (mine = new Set()));
    const p = sendAll(ctx, fires);
    mine.add(p);
    const done = () => mine.delete(p);
    p.then(done, done);
    return p;
  };

  /** Sends `fires` in order; acknowledges each batch; stops at a transient failure (the next tick resends). */
  const sendAll = async (ctx: ServiceContext, fires: CronFire[]): Promise<number> => {
    let busy = inflight.get(ctx);
    if (!busy) inflight.set(ctx, (busy = new Set()));
    const mine = fires.filter((f) => !busy.has(f.requestId));
    for (const f of mine) busy.add(f.requestId);
    const workflowId = workflowIdOfCronKey(ctx.key);
    let sent = 0;
    try {
      for (let i = 0; i < mine.length; i += batchSize) {
        const done: string[] = [];
        let stop = false;
        for (const f of mine.slice(i, i + batchSize)) {
          try {
            await ctx.transport.request(queueKeyOf(workflowId), enqueueOf(workflowId, f), { timeoutMs: deps.requestTimeoutMs });
            sent++;
            done.push(f.requestId);
          } catch (err) {
            if (isRetryable(err)) {
              ctx.log.warn({ err, key: ctx.key, fireMs: f.fireMs }, 'time trigger start not delivered; sent again later');
              stop = true;
              break;
            }
            ctx.log.warn({ err, key: ctx.key, fireMs: f.fireMs }, 'time trigger start refused by the queue owner; this fire is dropped');
            done.push(f.requestId);
          }
        }
        if (done.length > 0) await ctx.post({ type: 'Ack', requestIds: done } satisfies Msg);
        if (stop) break;
      }
    } finally {
      for (const f of mine) busy.delete(f.requestId);
    }
    return sent;
  };

  /** (Re)arms the actor's timer from the latest state: `soon` when a round was capped or starts wait to be resent. */
  const arm = (ctx: ServiceContext, soon?: number, atLeast = 0): void => {
    const old = timers.get(ctx);
    if (old !== undefined) clearTimeout(old);
    timers.delete(ctx);
    const s = latest.get(ctx);
    let delay: number | undefined = soon;
    if (s?.sub) {
      const next = earliestFire(schedulesOf(s.workflowId, s.sub), s.sub.watermarks);
      if (next !== undefined) delay = Math.min(delay ?? Infinity, Math.min(Math.max(0, next - ctx.now()), maxTickMs));
    }
    if (s && s.pending.length > 0) delay = Math.min(delay ?? Infinity, retryMs);
    if (delay === undefined || delay === Infinity) return;
    delay = Math.max(delay, atLeast);
    const t = setTimeout(() => {
      timers.delete(ctx);
      ctx.post({ type: 'Tick' } satisfies Msg).catch((err: unknown) => ctx.log.debug({ err, key: ctx.key }, 'time trigger timer stopped (the actor moved)'));
    }, delay);
    t.unref?.();
    timers.set(ctx, t);
  };

  const view = async (ctx: ServiceContext, s: CronState, upcoming: number): Promise<TimeTriggersReply> => {
    const nowMs = ctx.now();
    const out: TimeTriggersReply = { workflowId: s.workflowId, subscribed: s.sub !== undefined, pending: s.pending.length, nowMs, triggers: [] };
    let triggers: TimeTrigger[];
    if (s.sub) {
      triggers = s.sub.triggers;
      out.triggerUuid = s.sub.triggerUuid;
      out.version = s.sub.version;
      out.subscribedAtMs = s.sub.subscribedAtMs;
    } else {
      const d = await desired(s.workflowId);
      out.reason = s.ended?.reason ?? (d.kind === 'none' ? d.reason : 'not subscribed yet');
      if (d.kind === 'sub') triggers = d.triggers;
      else triggers = await activeTriggers(s.workflowId);
    }
    out.triggers = triggers.map((t, index): TimeTriggerView => {
      const sch = scheduleOf(t, s.workflowId);
      const watermark = s.sub?.watermarks[index];
      const v: TimeTriggerView = {
        index,
        definitionJson: JSON.stringify(renderTimeTrigger(t)),
        text: timeTriggerText(t),
        timezone: sch.timezone,
        jitterMs: sch.jitterMs,
        nextFiresMs: upcomingFires(sch, watermark ?? nowMs, upcoming),
      };
      if (watermark !== undefined) v.watermarkMs = watermark;
      return v;
    });
    return out;
  };

  /** The active version's time triggers whatever the subscription says (empty when there are none). */
  const activeTriggers = async (workflowId: string): Promise<TimeTrigger[]> => {
    try {
      const h = await deps.definitions.header(workflowId);
      if (!h.activeVersion) return [];
      return (await deps.definitions.compiledVersion(workflowId, h.activeVersion)).request.workflow.timeTriggers;
    } catch (err) {
      if (err instanceof NotFoundError) return [];
      throw err;
    }
  };

  return {
    prefix: TIME_TRIGGER_KEY_PREFIX,
    reducer: cronReducer,
    parse: parseTimeTriggerMessage,
    async toEvents(ctx, s, msg): Promise<CronEvent[]> {
      switch (msg.type) {
        case 'Sync':
          return plan(ctx, s);
        case 'Tick':
          // the timer's own message: a failure (definitions unreadable) is logged and retried
          // after retryMs, never a reason for the subscription to stop ticking
          try {
            return await plan(ctx, s);
          } catch (err) {
            ctx.log.warn({ err, key: ctx.key }, 'time trigger tick failed; retried');
            backoff.add(ctx);
            return [];
          }
        case 'Ack': {
          const pending = new Set(s.pending.map((f) => f.requestId));
          const ids = msg.requestIds.filter((id) => pending.has(id));
          return ids.length > 0 ? [{ t: 'acked', atMs: ctx.now(), requestIds: ids }] : [];
        }
        case 'TimeTriggerInfo':
          return [];
      }
    },
    async run(ctx, f) {
      switch (f.f) {
        case 'start':
          return start(ctx, f.fires);
        case 'sync': // as a Tick: a failure after a takeover is retried, not lost
          return ctx.post({ type: 'Tick' } satisfies Msg);
      }
    },
    reply(ctx, s, msg, out) {
      latest.set(ctx, s);
      switch (msg.type) {
        case 'Sync':
        case 'Tick': {
          const fired = out.events.reduce((n, e) => n + (e.t === 'fired' ? e.fires.length : 0), 0);
          if (fired > 0) deps.metrics?.triggerFired('time', fired);
          // starts this round did not send (a failed send before): send them again now
          const busy = inflight.get(ctx);
          const stale = s.pending.filter((f) => !busy?.has(f.requestId));
          const retried = stale.length > 0 ? start(ctx, stale) : Promise.resolve(0);
          // answer once every start due by now was answered (this round's, and any still sending)
          return Promise.allSettled([...out.results, retried, ...(rounds.get(ctx) ?? [])]).then((): TimeTriggerSyncReply => {
            const failed = backoff.delete(ctx);
            arm(ctx, fired >= maxPerRound ? 0 : undefined, failed ? retryMs : 0);
            return { subscribed: s.sub !== undefined, fired };
          });
        }
        case 'TimeTriggerInfo':
          return view(ctx, s, msg.upcoming ?? DEFAULT_UPCOMING);
        case 'Ack':
          return true;
      }
    },
  };
}
