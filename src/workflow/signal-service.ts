/**
 * The signal store of one name: a service actor kind (service-actor.ts) keyed `~signal/<name>`.
 * Pure logic in core/signals/store.ts; this file turns messages into its events and performs
 * its effects.
 *
 * - Announce: the request is checked and read as Maestro does (core/signals/encode.ts), its
 *   instance id computed (the request_id, else the type-3 UUID of Maestro's dedup JSON) and the
 *   create/request times taken, all before journaling. A known instance id journals nothing and
 *   answers the stored instance with `duplicate: true`.
 * - Notices are effects, retried with backoff while they fail with a retryable error and the
 *   store lives here:
 *   SignalMatched to a waiting instance — once it answers (or is gone: NOT_FOUND) the wait is
 *   dropped through a self-posted message (journaled); SignalArrived to a subscribed trigger
 *   actor — its answer is journaled as an acknowledgement. After a takeover, `resume` re-sends
 *   what was not acknowledged (receivers are idempotent).
 * - Stored instances are handed to `publish` (the cluster node publishes them as JSON on
 *   `maestro.signal-instances.<encoded name>`); fire-and-forget, not re-sent after a crash.
 */
import { NotFoundError, ValidationError } from '../core/errors.js';
import { checkSignalName, dedupKeyJson, normalizeSignalRequest } from '../core/signals/encode.js';
import { javaNameUuid } from '../core/java-compat.js';
import { SIGNAL_KEY_PREFIX, waiterIdOf, type AnnounceReply, type FindReply, type ListSignalsReply, type SignalArrivedMessage, type SignalInstance, type SignalMatchedMessage, type SignalMatches, type SignalRequest, type SignalSource, type SignalStoreMessage, type SubscribeReply, type WaitReply } from '../core/signals/model.js';
import {
  findSignal,
  instanceAt,
  latestSeq,
  listAfter,
  seqOfInstanceId,
  signalStoreReducer,
  type SignalStoreEffect,
  type SignalStoreEvent,
  type SignalStoreState,
  type StoredSignal,
} from '../core/signals/store.js';
import { isRetryable } from '../retry/index.js';
import { LIST_SIGNALS_DEFAULT } from './signal-messages.js';
import { parseSignalMessage } from './signal-messages.js';
import { deferredPoster, type ServiceContext, type ServiceKind } from './service-actor.js';
import type { EngineMetrics } from '../log/metrics.js';

/** Acknowledgements of notices are journaled together this much later (deferredPoster). */
const ACK_DELAY_MS = 20;

/** Posted by the store to itself only (never on the wire): what a notice's receiver answered. */
type NoticeMessage =
  /** The instance took the SignalMatched notice of `seqId`, or is gone: the wait is dropped. */
  | { type: 'WaitDone'; waiterId: string; seqId: number }
  /** The subscriber took the SignalArrived notice of `seqId`. */
  | { type: 'ArrivedTaken'; subscriber: string; seqId: number }
  /** A probe: rejected once this actor stopped (its partition moved), so a notice loop ends. */
  | { type: 'Alive' };
type Msg = SignalStoreMessage | NoticeMessage;

export interface SignalServiceDeps {
  requestTimeoutMs: number;
  /** Longest pause between two tries of a notice that fails with a retryable error. Default 30 s. */
  noticeRetryMaxMs?: number;
  /** Publishes a stored signal to plain subscribers (cluster: JSON on NATS); absent in embedded mode. */
  publish?: (signal: SignalInstance) => void;
  /** Signal match latency (signal created -> the waiting instance took the match); absent: none. */
  metrics?: EngineMetrics;
}

/** Maestro's instance id of a request: its request_id, else UUID.nameUUIDFromBytes(dedup JSON). */
export function signalInstanceIdOf(name: string, req: Pick<SignalRequest, 'params' | 'requestId'>): string {
  if (req.requestId !== undefined) return req.requestId;
  return javaNameUuid(dedupKeyJson(name, req.params)).text;
}

/** Maestro's SignalInstanceSource as put into payload.signal_source. */
function sourceJson(s: SignalSource): Record<string, unknown> {
  return {
    workflow_id: s.workflowId,
    workflow_instance_id: s.instanceId,
    workflow_run_id: s.runId,
    step_id: s.stepId,
    step_attempt_id: s.attempt,
    step_instance_id: s.stepInstanceUuid,
  };
}

