/**
 * Signals (maestro-semantics §8–9): the data model and the messages between the actors that
 * store them, the instances that wait on them or announce them, and the triggers they fire.
 *
 * Actors (all service actors, src/workflow/service-actor.ts: hashed, owned, fenced, journaled):
 * - `~signal/<name>`: the store of one signal name. Numbers its instances 1, 2, 3 … (seq_id),
 *   dedups them as Maestro, indexes their params, holds the step waits registered on the name
 *   and the triggers subscribed to it, and notifies both when a signal arrives.
 * - `~sigtrig/<workflowId>`: the signal triggers of one workflow (checkpoints per trigger),
 *   started from the ACTIVE version's `signal_triggers`.
 * - `~cron/<workflowId>`: the time triggers of one workflow (a watermark per trigger).
 *
 * This file is the contract the three sides share; each side checks what it receives.
 */
import type { SignalMatchParam as DefinitionMatchParam } from '../definition/model.js';

export const SIGNAL_KEY_PREFIX = '~signal/';
export const SIGNAL_TRIGGER_KEY_PREFIX = '~sigtrig/';
export const TIME_TRIGGER_KEY_PREFIX = '~cron/';

export function signalKeyOf(name: string): string {
  return `${SIGNAL_KEY_PREFIX}${name}`;
}
export function signalTriggerKeyOf(workflowId: string): string {
  return `${SIGNAL_TRIGGER_KEY_PREFIX}${workflowId}`;
}
export function timeTriggerKeyOf(workflowId: string): string {
  return `${TIME_TRIGGER_KEY_PREFIX}${workflowId}`;
}

/** A signal param: a long (safe integer; 1.5 is read as 1, as Maestro's asLong) or a string. */
export type SignalValue = number | string;
export type SignalOperator = DefinitionMatchParam['operator'];

/** Where an output signal came from (Maestro's SignalInstanceSource, put in payload.signal_source). */
export interface SignalSource {
  workflowId: string;
  instanceId: number;
  runId: number;
  stepId: string;
  attempt: number;
  stepInstanceUuid: string;
}

/** A stored signal (Maestro's SignalInstance). */
export interface SignalInstance {
  name: string;
  /** 1, 2, 3 … per name. */
  seqId: number;
  /** The dedup id: the request id, else Maestro's UUID of {name, params sorted, request_time 0}. */
  instanceId: string;
  params: Record<string, SignalValue>;
  payload: Record<string, unknown>;
  requestTimeMs: number;
  createTimeMs: number;
}

/** What an announcer sends (gRPC, NATS, CLI, a step's signal_outputs). */
export interface SignalRequest {
  params: Record<string, SignalValue>;
  payload: Record<string, unknown>;
  requestId?: string;
  /** Default: the time the store receives it. */
  requestTimeMs?: number;
}

/** One match condition: `signal_value OP value`; a string never matches a long. */
export interface SignalMatch {
  value: SignalValue;
  operator: SignalOperator;
}
export type SignalMatches = Record<string, SignalMatch>;

/** A step's wait on one of its signal dependencies (instance side registers it). */
export interface SignalWaiter {
  instanceKey: string;
  runId: number;
  stepId: string;
  /** 0-based index in the step's signal_dependencies. */
  index: number;
}

export function waiterIdOf(w: SignalWaiter): string {
  return `${w.instanceKey}#${w.runId}#${w.stepId}#${w.index}`;
}

/** Messages to `~signal/<name>`. */
export type SignalStoreMessage =
  /** Store a signal; answers AnnounceReply (a duplicate answers the stored one, `duplicate: true`). */
  | { type: 'Announce'; signal: SignalRequest; source?: SignalSource }
  /** One instance by seq (latest when absent); NotFoundError when there is none. */
  | { type: 'GetSignal'; seqId?: number }
  /** Instances with seq > afterSeq, oldest first, at most `limit` (default 100); answers ListSignalsReply. */
  | { type: 'ListSignals'; afterSeq?: number; limit?: number }
  /**
   * Register a step's wait. Answers WaitReply: `matched` when some stored signal (any, ever)
   * satisfies `match` now (then nothing is registered); else the wait is registered (idempotent
   * by waiter id) and a SignalMatched notice goes to the instance when a signal arrives.
   */
  | { type: 'Wait'; waiter: SignalWaiter; match: SignalMatches }
  /** Forget a wait (the step ended, was skipped or bypassed). Answers true. */
  | { type: 'Unwait'; waiter: SignalWaiter }
  /**
   * For trigger evaluation: an instance with seq > afterSeq satisfying `match`; the oldest when
   * `oldest`, else any. Answers FindReply.
   */
  | { type: 'Find'; afterSeq: number; match: SignalMatches; oldest: boolean }
  /** Subscribe a trigger actor (its key) to this name; answers SubscribeReply (the current latest seq). Idempotent. */
  | { type: 'Subscribe'; subscriber: string }
  | { type: 'Unsubscribe'; subscriber: string };

export interface AnnounceReply {
  instance: SignalInstance;
  duplicate: boolean;
}
export interface ListSignalsReply {
  instances: SignalInstance[];
  latestSeq: number;
}
export interface WaitReply {
  matched?: SignalInstance;
}
export interface FindReply {
  instance?: SignalInstance;
}
export interface SubscribeReply {
  latestSeq: number;
}

/** Sent by `~signal/<name>` to a waiting instance (its actor key); idempotent there. */
export interface SignalMatchedMessage {
  type: 'SignalMatched';
  runId: number;
  stepId: string;
  index: number;
  signal: SignalInstance;
}

/** Sent by `~signal/<name>` to each subscribed trigger actor when a signal is stored; idempotent there. */
export interface SignalArrivedMessage {
  type: 'SignalArrived';
  signal: SignalInstance;
}

/**
 * Maestro's SignalMatchParam.isSatisfied: the signal must have the param with the same type
 * (string vs long), and `signal_value OP value` holds (strings compare lexicographically).
 */
export function satisfies(params: Readonly<Record<string, SignalValue>>, match: SignalMatches): boolean {
  for (const [key, m] of Object.entries(match)) {
    if (!Object.hasOwn(params, key)) return false;
    const v = params[key]!;
    if (typeof v !== typeof m.value) return false;
    const c = v < m.value ? -1 : v > m.value ? 1 : 0;
    switch (m.operator) {
      case '=':
        if (c !== 0) return false;
        break;
      case '<':
        if (c >= 0) return false;
        break;
      case '<=':
        if (c > 0) return false;
        break;
      case '>':
        if (c <= 0) return false;
        break;
      case '>=':
        if (c < 0) return false;
        break;
    }
  }
  return true;
}

/** How a triggered start tells the instance what started it (initiator details, Maestro's TimeInitiator / SignalInitiator). */
export type TriggerInfo =
  | {
      kind: 'TIME';
      triggerUuid: string;
      /** The scheduled fire time (jitter included): RUN_TS. */
      triggerTimeMs: number;
      timezone: string;
    }
  | {
      kind: 'SIGNAL';
      triggerUuid: string;
      /** name -> seq of the matched instance (Maestro's signal_id_map). */
      signalIds: Record<string, number>;
      /** name -> params of the matched instance: getFromSignal(name, param). */
      signalParams: Record<string, Record<string, SignalValue>>;
      /** The trigger's evaluated params: getFromSignal(param). */
      params: Record<string, unknown>;
    };
