/**
 * Signals over plain NATS (cluster nodes): any NATS client announces a signal by publishing JSON
 * on `maestro.signals.<encoded name>` (core/signals/encode.ts: the name's `/` segments are
 * subject tokens; `.` `*` `>` `%` and whitespace inside a segment are percent-encoded).
 *
 * Every node subscribes in the queue group `maestro-signals`, so one node handles each message.
 * Body: `{"params": {...}, "payload": {...}, "request_id": "...", "request_time": epochMs}`;
 * like Maestro's REST body, any other top-level field goes into the payload. A request (a
 * message with a reply subject) is answered with JSON: the stored instance in Maestro's shape
 * plus `"duplicate": true|false`, or `{"error": reason}`.
 *
 * A malformed message (too big, not UTF-8 JSON, not an object, wrong value types, a bad name)
 * changes nothing: it is published to `maestro.signals-dead-letter` as JSON
 * `{subject, reason, data}` (`data_base64` when the bytes are not UTF-8), counted, and logged
 * (at most one line per `logEveryMs`, with the number suppressed). Nothing a publisher sends can
 * stop the consumer.
 */
import type { NatsConnection, Msg, Subscription } from 'nats';
import { MaestroError } from '../core/errors.js';
import {
  checkSignalName,
  SIGNALS_DEAD_LETTER_SUBJECT,
  SIGNALS_QUEUE_GROUP,
  SIGNALS_SUBJECT_PREFIX,
  signalInstanceJson,
  signalInstancesSubjectOf,
  signalNameOfSubject,
} from '../core/signals/encode.js';
import type { SignalInstance, SignalRequest } from '../core/signals/model.js';
import type { EngineApi } from '../workflow/engine-api.js';
import type { Logger } from '../log/logger.js';

export interface SignalIngestOptions {
  nc: NatsConnection;
  api: Pick<EngineApi, 'sendSignal'>;
  log: Logger;
  /** Largest body taken (bytes); default 128 KiB (the payload limit is 64 KiB of JSON). */
  maxBytes?: number;
  /** Messages handled at once; default 256. */
  concurrency?: number;
  /** At most one dead-letter log line per this many ms; default 10 s. */
  logEveryMs?: number;
}

export interface SignalIngestStats {
  stored: number;
  duplicates: number;
  deadLettered: number;
  /** Well-formed messages the store could not take (unavailable): answered with an error, not dead-lettered. */
  failed: number;
}

