/**
 * Service actors: per-key singletons that live in the partitions beside instance actors.
 *
 * A service kind (`ServiceKind`) owns every key starting with its `prefix` (`~<kind>/...`,
 * e.g. `~queue/<workflowId>`, the workflow queue owner). Its key is hashed to a partition like
 * an instance key, so the same machinery applies: one owner at a time, every event appended to
 * the partition journal with the owner's epoch (a stale owner is refused and drops its actors),
 * snapshots at checkpoints, recovery by folding the journal on takeover.
 *
 * To write a kind:
 * - the pure part is a `ServiceReducer` (core/service/reducer.ts): state, events, effects;
 *   `apply` is a pure fold (it may update the state it owns in place), `resume` re-issues what
 *   a crash may have cut short;
 * - `parse(body)` is the kind's wire check of its messages (the transport applies it);
 * - `toEvents(ctx, state, msg)` turns a message into the events to journal, live. It is the only
 *   place that may consult the outside world (clock, definitions, other actors); whatever it
 *   learns goes into the events. It refuses a message by throwing (nothing is journaled);
 * - `run(ctx, effect)` performs an effect after its event is durable, and resolves with
 *   whatever the replies may use (e.g. the view an instance actor answered); effects must be
 *   idempotent at their receivers (they are re-run after a takeover through `resume`);
 * - `reply(ctx, state, msg, out)` answers the caller once its events are durable: called
 *   synchronously right after the append (read `state` then: later batches change it), with the
 *   message's own events, their effects and the effects' results (promises, same order); it may
 *   return a promise. The mailbox does not wait for replies, so a reply may await effects.
 *
 * A batch of messages (the mailbox batches) costs one journal append. If `apply` throws (a bug:
 * journaled events must always fold) the batch is not appended, and the actor refuses every
 * later message with that error until the partition is reloaded (takeover or restart).
 */
import { Mailbox, type Envelope } from '../actor/mailbox.js';
import { MaestroError, StaleEpochError } from '../core/errors.js';
import { movedError } from './actor-messages.js';
import type { ServiceReducer } from '../core/service/reducer.js';
import type { Journal, JournalRecord } from '../journal/port.js';
import type { Transport } from '../transport/port.js';
import type { Logger } from '../log/logger.js';

/** What a service kind's hooks may use. */
export interface ServiceContext {
  readonly key: string;
  readonly transport: Transport;
  now(): number;
  /** Posts a message to this actor's own mailbox (e.g. what an effect learned). */
  post(msg: unknown): Promise<unknown>;
  readonly log: Logger;
}

export interface ServiceKind<S extends { seq: number }, E, F, M> {
  /** Keys this kind owns start with it (`~<kind>/`). */
  readonly prefix: string;
  readonly reducer: ServiceReducer<S, E, F>;
  /** Wire check of a message for this kind (throws InvalidMessageError naming the field). */
  parse(body: unknown): M;
  toEvents(ctx: ServiceContext, state: S, msg: M): E[] | Promise<E[]>;
  run(ctx: ServiceContext, effect: F): Promise<unknown>;
  reply(ctx: ServiceContext, state: S, msg: M, out: Outcome<E, F>): unknown;
}

/** What one message caused (see `ServiceKind.reply`). */
export interface Outcome<E, F> {
  events: E[];
  effects: F[];
  results: Promise<unknown>[];
}

// Kinds are stored type-erased by the host.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyServiceKind = ServiceKind<any, any, any, any>;

export interface ServiceHostHooks {
  partition: number;
  epoch: number;
  journal: Journal;
  transport: Transport;
  now(): number;
  log: Logger;
  onStale(err: StaleEpochError): void;
  /** After every appended batch (checkpoint accounting). */
  onApplied(key: string, records: number): void;
}

/** Journal record of a service event (a format of its own, tagged so it is never taken for an instance record). */
export interface ServiceRecord {
  sv: 1;
  e: unknown;
}
export interface ServiceSnapshot {
  sv: 1;
  s: unknown;
}

export class ServiceActor<S extends { seq: number }, E, F, M> {
  private readonly mailbox: Mailbox<M>;
  private broken: Error | undefined;
  private stopped = false;
  private readonly ctx: ServiceContext;

  constructor(
    readonly key: string,
    private state: S,
    private readonly kind: ServiceKind<S, E, F, M>,
    private readonly host: ServiceHostHooks,
  ) {
    this.mailbox = new Mailbox((batch) => this.handle(batch));
    this.ctx = {
      key,
      transport: host.transport,
      now: host.now,
      post: (msg) => this.post(msg as M),
      log: host.log,
    };
  }

  /** Rebuilds an actor from its snapshot and the records after it (a pure fold). */
  static recover<S extends { seq: number }, E, F, M>(
    key: string,
    kind: ServiceKind<S, E, F, M>,
    img: { snapshot?: { seq: number; state: unknown }; records: ReadonlyArray<{ seq: number; event: unknown }> },
    host: ServiceHostHooks,
  ): ServiceActor<S, E, F, M> {
    let state = img.snapshot ? decodeServiceSnapshot<S>(key, img.snapshot.state) : kind.reducer.initial(key);
    for (const r of img.records) {
      if (r.seq <= state.seq) continue;
      state = kind.reducer.apply(state, decodeServiceRecord<E>(key, r.seq, r.event)).state;
      state.seq = r.seq;
    }
    return new ServiceActor(key, state, kind, host);
  }

