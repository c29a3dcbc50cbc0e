/**
 * The signal store of one name, `~signal/<name>` (maestro-semantics §8.1–8.3, §13 items 9–10):
 * a service reducer (core/service/reducer.ts). `apply` owns the state it is given (the service
 * actor holds the only reference) and updates it in place.
 *
 * State (plain data; record keys are prefixed so no user string is ever `__proto__`):
 * - `instances`: every stored signal, seq_id = index + 1, kept forever (Maestro matches a step
 *   dependency against any signal ever announced). The name is not repeated per instance.
 * - `dedup`: instance id -> seq (Maestro's unique index on (name, instance_id)).
 * - `eq`: per param, value -> the seqs holding it (ascending): an `=` match reads one list.
 *   A match with only range params scans the instances (oldest or newest first).
 * - `waits`: the step waits registered here, by waiter id. A wait not yet matched is indexed in
 *   `waitEq` under one of its `=` params (the first by key), or in `waitAny` when it has none,
 *   so an arriving signal looks only at the waits indexed under its own param values plus
 *   `waitAny`, never at every wait. A matched wait leaves the index and keeps `matched` (the
 *   seq it was told about) until its instance acknowledges the notice (event `unwait`).
 * - `subs`: subscribed trigger actors with the last seq they acknowledged (contiguously) and
 *   the acknowledged seqs beyond it.
 *
 * Events carry every outside fact: the computed instance id, the create and request times.
 * Effects: `matched` (SignalMatched to a waiting instance), `arrived` (SignalArrived to a
 * subscriber), `publish` (the stored instance to plain NATS subscribers). `resume` re-sends the
 * notices a crash may have cut short: every matched-but-unacknowledged wait, and to each
 * subscriber every signal after the last it acknowledged (receivers are idempotent).
 */
import type { ServiceReducer } from '../service/reducer.js';
import { satisfies, SIGNAL_KEY_PREFIX, waiterIdOf, type SignalInstance, type SignalMatches, type SignalValue, type SignalWaiter } from './model.js';

/** A stored signal without its name and seq (both implied). */
export interface StoredSignal {
  instanceId: string;
  params: Record<string, SignalValue>;
  payload: Record<string, unknown>;
  requestTimeMs: number;
  createTimeMs: number;
}

export interface StoredWait {
  waiter: SignalWaiter;
  match: SignalMatches;
  /** The seq the instance was told about; absent while waiting. */
  matched?: number;
}

export interface Subscriber {
  /** Every seq <= acked was acknowledged. */
  acked: number;
  /** Acknowledged seqs above acked + 1 (notices run concurrently and may finish out of order). */
  ahead: number[];
}

export interface SignalStoreState {
  seq: number;
  name: string;
  instances: StoredSignal[];
  /** 'i:' + instance id -> seq. */
  dedup: Record<string, number>;
  /** 'p:' + param -> valueKey -> ascending seqs. */
  eq: Record<string, Record<string, number[]>>;
  /** waiter id -> wait. */
  waits: Record<string, StoredWait>;
  /** 'p:' + param -> valueKey -> waiter ids (as keys). */
  waitEq: Record<string, Record<string, Record<string, 1>>>;
  /** Waiting waits with no `=` param. */
  waitAny: Record<string, 1>;
  /** Trigger actor key -> its acknowledgements. */
  subs: Record<string, Subscriber>;
}

export type SignalStoreEvent =
  /** A new (not duplicate: checked before journaling) signal; its seq is instances.length + 1. */
  | { t: 'signal'; signal: StoredSignal }
  /** A step wait registered (no stored signal matched it when registered). */
  | { t: 'wait'; waiter: SignalWaiter; match: SignalMatches }
  /** A wait removed: the step no longer waits, or its instance took the notice of `seqId` (or is gone). */
  | { t: 'unwait'; waiterId: string; seqId?: number }
  | { t: 'subscribe'; subscriber: string }
  | { t: 'unsubscribe'; subscriber: string }
  /** A subscriber took the notice of `seqId`. */
  | { t: 'acked'; subscriber: string; seqId: number };

export type SignalStoreEffect =
  | { f: 'matched'; waiterId: string; waiter: SignalWaiter; signal: SignalInstance }
  | { f: 'arrived'; subscriber: string; signal: SignalInstance }
  | { f: 'publish'; signal: SignalInstance };