/** A refusal of the message itself (it goes to the dead letter). */
class Malformed extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** The SignalRequest of a JSON body (Maestro's SignalCreateRequest shape); throws Malformed naming the field. */
export function signalRequestOfBody(name: string, body: unknown): SignalRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Malformed('body: must be a JSON object');
  const req: SignalRequest = { params: {}, payload: {} };
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    switch (k) {
      case 'params':
        if (v === null) break;
        if (typeof v !== 'object' || Array.isArray(v)) throw new Malformed('params: must be an object of name -> long or string');
        req.params = v as SignalRequest['params'];
        break;
      case 'payload':
        if (v === null) break;
        if (typeof v !== 'object' || Array.isArray(v)) throw new Malformed('payload: must be a JSON object');
        req.payload = v as Record<string, unknown>;
        break;
      case 'request_id':
        if (v === null) break;
        if (typeof v !== 'string') throw new Malformed('request_id: must be a string');
        req.requestId = v;
        break;
      case 'request_time':
        if (v === null) break;
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Malformed('request_time: must be epoch milliseconds (an integer >= 0)');
        req.requestTimeMs = v;
        break;
      case 'name':
        if (v !== name) throw new Malformed(`name: the body names ${JSON.stringify(v)} but the subject names ${JSON.stringify(name)}`);
        break;
      default:
        Object.defineProperty(extra, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
  }
  if (Object.keys(extra).length > 0) req.payload = { ...extra, ...req.payload };
  return req;
}

export class SignalIngest {
  private readonly sub: Subscription;
  private readonly counts: SignalIngestStats = { stored: 0, duplicates: 0, deadLettered: 0, failed: 0 };
  private readonly maxBytes: number;
  private readonly logEveryMs: number;
  private lastLogMs = -Infinity;
  private suppressed = 0;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly loop: Promise<void>;

  constructor(private readonly o: SignalIngestOptions) {
    this.maxBytes = o.maxBytes ?? 128 * 1024;
    this.logEveryMs = o.logEveryMs ?? 10_000;
    this.sub = o.nc.subscribe(`${SIGNALS_SUBJECT_PREFIX}.>`, { queue: SIGNALS_QUEUE_GROUP });
    this.loop = this.consume();
  }

  stats(): SignalIngestStats {
    return { ...this.counts };
  }

  /** Stops taking messages (those in hand finish). */
  async close(): Promise<void> {
    if (!this.sub.isClosed()) this.sub.unsubscribe();
    await this.loop;
  }

  private async consume(): Promise<void> {
    const limit = this.o.concurrency ?? 256;
    for await (const m of this.sub) {
      if (this.inFlight >= limit) await new Promise<void>((r) => this.waiting.push(r));
      this.inFlight++;
      this.handle(m)
        .catch((err: unknown) => this.o.log.error({ err, subject: m.subject }, 'signal ingestion failed on a message'))
        .finally(() => {
          this.inFlight--;
          this.waiting.shift()?.();
        });
    }
  }

  private async handle(m: Msg): Promise<void> {
    let name: string;
    let req: SignalRequest;
    try {
      if (m.data.length > this.maxBytes) throw new Malformed(`body: ${m.data.length} bytes, more than the limit of ${this.maxBytes}`);
      try {
        name = signalNameOfSubject(m.subject);
      } catch (err) {
        throw new Malformed((err as Error).message);
      }
      let text: string;
      try {
        text = utf8.decode(m.data);
      } catch {
        throw new Malformed('body: not UTF-8');
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (err) {
        throw new Malformed(`body: not JSON (${(err as Error).message})`);
      }
      req = signalRequestOfBody(name, body);
    } catch (err) {
      if (!(err instanceof Malformed)) throw err;
      this.deadLetter(m, err.message);
      return;
    }
    try {
      const r = await this.o.api.sendSignal(name, req);
      if (r.duplicate) this.counts.duplicates++;
      else this.counts.stored++;
      this.answer(m, { ...signalInstanceJson(r.instance), duplicate: r.duplicate });
    } catch (err) {
      if (err instanceof MaestroError && err.kind === 'invalid_argument') {
        this.deadLetter(m, err.message);
        return;
      }
      this.counts.failed++;
      this.o.log.warn({ err, subject: m.subject }, 'a signal from NATS was not stored (the store is unavailable); the publisher was answered with the error if it asked');
      this.answer(m, { error: (err as Error).message });
    }
  }

  private answer(m: Msg, body: Record<string, unknown>): void {
    if (!m.reply) return;
    try {
      m.respond(encoder.encode(JSON.stringify(body)));
    } catch (err) {
      this.o.log.debug({ err, subject: m.subject }, 'could not answer a signal request (connection closing)');
    }
  }

  private deadLetter(m: Msg, reason: string): void {
    this.counts.deadLettered++;
    const letter: Record<string, unknown> = { subject: m.subject, reason };
    try {
      letter.data = utf8.decode(m.data);
    } catch {
      letter.data_base64 = Buffer.from(m.data).toString('base64');
    }
    try {
      this.o.nc.publish(SIGNALS_DEAD_LETTER_SUBJECT, encoder.encode(JSON.stringify(letter)));
    } catch (err) {
      this.o.log.warn({ err, subject: m.subject }, 'could not publish to the signal dead letter subject');
    }
    this.answer(m, { error: reason });
    const now = Date.now();
    if (now - this.lastLogMs >= this.logEveryMs) {
      this.o.log.warn({ subject: m.subject.slice(0, 200), reason: reason.slice(0, 500), suppressed: this.suppressed, deadLettered: this.counts.deadLettered }, `malformed signal sent to ${SIGNALS_DEAD_LETTER_SUBJECT}`);
      this.lastLogMs = now;
      this.suppressed = 0;
    } else {
      this.suppressed++;
    }
  }
}

/** Publishes a stored signal as Maestro's JSON on `maestro.signal-instances.<encoded name>`. */
export function signalPublisher(nc: NatsConnection, log: Logger): (s: SignalInstance) => void {
  return (s) => {
    try {
      checkSignalName(s.name);
      nc.publish(signalInstancesSubjectOf(s.name), encoder.encode(JSON.stringify(signalInstanceJson(s))));
    } catch (err) {
      log.warn({ err, name: s.name, seqId: s.seqId }, 'could not publish a stored signal');
    }
  };
}
