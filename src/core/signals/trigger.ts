/**
 * The signal triggers of one workflow (maestro-semantics §9): a service actor keyed
 * `~sigtrig/<workflowId>` (src/workflow/signal-trigger-service.ts runs it). Pure part here:
 * its state, events, effects and reducer, and the matching rules of a signal arrival.
 *
 * - A trigger is known by its uuid (Maestro: UUID(trigger.toString()); here a name-based UUID
 *   of the trigger's canonical JSON, `canonicalJson`), so an unchanged trigger keeps its
 *   checkpoints across versions.
 * - `subscribed` carries each store's latest seq at subscription as the checkpoints: signals
 *   announced earlier never fire the trigger.
 * - `fired` moves every checkpoint of the trigger to the matched seqs (consumed once). It
 *   carries the start to enqueue, or why there is none (condition false, an evaluation error):
 *   the signals stay consumed either way, as in Maestro.
 * - A start stays `pending` until the queue owner acknowledged it (`acknowledged`); `resume`
 *   re-sends the pending ones (the queue dedups by request id: exactly one instance).
 * Every outside fact (store seqs, the matched signals, the evaluated params, the active version)
 * is in the events, so replay is a pure fold.
 */
import type { RunStrategy } from '../definition/model.js';
import type { SignalTrigger } from '../definition/model.js';
import type { ServiceReducer } from '../service/reducer.js';
import { SIGNAL_TRIGGER_KEY_PREFIX, satisfies, type SignalInstance, type SignalMatches, type SignalValue, type TriggerInfo } from './model.js';

export type SignalTriggerInfo = TriggerInfo & { kind: 'SIGNAL' };

/** One subscribed trigger. */
export interface SubscribedTrigger {
  uuid: string;
  definition: SignalTrigger;
  /** Its signal names, sorted (Maestro's `signals[]`). */
  signals: string[];
  /** name -> the last consumed (or, at first, the latest at subscription) seq. */
  checkpoints: Record<string, number>;
  subscribedAtMs: number;
}

/** A start the trigger fired and the queue owner has not acknowledged yet. */
export interface PendingStart {
  requestId: string;
  /** The ACTIVE version when it fired. */
  version: number;
  trigger: SignalTriggerInfo;
  firedAtMs: number;
  /** The run strategy in force when it fired (spares the queue owner a definitions read). */
  runStrategy?: RunStrategy;
}

export interface SignalTriggerState {
  workflowId: string;
  /** By trigger uuid. */
  triggers: Record<string, SubscribedTrigger>;
  /** By request id. */
  pending: Record<string, PendingStart>;
  /** How many times each trigger fired a start / was skipped (diagnostics). */
  fired: number;
  skipped: number;
  seq: number;
}

export type SignalTriggerEvent =
  /** A trigger of the active version, subscribed at the stores of its signals (their latest seqs). */
  | { t: 'subscribed'; atMs: number; uuid: string; definition: SignalTrigger; checkpoints: Record<string, number> }
  /** A trigger no longer active (new version without it, workflow deleted or inactive, triggers disabled). */
  | { t: 'unsubscribed'; atMs: number; uuid: string; reason: string }
  /**
   * The trigger matched a set of signals: its checkpoints move to `signalIds`. `start` is the
   * run to enqueue; without it `skipped` says why none (the signals stay consumed).
   */
  | { t: 'fired'; atMs: number; uuid: string; signalIds: Record<string, number>; start?: PendingStart; skipped?: string }
  /** The queue owner answered the start (`instanceId`), or refused it for good (`error`). */
  | { t: 'acknowledged'; atMs: number; requestId: string; instanceId?: number; error?: string };

export type SignalTriggerEffect =
  /** Enqueue the start at `~queue/<workflowId>` (idempotent there by request id). */
  | { f: 'enqueue'; start: PendingStart }
  /** Tell these signal stores to stop notifying this actor (no trigger uses their name any more). */
  | { f: 'unsubscribe'; names: string[] }
  /** After recovery: Sync with the active version (a Sync lost in the crash heals). */
  | { f: 'sync' };

export function workflowIdOfSignalTriggerKey(key: string): string {
  return key.slice(SIGNAL_TRIGGER_KEY_PREFIX.length);
}

/** Signal names of a trigger, sorted. */
export function signalNamesOf(trigger: SignalTrigger): string[] {
  return Object.keys(trigger.definitions).sort();
}

/** Names used by the subscribed triggers. */
export function subscribedNames(s: SignalTriggerState): Set<string> {
  const out = new Set<string>();
  for (const t of Object.values(s.triggers)) for (const n of t.signals) out.add(n);
  return out;
}

