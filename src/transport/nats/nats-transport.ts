/**
 * Transport over core NATS (subjects in ./subjects.ts, codec in ./codec.ts).
 *
 * Invariants and failure handling:
 * - `request` sends to the partition's subject and resends, with the same `Maestro-Msg-Id`,
 *   on "no responders" (nobody serves the partition: a move or a crash) and on a reply timeout
 *   (the owner died or dropped the message mid-move), with capped exponential backoff, until
 *   the request's deadline; then it rejects with DeliveryTimeoutError. A reply means the owner
 *   accepted the message (handlers reply after journaling), so a resolved request is never lost,
 *   and a message may be handled more than once (handlers dedup on the msg id).
 * - A request for an actor of a partition this transport serves is handed to the local handler
 *   without crossing NATS (same encoding, boundary check and drain on close; see requestLocally):
 *   an owner's own messages (an executor's result, a queue owner's start) cost no round trip.
 * - A handler's error travels back in the `Maestro-Error` header and is rethrown by `request`
 *   as itself (codec.decodeError). A retryable one (`unavailable: partition 4 is moving`: the
 *   owner is handing the partition over) is resent like a lost message until the deadline, then
 *   rethrown; any other is an answer and is rethrown at once. Resends use src/retry.
 * - `serve` resolves once the server has registered the subscription; closing it unsubscribes,
 *   then waits (up to `drainTimeoutMs`) for the replies of messages already being handled; a
 *   message left without a reply is resent by its sender to the next owner.
 * - `dispatch` hands a task to an executor of this same transport when one serves the step type
 *   and can take it now (ServeExecutorOptions.canTakeLocally), without NATS; else it goes to
 *   the queue group and needs an executor's immediate ack: "no responders" rejects NoExecutorError at
 *   once; an ack timeout is resent (at-least-once; executors are idempotent per attempt id)
 *   until `dispatchTimeoutMs`, then rejects DeliveryTimeoutError.
 * - Trust boundary (../boundary.ts, ./receive.ts): every received message is decoded and
 *   checked before a handler sees it. A refused request (actor message, step task) is answered
 *   with an InvalidMessageError (invalid_argument) naming the field; an actor message without a
 *   reply subject and a refused topic event are dropped. All are counted in `stats()`.
 * - What has no caller to reject — a topic handler's throw, a reply that cannot be sent, a
 *   subscription error — is logged (warn) with the subject.
 * - `close` drains the connection for at most `drainTimeoutMs`, then closes it: it never hangs,
 *   even with every server gone.
 */
import { headers, nuid, type Msg, type MsgHdrs, type NatsConnection, type Subscription as NatsSub } from 'nats';
import { connectNats, drainOrClose, splitConnectOptions } from '../../nats/connection.js';
import { MaestroError } from '../../core/errors.js';
import { routeOf } from '../../core/partition.js';
import type { DispatchedTask } from '../../protocol/executor.js';
import { DeliveryTimeoutError, NoExecutorError, PartitionAlreadyServedError, PartitionRangeError, TransportClosedError } from '../errors.js';
import type { ActorHandler, RequestOptions, ServeExecutorOptions, Subscription, TaskHandler, TopicHandler, Transport, TransportStats } from '../port.js';
import { decode, decodeError, EMPTY, encode, encodeError } from '../../nats/codec.js';
import { Requester } from './requester.js';
import { moduleLogger, type Logger } from '../../log/logger.js';
import { isRetryable, retry, settledWithin, withTimeout } from '../../retry/index.js';
import { MessageTooLargeError, NatsTransportError } from './errors.js';
import { Boundary } from '../boundary.js';
import { received } from './receive.js';
import { InvalidMessageError } from '../../protocol/errors.js';
import { natsTransportDefaults, type NatsTransportOptions, type ResolvedNatsTransportOptions } from './options.js';
import { actorSubject, execSubject, EXECUTOR_QUEUE, HDR_ERROR, HDR_MSG_ID, HDR_TO, topicSubject } from '../../nats/subjects.js';