const P = 'p:';
const I = 'i:';

/** A param value as an index key: strings and longs never collide (a string never matches a long). */
export function valueKey(v: SignalValue): string {
  return typeof v === 'string' ? `s:${v}` : `n:${v}`;
}

export function dedupKeyOf(instanceId: string): string {
  return I + instanceId;
}

export function emptySignalStore(name: string): SignalStoreState {
  return { seq: 0, name, instances: [], dedup: {}, eq: {}, waits: {}, waitEq: {}, waitAny: {}, subs: {} };
}

export function latestSeq(s: SignalStoreState): number {
  return s.instances.length;
}

/** The stored signal `seqId` as a SignalInstance, or undefined. */
export function instanceAt(s: SignalStoreState, seqId: number): SignalInstance | undefined {
  const st = Number.isSafeInteger(seqId) && seqId >= 1 ? s.instances[seqId - 1] : undefined;
  return st && { name: s.name, seqId, ...st };
}

/** The seq of the stored signal with this instance id (dedup), or undefined. */
export function seqOfInstanceId(s: SignalStoreState, instanceId: string): number | undefined {
  return Object.hasOwn(s.dedup, dedupKeyOf(instanceId)) ? s.dedup[dedupKeyOf(instanceId)] : undefined;
}

/** Instances with seq > afterSeq, oldest first, at most `limit`. */
export function listAfter(s: SignalStoreState, afterSeq: number, limit: number): SignalInstance[] {
  const out: SignalInstance[] = [];
  for (let seq = Math.max(0, afterSeq) + 1; seq <= s.instances.length && out.length < limit; seq++) out.push(instanceAt(s, seq)!);
  return out;
}

/** First index in ascending `a` whose value is > x. */
function upperBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A stored signal with seq > afterSeq satisfying `match`: the oldest when `oldest`, else the
 * newest. With an `=` param it reads only that value's seqs (the shortest list of them).
 */
export function findSignal(s: SignalStoreState, match: SignalMatches, afterSeq: number, oldest: boolean): number | undefined {
  const keys = Object.keys(match);
  let candidates: readonly number[] | undefined;
  for (const k of keys) {
    const m = match[k]!;
    if (m.operator !== '=') continue;
    const list = (Object.hasOwn(s.eq, P + k) ? s.eq[P + k]![valueKey(m.value)] : undefined) ?? [];
    if (candidates === undefined || list.length < candidates.length) candidates = list;
    if (list.length === 0) return undefined;
  }
  const test = (seq: number) => keys.length === 0 || satisfies(s.instances[seq - 1]!.params, match);
  if (candidates !== undefined) {
    const from = upperBound(candidates, afterSeq);
    if (oldest) {
      for (let i = from; i < candidates.length; i++) if (test(candidates[i]!)) return candidates[i];
    } else {
      for (let i = candidates.length - 1; i >= from; i--) if (test(candidates[i]!)) return candidates[i];
    }
    return undefined;
  }
  const n = s.instances.length;
  if (oldest) {
    for (let seq = Math.max(0, afterSeq) + 1; seq <= n; seq++) if (test(seq)) return seq;
  } else {
    for (let seq = n; seq > afterSeq; seq--) if (test(seq)) return seq;
  }
  return undefined;
}

/** The `=` param a wait is indexed under (the first by key), or undefined. */
function waitIndexParam(match: SignalMatches): string | undefined {
  return Object.keys(match)
    .sort()
    .find((k) => match[k]!.operator === '=');
}

function indexWait(s: SignalStoreState, id: string, match: SignalMatches): void {
  const k = waitIndexParam(match);
  if (k === undefined) {
    s.waitAny[id] = 1;
    return;
  }
  const byValue = (s.waitEq[P + k] ??= {});
  (byValue[valueKey(match[k]!.value)] ??= {})[id] = 1;
}

function unindexWait(s: SignalStoreState, id: string, match: SignalMatches): void {
  const k = waitIndexParam(match);
  if (k === undefined) {
    delete s.waitAny[id];
    return;
  }
  const byValue = s.waitEq[P + k];
  const vk = valueKey(match[k]!.value);
  const ids = byValue?.[vk];
  if (!byValue || !ids) return;
  delete ids[id];
  if (isEmpty(ids)) delete byValue[vk];
  // The param's own map stays even when empty (bounded by the param names ever waited on):
  // finding out whether it is empty would list its keys, and it may hold 10,000s of values.
}