/** The operators Maestro matches with (`!=` is in the definition model's type, not in Maestro's SignalOperator). */
function checkMatch(match: SignalMatches): void {
  for (const [k, m] of Object.entries(match)) {
    if (m.operator === '!=') throw new ValidationError(`match.${k}.operator`, "'!=' is not a signal match operator (use =, <, <=, >, >=)");
  }
}

function nameOf(key: string): string {
  return key.slice(SIGNAL_KEY_PREFIX.length);
}

export function signalServiceKind(deps: SignalServiceDeps): ServiceKind<SignalStoreState, SignalStoreEvent, SignalStoreEffect, Msg> {
  const maxPauseMs = deps.noticeRetryMaxMs ?? 30_000;

  /**
   * Sends `body` to `to` until it is accepted (retryable errors: again, with backoff, for as long
   * as this actor lives), the receiver is gone (NOT_FOUND) or refuses it (any other error: left
   * to the next owner's `resume`).
   */
  const notify = async (ctx: ServiceContext, to: string, body: unknown): Promise<'ok' | 'gone' | 'failed'> => {
    let warned = false;
    for (let attempt = 1; ; attempt++) {
      try {
        await ctx.transport.request(to, body, { timeoutMs: deps.requestTimeoutMs });
        return 'ok';
      } catch (err) {
        if (err instanceof NotFoundError) return 'gone';
        if (!isRetryable(err)) {
          ctx.log.warn({ err, key: ctx.key, to }, 'signal notice refused; it is sent again after the next takeover of the store');
          return 'failed';
        }
        if (!warned && attempt >= 5) {
          warned = true;
          ctx.log.warn({ err, key: ctx.key, to }, 'signal notice not delivered yet; retrying');
        }
        await new Promise((r) => setTimeout(r, Math.min(maxPauseMs, 100 * 2 ** Math.min(attempt, 12))).unref?.());
        try {
          await ctx.post({ type: 'Alive' } satisfies NoticeMessage);
        } catch {
          return 'failed'; // this actor stopped: its next owner re-sends the notice
        }
      }
    }
  };

  const later = deferredPoster(ACK_DELAY_MS);
  const post = (ctx: ServiceContext, msg: NoticeMessage): void => {
    later(ctx, msg, (err: unknown) => ctx.log.debug({ err, key: ctx.key }, 'signal notice acknowledgement not journaled (the store moved); the next owner re-sends it'));
  };

  return {
    prefix: SIGNAL_KEY_PREFIX,
    reducer: signalStoreReducer,
    parse: parseSignalMessage,
    toEvents(ctx, s, msg): SignalStoreEvent[] {
      switch (msg.type) {
        case 'Announce': {
          const name = checkSignalName(nameOf(ctx.key), 'name');
          const req = normalizeSignalRequest(msg.signal);
          const instanceId = signalInstanceIdOf(name, req);
          if (seqOfInstanceId(s, instanceId) !== undefined) return [];
          const now = ctx.now();
          const payload = msg.source ? { ...req.payload, signal_source: sourceJson(msg.source) } : req.payload;
          const signal: StoredSignal = { instanceId, params: req.params, payload, requestTimeMs: req.requestTimeMs ?? now, createTimeMs: now };
          return [{ t: 'signal', signal }];
        }
        case 'GetSignal': {
          const seq = msg.seqId ?? latestSeq(s);
          if (seq === 0) throw new NotFoundError(`signal [${s.name}] has no instance`);
          if (!instanceAt(s, seq)) throw new NotFoundError(`signal instance [${s.name}][${seq}] not found (latest is ${latestSeq(s)})`);
          return [];
        }
        case 'Find':
          checkMatch(msg.match);
          return [];
        case 'ListSignals':
          return [];
        case 'Wait': {
          checkMatch(msg.match);
          const id = waiterIdOf(msg.waiter);
          const existing = Object.hasOwn(s.waits, id) ? s.waits[id] : undefined;
          if (existing?.matched !== undefined) return [{ t: 'unwait', waiterId: id, seqId: existing.matched }];
          if (existing) return [];
          if (findSignal(s, msg.match, 0, true) !== undefined) return [];
          return [{ t: 'wait', waiter: msg.waiter, match: msg.match }];
        }
        case 'Unwait': {
          const id = waiterIdOf(msg.waiter);
          return Object.hasOwn(s.waits, id) ? [{ t: 'unwait', waiterId: id }] : [];
        }
        case 'Subscribe':
          if (!msg.subscriber.startsWith('~')) throw new ValidationError('subscriber', `must be a service actor key (~kind/...), got '${msg.subscriber.slice(0, 80)}'`);
          return Object.hasOwn(s.subs, msg.subscriber) ? [] : [{ t: 'subscribe', subscriber: msg.subscriber }];
        case 'Unsubscribe':
          return Object.hasOwn(s.subs, msg.subscriber) ? [{ t: 'unsubscribe', subscriber: msg.subscriber }] : [];
        case 'Alive':
          return [];
        case 'WaitDone':
          return Object.hasOwn(s.waits, msg.waiterId) && s.waits[msg.waiterId]!.matched === msg.seqId ? [{ t: 'unwait', waiterId: msg.waiterId, seqId: msg.seqId }] : [];
        case 'ArrivedTaken': {
          const sub = Object.hasOwn(s.subs, msg.subscriber) ? s.subs[msg.subscriber]! : undefined;
          return sub && msg.seqId > sub.acked && !sub.ahead.includes(msg.seqId) ? [{ t: 'acked', subscriber: msg.subscriber, seqId: msg.seqId }] : [];
        }
      }
    },
    async run(ctx, f) {
      switch (f.f) {
        case 'matched': {
          const body: SignalMatchedMessage = { type: 'SignalMatched', runId: f.waiter.runId, stepId: f.waiter.stepId, index: f.waiter.index, signal: f.signal };
          const outcome = await notify(ctx, f.waiter.instanceKey, body);
          if (outcome === 'ok') deps.metrics?.signalMatch(Math.max(0, ctx.now() - f.signal.createTimeMs) / 1000);
          if (outcome !== 'failed') post(ctx, { type: 'WaitDone', waiterId: f.waiterId, seqId: f.signal.seqId });
          return outcome;
        }
        case 'arrived': {
          const body: SignalArrivedMessage = { type: 'SignalArrived', signal: f.signal };
          const outcome = await notify(ctx, f.subscriber, body);
          if (outcome === 'ok') post(ctx, { type: 'ArrivedTaken', subscriber: f.subscriber, seqId: f.signal.seqId });
          return outcome;
        }
        case 'publish':
          try {
            deps.publish?.(f.signal);
          } catch (err) {
            ctx.log.warn({ err, key: ctx.key, seqId: f.signal.seqId }, 'publishing a stored signal failed');
          }
          return undefined;
      }
    },
    reply(ctx, s, msg, out) {
      switch (msg.type) {
        case 'Announce': {
          const ev = out.events[0];
          const instanceId = ev?.t === 'signal' ? ev.signal.instanceId : signalInstanceIdOf(nameOf(ctx.key), normalizeSignalRequest(msg.signal));
          const instance = instanceAt(s, seqOfInstanceId(s, instanceId)!)!;
          return { instance, duplicate: ev === undefined } satisfies AnnounceReply;
        }
        case 'GetSignal':
          return instanceAt(s, msg.seqId ?? latestSeq(s))!;
        case 'ListSignals':
          return { instances: listAfter(s, msg.afterSeq ?? 0, msg.limit ?? LIST_SIGNALS_DEFAULT), latestSeq: latestSeq(s) } satisfies ListSignalsReply;
        case 'Wait': {
          const ev = out.events[0];
          const id = waiterIdOf(msg.waiter);
          let seq: number | undefined;
          if (ev?.t === 'unwait') seq = ev.seqId;
          else if (Object.hasOwn(s.waits, id)) seq = s.waits[id]!.matched;
          else seq = findSignal(s, msg.match, 0, true);
          const reply: WaitReply = {};
          if (seq !== undefined) reply.matched = instanceAt(s, seq)!;
          return reply;
        }
        case 'Find': {
          const seq = findSignal(s, msg.match, msg.afterSeq, msg.oldest);
          const reply: FindReply = {};
          if (seq !== undefined) reply.instance = instanceAt(s, seq)!;
          return reply;
        }
        case 'Subscribe':
          return { latestSeq: latestSeq(s) } satisfies SubscribeReply;
        default:
          return true;
      }
    },
  };
}