const ERROR_HEADERS: MsgHdrs = headers();
ERROR_HEADERS.set(HDR_ERROR, '1');

export class NatsTransport implements Transport {
  private readonly actorSubjects: string[];
  private readonly execSubjects = new Map<string, string>();
  /** Executors of this process per lower-case step type: a dispatch tries them before the queue group. */
  private readonly localExecutors = new Map<string, Array<{ handler: TaskHandler; canTake: () => boolean }>>();
  private readonly served = new Map<number, Subscription>();
  /** The handler of each partition served here, for requests that need not cross NATS. */
  private readonly local = new Map<number, { handler: ActorHandler; inflight: Set<Promise<void>> }>();
  private readonly subs = new Set<NatsSub>();
  private closed = false;
  private readonly requester: Requester;
  private readonly boundary: Boundary;
  private readonly log: Logger;

  private constructor(
    readonly nc: NatsConnection,
    private readonly opts: ResolvedNatsTransportOptions,
    private readonly ownsConnection: boolean,
  ) {
    this.actorSubjects = Array.from({ length: opts.partitions }, (_, p) => actorSubject(p));
    this.boundary = new Boundary(opts, opts.partitions);
    this.log = moduleLogger(opts.log, 'transport');
    this.requester = new Requester(nc, this.log);
    if (ownsConnection) this.logStatus();
  }

  /** Disconnects and reconnects are logged: an operator sees when NATS went away and came back. */
  private logStatus(): void {
    const follow = async (): Promise<void> => {
      for await (const st of this.nc.status()) {
        const fields = { event: st.type, data: typeof st.data === 'object' ? JSON.stringify(st.data) : st.data };
        if (st.type === 'disconnect' || st.type === 'error') this.log.warn(fields, 'NATS connection lost; reconnecting');
        else if (st.type === 'reconnect') this.log.info(fields, 'NATS connection back');
        else this.log.debug(fields, 'NATS connection status');
      }
    };
    follow().catch((err: unknown) => this.log.warn({ err }, 'following the NATS connection status failed'));
  }

  static async connect(opts: NatsTransportOptions): Promise<NatsTransport> {
    const resolved = natsTransportDefaults(opts);
    return new NatsTransport(await connectNats(splitConnectOptions(opts)[0]), resolved, true);
  }

  /** Uses a connection owned by the caller; `close` leaves it open. */
  static fromConnection(nc: NatsConnection, opts: Omit<NatsTransportOptions, 'servers'>): NatsTransport {
    return new NatsTransport(nc, natsTransportDefaults({ ...opts, servers: [] }), false);
  }

  async request(to: string, body: unknown, opts?: RequestOptions): Promise<unknown> {
    this.assertOpen();
    const timeoutMs = opts?.timeoutMs ?? this.opts.requestTimeoutMs;
    const partition = routeOf(to, this.opts.partitions);
    const subject = this.actorSubjects[partition]!;
    const data = this.checkSize(encode(body), `message for ${to}`);
    const msgId = opts?.msgId ?? nuid.next();
    const h = headers();
    h.set(HDR_TO, to);
    h.set(HDR_MSG_ID, msgId);
    // The owner's last retryable answer outranks a later try that timed out: a try started just
    // before the deadline has only the few ms left to hear the same answer again.
    let lastAnswer: MaestroError | undefined;
    return retry(
      async ({ remainingMs }) => {
        this.assertOpen();
        const local = this.local.get(partition);
        if (local !== undefined) {
          const timeout = Math.min(remainingMs, this.opts.attemptTimeoutMs);
          const [reply, failed] = await this.requestLocally(local, partition, subject, to, msgId, data, timeout);
          if (failed) throw (lastAnswer = answered(decodeError(reply)));
          return decode(reply);
        }
        let reply: Msg;
        try {
          reply = await this.requester.request(subject, data, { timeoutMs: Math.min(remainingMs, this.opts.attemptTimeoutMs), headers: h });
        } catch (e) {
          throw isResendable(e) ? e : this.failure(e, `request to ${to}`);
        }
        if (reply.headers?.get(HDR_ERROR)) throw (lastAnswer = answered(decodeError(reply.data)));
        return decode(reply.data);
      },
      {
        what: `request to ${to}`,
        backoff: { initialMs: this.opts.retryBaseMs, maxMs: this.opts.retryMaxMs },
        deadlineMs: timeoutMs,
        shouldRetry: (e) => isResendable(e) || (ANSWERS.has(e as object) && isRetryable(e)),
        onDeadline: (last) => lastAnswer ?? new DeliveryTimeoutError(to, timeoutMs, { cause: last }),
      },
    );
  }

