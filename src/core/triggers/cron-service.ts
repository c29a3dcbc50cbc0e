/**
 * The time triggers of one workflow: a service actor (core/service) keyed `~cron/<workflowId>`
 * (TIME_TRIGGER_KEY_PREFIX, core/signals/model.ts). Maestro's one subscription message per
 * workflow (TimeTriggerExecution) becomes this actor's state:
 * - the subscription: the trigger-set uuid, the ACTIVE version it starts, the triggers and a
 *   watermark per trigger (the last fire time, jitter included). A new uuid starts every
 *   watermark at the subscription time (no backfill before it); the same uuid keeps them;
 * - the fires journaled but not yet acknowledged by the workflow's queue owner. A fire is
 *   journaled (with the watermarks it advances) BEFORE its start is sent, and re-sent after a
 *   takeover; the queue dedups its request id, so each fire time starts one instance.
 * Events carry the clock and every fact read outside (definitions), so `apply` is a pure fold.
 */
import type { TimeTrigger } from '../definition/model.js';
import type { ServiceReducer } from '../service/reducer.js';
import { TIME_TRIGGER_KEY_PREFIX } from '../signals/model.js';

export interface CronSubscription {
  /** Maestro's time-trigger uuid of the active version's triggers. */
  triggerUuid: string;
  /** The active version the fires start. */
  version: number;
  subscribedAtMs: number;
  triggers: TimeTrigger[];
  /** Per trigger (same index): the last fire time planned, or the subscription time. */
  watermarks: number[];
}

/** One fire: what its start carries. */
export interface CronFire {
  index: number;
  /** The scheduled time, jitter included (RUN_TS). */
  fireMs: number;
  requestId: string;
  version: number;
  triggerUuid: string;
  timezone: string;
}

export interface CronState {
  workflowId: string;
  sub?: CronSubscription;
  /** Fires journaled whose start the queue owner has not answered yet, oldest first. */
  pending: CronFire[];
  /** Why the last subscription ended (absent while subscribed or never subscribed). */
  ended?: { atMs: number; reason: string; triggerUuid?: string };
  /** Fires planned since this actor began (diagnostics). */
  firedTotal: number;
  seq: number;
}

export type CronEvent =
  /** Subscribe to the active version's triggers (a new uuid resets the watermarks to `atMs`). */
  | { t: 'subscribe'; atMs: number; triggerUuid: string; version: number; triggers: TimeTrigger[] }
  /** The subscription ends (workflow gone or inactive, time_trigger_disabled, no future fires). */
  | { t: 'unsubscribe'; atMs: number; reason: string; triggerUuid?: string }
  /** Fires planned at `atMs`; `watermarks` are the subscription's new ones. */
  | { t: 'fired'; atMs: number; fires: CronFire[]; watermarks: number[] }
  /** The queue owner answered these starts (or refused them for good). */
  | { t: 'acked'; atMs: number; requestIds: string[] };

export type CronEffect =
  /** Send these starts to the queue owner, in order (idempotent there by request id). */
  | { f: 'start'; fires: CronFire[] }
  /** Re-read the definitions and plan (after a takeover). */
  | { f: 'sync' };

export function workflowIdOfCronKey(key: string): string {
  return key.slice(TIME_TRIGGER_KEY_PREFIX.length);
}

export const cronReducer: ServiceReducer<CronState, CronEvent, CronEffect> = {
  initial(key: string): CronState {
    return { workflowId: workflowIdOfCronKey(key), pending: [], firedTotal: 0, seq: 0 };
  },

  /** Returns a new state (never mutates `s`: the service plans on folded copies). */
  apply(s: CronState, ev: CronEvent): { state: CronState; effects: CronEffect[] } {
    switch (ev.t) {
      case 'subscribe': {
        const same = s.sub !== undefined && s.sub.triggerUuid === ev.triggerUuid && s.sub.watermarks.length === ev.triggers.length;
        const sub: CronSubscription = same
          ? { ...s.sub!, version: ev.version, triggers: ev.triggers }
          : { triggerUuid: ev.triggerUuid, version: ev.version, subscribedAtMs: ev.atMs, triggers: ev.triggers, watermarks: ev.triggers.map(() => ev.atMs) };
        const { ended: _ended, ...rest } = s;
        return { state: { ...rest, sub }, effects: [] };
      }
      case 'unsubscribe': {
        const { sub: _sub, ...rest } = s;
        const ended: NonNullable<CronState['ended']> = { atMs: ev.atMs, reason: ev.reason };
        if (ev.triggerUuid !== undefined) ended.triggerUuid = ev.triggerUuid;
        return { state: { ...rest, ended }, effects: [] };
      }
      case 'fired': {
        const sub = s.sub ? { ...s.sub, watermarks: ev.watermarks } : undefined;
        const next: CronState = { ...s, pending: [...s.pending, ...ev.fires], firedTotal: s.firedTotal + ev.fires.length };
        if (sub) next.sub = sub;
        return { state: next, effects: ev.fires.length > 0 ? [{ f: 'start', fires: ev.fires }] : [] };
      }
      case 'acked': {
        const done = new Set(ev.requestIds);
        return { state: { ...s, pending: s.pending.filter((f) => !done.has(f.requestId)) }, effects: [] };
      }
    }
  },

  resume(s: CronState): CronEffect[] {
    const fx: CronEffect[] = [];
    if (s.pending.length > 0) fx.push({ f: 'start', fires: s.pending });
    fx.push({ f: 'sync' });
    return fx;
  },
};