/** Whether an object has no own key, without listing them (an index may hold 10,000s of values). */
function isEmpty(o: object): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return false;
  return true;
}

/** The waiting waits a signal with these params may satisfy (by the index), to be tested. */
function candidateWaits(s: SignalStoreState, params: Readonly<Record<string, SignalValue>>): string[] {
  const out = Object.keys(s.waitAny);
  for (const [k, v] of Object.entries(params)) {
    const ids = Object.hasOwn(s.waitEq, P + k) ? s.waitEq[P + k]![valueKey(v)] : undefined;
    if (ids) for (const id of Object.keys(ids)) out.push(id);
  }
  return out;
}

function ack(sub: Subscriber, seqId: number): void {
  if (seqId <= sub.acked || sub.ahead.includes(seqId)) return;
  sub.ahead.push(seqId);
  sub.ahead.sort((a, b) => a - b);
  while (sub.ahead.length > 0 && sub.ahead[0] === sub.acked + 1) {
    sub.acked++;
    sub.ahead.shift();
  }
}

function storeSignal(s: SignalStoreState, sig: StoredSignal, fx: SignalStoreEffect[]): void {
  s.instances.push(sig);
  const seqId = s.instances.length;
  s.dedup[dedupKeyOf(sig.instanceId)] = seqId;
  for (const [k, v] of Object.entries(sig.params)) {
    const byValue = (s.eq[P + k] ??= {});
    (byValue[valueKey(v)] ??= []).push(seqId);
  }
  const signal = instanceAt(s, seqId)!;
  for (const id of candidateWaits(s, sig.params)) {
    const w = s.waits[id];
    if (!w || w.matched !== undefined || !satisfies(sig.params, w.match)) continue;
    unindexWait(s, id, w.match);
    w.matched = seqId;
    fx.push({ f: 'matched', waiterId: id, waiter: w.waiter, signal });
  }
  for (const subscriber of Object.keys(s.subs)) fx.push({ f: 'arrived', subscriber, signal });
  fx.push({ f: 'publish', signal });
}

export const signalStoreReducer: ServiceReducer<SignalStoreState, SignalStoreEvent, SignalStoreEffect> = {
  initial(key: string): SignalStoreState {
    return emptySignalStore(key.startsWith(SIGNAL_KEY_PREFIX) ? key.slice(SIGNAL_KEY_PREFIX.length) : key);
  },

  apply(s, ev) {
    const fx: SignalStoreEffect[] = [];
    switch (ev.t) {
      case 'signal':
        storeSignal(s, ev.signal, fx);
        break;
      case 'wait': {
        const id = waiterIdOf(ev.waiter);
        const old = s.waits[id];
        if (old && old.matched === undefined) unindexWait(s, id, old.match);
        s.waits[id] = { waiter: ev.waiter, match: ev.match };
        indexWait(s, id, ev.match);
        break;
      }
      case 'unwait': {
        const w = s.waits[ev.waiterId];
        if (!w) break;
        if (w.matched === undefined) unindexWait(s, ev.waiterId, w.match);
        delete s.waits[ev.waiterId];
        break;
      }
      case 'subscribe':
        if (!Object.hasOwn(s.subs, ev.subscriber)) s.subs[ev.subscriber] = { acked: s.instances.length, ahead: [] };
        break;
      case 'unsubscribe':
        delete s.subs[ev.subscriber];
        break;
      case 'acked': {
        const sub = Object.hasOwn(s.subs, ev.subscriber) ? s.subs[ev.subscriber] : undefined;
        if (sub) ack(sub, ev.seqId);
        break;
      }
    }
    return { state: s, effects: fx };
  },

  resume(s) {
    const fx: SignalStoreEffect[] = [];
    for (const [waiterId, w] of Object.entries(s.waits)) {
      if (w.matched !== undefined) fx.push({ f: 'matched', waiterId, waiter: w.waiter, signal: instanceAt(s, w.matched)! });
    }
    for (const [subscriber, sub] of Object.entries(s.subs)) {
      for (let seq = sub.acked + 1; seq <= s.instances.length; seq++) {
        if (!sub.ahead.includes(seq)) fx.push({ f: 'arrived', subscriber, signal: instanceAt(s, seq)! });
      }
    }
    return fx;
  },
};