  async serve(partition: number, handler: ActorHandler): Promise<Subscription> {
    this.assertOpen();
    const subject = this.actorSubjects[partition];
    if (subject === undefined) throw new PartitionRangeError(partition, this.opts.partitions);
    if (this.served.has(partition)) throw new PartitionAlreadyServedError(partition);
    const inflight = new Set<Promise<void>>();
    const sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return this.subscriptionFailed(err, subject);
        if (!msg.reply) {
          const problem = 'has no reply subject (actor messages are requests)';
          this.boundary.reject('actor', msg.subject, undefined, new InvalidMessageError('actor message', '', problem));
          return;
        }
        const p = this.handleActorMessage(msg, partition, handler).finally(() => inflight.delete(p));
        inflight.add(p);
      },
    });
    this.subs.add(sub);
    this.local.set(partition, { handler, inflight });
    const subscription: Subscription = {
      close: async () => {
        if (this.served.get(partition) !== subscription) return;
        this.served.delete(partition);
        this.local.delete(partition);
        await this.closeSub(sub);
        await settledWithin([...inflight], this.opts.drainTimeoutMs);
      },
    };
    this.served.set(partition, subscription);
    await this.nc.flush();
    return subscription;
  }

  async dispatch(task: DispatchedTask): Promise<void> {
    this.assertOpen();
    const local = this.localExecutors.get(task.stepType.toLowerCase())?.find((e) => e.canTake());
    if (local !== undefined) {
      local.handler({ ...task }); // a copy: the executor keeps it, the owner keeps its own
      return;
    }
    let subject = this.execSubjects.get(task.stepType);
    if (subject === undefined) this.execSubjects.set(task.stepType, (subject = execSubject(task.stepType)));
    const data = this.checkSize(encode(task), `step task ${task.attemptId}`);
    const target = subject;
    await retry(
      async ({ remainingMs }) => {
        let reply: Msg;
        try {
          reply = await this.requester.request(target, data, { timeoutMs: Math.min(remainingMs, this.opts.dispatchAckTimeoutMs) });
        } catch (e) {
          if (isNoResponders(e)) throw new NoExecutorError(task.stepType);
          throw isResendable(e) ? e : this.failure(e, `dispatch of ${task.attemptId}`);
        }
        if (reply.headers?.get(HDR_ERROR)) throw decodeError(reply.data);
      },
      {
        what: `dispatch of ${task.attemptId}`,
        backoff: { initialMs: this.opts.retryBaseMs, maxMs: this.opts.retryMaxMs },
        deadlineMs: this.opts.dispatchTimeoutMs,
        shouldRetry: isResendable,
        onDeadline: (last) => new DeliveryTimeoutError(`an executor of ${task.stepType}`, this.opts.dispatchTimeoutMs, { cause: last }),
      },
    );
  }

  async serveExecutor(stepTypes: readonly string[], handler: TaskHandler, opts: ServeExecutorOptions = {}): Promise<Subscription> {
    this.assertOpen();
    const types = [...new Set(stepTypes.map((t) => t.toLowerCase()))];
    const local = { handler, canTake: opts.canTakeLocally ?? (() => true) };
    for (const type of types) this.localExecutors.set(type, [...(this.localExecutors.get(type) ?? []), local]);
    const unlist = (): void => {
      for (const type of types) {
        const left = (this.localExecutors.get(type) ?? []).filter((e) => e !== local);
        if (left.length === 0) this.localExecutors.delete(type);
        else this.localExecutors.set(type, left);
      }
    };
    const subs = types.map((type) => {
      const subject = execSubject(type);
      return this.nc.subscribe(subject, {
        queue: EXECUTOR_QUEUE,
        callback: (err, msg) => {
          if (err) return this.subscriptionFailed(err, subject);
          try {
            handler(received(this.boundary, 'task', msg, (body, source) => this.boundary.task(type, body, msg.subject, source)));
          } catch (e) {
            if (msg.reply) this.respond(msg, encodeError(e), ERROR_HEADERS);
            else this.log.warn({ err: e, subject }, 'step task refused (no reply subject to tell the dispatcher)');
            return;
          }
          if (msg.reply) this.respond(msg, EMPTY);
        },
      });
    });
    for (const s of subs) this.subs.add(s);
    await this.nc.flush();
    return {
      close: async () => {
        unlist();
        await Promise.all(subs.map((s) => this.closeSub(s)));
      },
    };
  }

  /** Fire-and-forget; after `close` it is a no-op, as with the in-memory transport. */
  publish(topic: string, body: unknown): void {
    if (this.closed || this.nc.isClosed()) return;
    const data = this.checkSize(encode(body), `event on topic ${topic}`);
    try {
      this.nc.publish(topicSubject(topic), data);
    } catch (e) {
      throw this.failure(e, `publish on ${topic}`);
    }
  }

  subscribe(topic: string, handler: TopicHandler): Subscription {
    this.assertOpen();
    const check = this.boundary.topicCheck(topic);
    const subject = topicSubject(topic);
    const sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return this.subscriptionFailed(err, subject);
        let body: unknown;
        try {
          body = received(this.boundary, 'topic', msg, (b, source) => this.boundary.topic(check, b, msg.subject, source));
        } catch (e) {
          if (!(e instanceof InvalidMessageError)) this.log.warn({ err: e, topic }, 'topic event could not be read');
          return; // an InvalidMessageError is counted and reported by the boundary
        }
        try {
          handler(body);
        } catch (e) {
          this.log.warn({ err: e, topic }, 'topic handler failed');
        }
      },
    });
    this.subs.add(sub);
    return { close: () => this.closeSub(sub) };
  }

  stats(): TransportStats {
    return this.boundary.stats();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.served.values()].map((s) => s.close()));
    this.requester.close();
    if (this.ownsConnection) {
      await drainOrClose(this.nc, this.opts.drainTimeoutMs, this.log);
    } else {
      await Promise.all([...this.subs].map((s) => this.closeSub(s)));
    }
  }

  /**
   * A request for a partition served here skips NATS but nothing else: the body goes through the
   * same bytes and boundary check as a received one (so neither side shares objects with the
   * other), the reply and a handler's error through the same encoding, closing the partition
   * waits for it like for a received message, and a handler that has not answered within the
   * try's timeout is given up like a lost NATS reply (a resendable TIMEOUT: the next try goes to
   * whoever serves the partition then). Returns the reply's bytes and whether it is an error.
   */
  private async requestLocally(
    local: { handler: ActorHandler; inflight: Set<Promise<void>> },
    partition: number,
    subject: string,
    to: string,
    msgId: string,
    data: Uint8Array,
    timeoutMs: number,
  ): Promise<[Uint8Array, boolean]> {
    const work = (async (): Promise<[Uint8Array, boolean]> => {
      try {
        const body = this.boundary.actor(partition, to, msgId, decode(data), subject, 'local');
        return [encode(await local.handler(to, body, msgId)), false];
      } catch (e) {
        return [encodeError(e), true];
      }
    })();
    const settled = work.then(() => undefined);
    local.inflight.add(settled);
    void settled.then(() => local.inflight.delete(settled));
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`no answer from ${to} within ${timeoutMs} ms`), { code: 'TIMEOUT' })), timeoutMs);
    });
    try {
      return await Promise.race([work, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async handleActorMessage(msg: Msg, partition: number, handler: ActorHandler): Promise<void> {
    const to = msg.headers?.get(HDR_TO) ?? '';
    const msgId = msg.headers?.get(HDR_MSG_ID) ?? '';
    let reply: Uint8Array;
    try {
      const body = received(this.boundary, 'actor', msg, (b, source) => this.boundary.actor(partition, to, msgId, b, msg.subject, source));
      reply = encode(await handler(to, body, msgId));
    } catch (e) {
      this.respond(msg, encodeError(e), ERROR_HEADERS);
      return;
    }
    const max = this.maxPayload();
    if (reply.length > max) {
      this.respond(msg, encodeError(new MessageTooLargeError(`reply for ${to}`, reply.length, max)), ERROR_HEADERS);
      return;
    }
    this.respond(msg, reply);
  }

  /** A reply that cannot be sent (connection closed) is left to the requester's resend. */
  private respond(msg: Msg, data: Uint8Array, h?: MsgHdrs): void {
    if (this.nc.isClosed()) return;
    try {
      msg.respond(data, h ? { headers: h } : undefined);
    } catch (e) {
      this.log.warn({ err: new NatsTransportError(`reply on ${msg.subject}`, { cause: e }) }, 'reply not sent; the requester resends');
    }
  }

  /** The server refused or ended a subscription (permissions, a slow consumer): nothing arrives on it. */
  private subscriptionFailed(err: Error, subject: string): void {
    this.log.error({ err: new NatsTransportError(`subscription to ${subject}`, { cause: err }), subject }, 'subscription failed');
  }

  private async closeSub(sub: NatsSub): Promise<void> {
    this.subs.delete(sub);
    if (sub.isClosed() || this.nc.isClosed()) return;
    if (this.nc.isDraining()) {
      sub.unsubscribe();
      return;
    }
    try {
      // A drain needs the server's answer: with the server gone it would wait for a reconnect.
      await withTimeout(sub.drain(), this.opts.drainTimeoutMs, `draining the subscription to ${sub.getSubject()}`);
    } catch (err) {
      this.log.warn({ err, subject: sub.getSubject() }, 'subscription not drained; unsubscribing');
      if (!sub.isClosed() && !this.nc.isClosed()) sub.unsubscribe();
    }
  }

  private maxPayload(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024;
  }

  private checkSize(data: Uint8Array, what: string): Uint8Array {
    const max = this.maxPayload();
    if (data.length > max) throw new MessageTooLargeError(what, data.length, max);
    return data;
  }

  private assertOpen(): void {
    if (this.closed || this.nc.isClosed()) throw new TransportClosedError();
  }

  private failure(e: unknown, what: string): MaestroError {
    const code = (e as { code?: string }).code;
    if (code === 'CONNECTION_CLOSED' || code === 'CONNECTION_DRAINING' || this.nc.isClosed()) return new TransportClosedError();
    return new NatsTransportError(what, { cause: e });
  }
}

function isNoResponders(e: unknown): boolean {
  return (e as { code?: string }).code === '503';
}

/** No responders, a reply timeout, or a reconnect in progress: resending may reach an owner. */
function isResendable(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === '503' || code === 'TIMEOUT' || code === 'DISCONNECT';
}

/** Handler errors decoded from replies: answers, resent only when retryable. */
const ANSWERS = new WeakSet<object>();

function answered(err: MaestroError): MaestroError {
  ANSWERS.add(err);
  return err;
}