  get current(): S {
    return this.state;
  }

  post(msg: M): Promise<unknown> {
    return this.mailbox.post(msg);
  }

  /** After recovery: re-issue what the crash may have cut short. */
  resume(): void {
    for (const f of this.kind.reducer.resume(this.state)) this.runEffect(f);
  }

  /** A copy: `apply` updates the live state in place, and a journal may hold a snapshot by reference. */
  snapshot(): ServiceSnapshot {
    return { sv: 1, s: structuredClone(this.state) };
  }

  stop(reason: Error): void {
    this.stopped = true;
    this.mailbox.close(reason);
  }

  private async handle(batch: Envelope<M>[]): Promise<void> {
    if (this.stopped) throw new MaestroError('unavailable', `${this.key} moved`, { retryable: true });
    if (this.broken) throw this.broken;
    const records: JournalRecord[] = [];
    const perMsg: Array<{ env: Envelope<M>; events: E[]; effects: F[] } | { env: Envelope<M>; err: Error }> = [];
    for (const env of batch) {
      let events: E[];
      try {
        events = await this.kind.toEvents(this.ctx, this.state, env.msg);
      } catch (err) {
        perMsg.push({ env, err: err as Error });
        continue;
      }
      const effects: F[] = [];
      for (const ev of events) {
        const seq = this.state.seq + 1;
        try {
          const applied = this.kind.reducer.apply(this.state, ev);
          this.state = applied.state;
          this.state.seq = seq;
          for (const f of applied.effects) effects.push(f);
        } catch (err) {
          this.broken = new MaestroError('internal', `${this.key}: event ${JSON.stringify(ev).slice(0, 200)} did not fold: ${(err as Error).message}`, { cause: err });
          this.host.log.error({ err, key: this.key }, 'service actor broken: a journaled event would not fold');
          throw this.broken;
        }
        records.push({ instanceKey: this.key, seq, event: { sv: 1, e: ev } satisfies ServiceRecord });
      }
      perMsg.push({ env, events, effects });
    }
    if (records.length > 0) {
      try {
        await this.host.journal.append(this.host.partition, this.host.epoch, records);
      } catch (err) {
        // The in-memory state is ahead of the journal now: this actor must not serve again.
        this.broken = err as Error;
        this.stop(err as Error);
        if (err instanceof StaleEpochError) {
          this.host.onStale(err);
          throw movedError(this.key, err); // nothing of the batch is durable: senders retry at the new owner
        }
        this.host.log.error({ err, key: this.key }, 'service actor dropped: its journal append failed');
        throw err;
      }
      this.host.onApplied(this.key, records.length);
    }
    for (const m of perMsg) {
      if ('err' in m) {
        m.env.reject(m.err);
        continue;
      }
      const results = m.effects.map((f) => this.runEffect(f));
      try {
        Promise.resolve(this.kind.reply(this.ctx, this.state, m.env.msg, { events: m.events, effects: m.effects, results })).then(m.env.resolve, m.env.reject);
      } catch (err) {
        m.env.reject(err as Error);
      }
    }
  }

  private runEffect(f: F): Promise<unknown> {
    const p = this.kind.run(this.ctx, f);
    p.catch((err: unknown) => {
      if (!this.stopped) this.host.log.debug({ err, key: this.key }, 'service effect failed');
    });
    return p;
  }
}

export function decodeServiceRecord<E>(key: string, seq: number, raw: unknown): E {
  if (typeof raw !== 'object' || raw === null || (raw as ServiceRecord).sv !== 1) {
    throw new MaestroError('failed_precondition', `${key} seq ${seq}: not a service record this node reads`);
  }
  return (raw as ServiceRecord).e as E;
}

export function decodeServiceSnapshot<S>(key: string, raw: unknown): S {
  if (typeof raw !== 'object' || raw === null || (raw as ServiceSnapshot).sv !== 1) {
    throw new MaestroError('failed_precondition', `${key}: not a service snapshot this node reads`);
  }
  return structuredClone((raw as ServiceSnapshot).s) as S;
}

/**
 * Posts bookkeeping messages (acknowledgements a service journals so that it need not re-send
 * after a takeover) to the actor itself a little later and together: the mailbox takes them in
 * one batch, so they cost one journal append off the hot path instead of one append each right
 * behind the work they acknowledge. Only for messages whose loss is harmless: a crash before they
 * are journaled makes the next owner re-send what they acknowledged, which receivers dedup.
 */
export function deferredPoster(delayMs: number): (ctx: ServiceContext, msg: unknown, onError: (err: unknown) => void) => void {
  const pending = new WeakMap<ServiceContext, Array<{ msg: unknown; onError: (err: unknown) => void }>>();
  return (ctx, msg, onError) => {
    let list = pending.get(ctx);
    if (!list) {
      const batch: Array<{ msg: unknown; onError: (err: unknown) => void }> = [];
      list = batch;
      pending.set(ctx, batch);
      const timer = setTimeout(() => {
        pending.delete(ctx);
        for (const m of batch) ctx.post(m.msg).catch(m.onError);
      }, delayMs);
      timer.unref?.();
    }
    list.push({ msg, onError });
  };
}