export const signalTriggerReducer: ServiceReducer<SignalTriggerState, SignalTriggerEvent, SignalTriggerEffect> = {
  initial(key) {
    return { workflowId: workflowIdOfSignalTriggerKey(key), triggers: {}, pending: {}, fired: 0, skipped: 0, seq: 0 };
  },
  apply(s, ev) {
    switch (ev.t) {
      case 'subscribed': {
        const trigger: SubscribedTrigger = {
          uuid: ev.uuid,
          definition: ev.definition,
          signals: signalNamesOf(ev.definition),
          checkpoints: { ...ev.checkpoints },
          subscribedAtMs: ev.atMs,
        };
        return { state: { ...s, triggers: { ...s.triggers, [ev.uuid]: trigger } }, effects: [] };
      }
      case 'unsubscribed': {
        const gone = s.triggers[ev.uuid];
        if (!gone) return { state: s, effects: [] };
        const triggers = { ...s.triggers };
        delete triggers[ev.uuid];
        const next = { ...s, triggers };
        const still = subscribedNames(next);
        const names = gone.signals.filter((n) => !still.has(n));
        return { state: next, effects: names.length > 0 ? [{ f: 'unsubscribe', names }] : [] };
      }
      case 'fired': {
        // toEvents only fires subscribed triggers; should one be gone, its start still stands.
        const t = s.triggers[ev.uuid];
        let next: SignalTriggerState = s;
        if (t) {
          const checkpoints = { ...t.checkpoints };
          for (const [name, seq] of Object.entries(ev.signalIds)) checkpoints[name] = Math.max(checkpoints[name] ?? 0, seq);
          next = { ...s, triggers: { ...s.triggers, [ev.uuid]: { ...t, checkpoints } } };
        }
        if (!ev.start) return { state: { ...next, skipped: s.skipped + 1 }, effects: [] };
        return {
          state: { ...next, fired: s.fired + 1, pending: { ...s.pending, [ev.start.requestId]: ev.start } },
          effects: [{ f: 'enqueue', start: ev.start }],
        };
      }
      case 'acknowledged': {
        if (!s.pending[ev.requestId]) return { state: s, effects: [] };
        const pending = { ...s.pending };
        delete pending[ev.requestId];
        return { state: { ...s, pending }, effects: [] };
      }
    }
  },
  resume(s) {
    const effects: SignalTriggerEffect[] = Object.values(s.pending).map((start) => ({ f: 'enqueue', start }));
    if (Object.keys(s.triggers).length > 0) effects.push({ f: 'sync' });
    return effects;
  },
};

/** One look-up at another signal's store (Maestro's `tryExecuteTrigger` step 4). */
export interface FindQuery {
  name: string;
  afterSeq: number;
  match: SignalMatches;
  /** Without any match param Maestro takes the oldest instance (ORDER BY seq_id), else any. */
  oldest: boolean;
}

/**
 * What an arriving `signal` needs for trigger `t` to fire: undefined when it cannot (already
 * consumed, its match_params do not hold, a join key is missing), else the look-ups for every
 * other signal of the trigger (join_keys matched by position with '=' and the same type).
 */
export function arrivalQueries(t: SubscribedTrigger, signal: SignalInstance): FindQuery[] | undefined {
  const def = t.definition.definitions[signal.name];
  if (!def) return undefined;
  if (signal.seqId <= (t.checkpoints[signal.name] ?? 0)) return undefined;
  if (!satisfies(signal.params, matchesOf(def.matchParams))) return undefined;
  const joinValues: SignalValue[] = [];
  for (const key of def.joinKeys) {
    if (!Object.hasOwn(signal.params, key)) return undefined;
    joinValues.push(signal.params[key]!);
  }
  const queries: FindQuery[] = [];
  for (const name of t.signals) {
    if (name === signal.name) continue;
    const other = t.definition.definitions[name]!;
    const match = matchesOf(other.matchParams);
    other.joinKeys.forEach((key, i) => {
      match[key] = { value: joinValues[i]!, operator: '=' };
    });
    queries.push({ name, afterSeq: t.checkpoints[name] ?? 0, match, oldest: Object.keys(match).length === 0 });
  }
  return queries;
}

function matchesOf(params: SignalTrigger['definitions'][string]['matchParams']): SignalMatches {
  const out: SignalMatches = {};
  for (const [k, m] of Object.entries(params)) out[k] = { value: m.value as SignalValue, operator: m.operator };
  return out;
}

/** The matched set: the arriving signal and one found instance per other name. */
export function matchedSet(signals: readonly SignalInstance[]): { signalIds: Record<string, number>; signalParams: Record<string, Record<string, SignalValue>> } {
  const signalIds: Record<string, number> = {};
  const signalParams: Record<string, Record<string, SignalValue>> = {};
  for (const s of [...signals].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    signalIds[s.name] = s.seqId;
    signalParams[s.name] = { ...s.params };
  }
  return { signalIds, signalParams };
}

/** JSON with object keys sorted at every level (a stable text for name-based uuids). */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}
