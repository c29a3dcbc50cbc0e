/**
 * KvStore over a JetStream KV bucket (default `maestro_meta`, history 1, file storage).
 *
 * - Keys are arbitrary strings: `/`-separated parts become subject tokens with forbidden
 *   characters escaped (src/nats/subjects.ts), so `list('a/b/')` is a subject filter
 *   `a.b.>` and never scans the whole bucket.
 * - Revision = the stream sequence of the key's last write: it grows on every write.
 * - CAS: `put(k, v, rev)` publishes with `Nats-Expected-Last-Subject-Sequence: rev` (0, or a
 *   delete marker's revision, when the key must not exist) AND `Nats-Msg-Id: <key>@<rev>`; the
 *   id makes concurrent CAS writes of the same revision fail on nats-server < 2.10.5 with R3,
 *   where the header is checked only before the raft proposal (see the journal's partition-log).
 *   A wrong-sequence error or a duplicate id rejects with CasConflictError and writes nothing.
 * - Reads go to the stream leader (no direct get), so a resolved `put` is seen by the next `get`.
 * - Values are JSON (readable with the `nats kv` CLI). One that is not JSON fails its read with
 *   KvCorruptError (key and revision named); what a value must hold is checked by the reader.
 */
import { drainOrClose, overNewConnection, splitConnectOptions, type NatsConnectOptions } from '../../nats/connection.js';
import { type KV, type KvEntry as NatsKvEntry, type NatsConnection } from 'nats';
import { MaestroError, ValidationError } from '../../core/errors.js';
import { CasConflictError, KvCorruptError, type KvEntry, type KvStore } from '../port.js';
import { KV_BUCKET, keyOfKv, kvKeyOf } from '../../nats/subjects.js';
import { KvUnavailableError } from './errors.js';
import { moduleLogger } from '../../log/logger.js';
import { jetStreamKvDefaults, type JetStreamKvOptions } from './options.js';

export { jetStreamKvDefaults, type JetStreamKvOptions } from './options.js';
import { retry } from '../../retry/index.js';

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

export class JetStreamKv implements KvStore {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly subjectPrefix: string,
    private readonly opts: ReturnType<typeof jetStreamKvDefaults>,
    private readonly ownsConnection: boolean,
  ) {}

  static connect(opts: JetStreamKvOptions & NatsConnectOptions): Promise<JetStreamKv> {
    const [connection, rest] = splitConnectOptions(opts);
    return overNewConnection(connection, (nc) => JetStreamKv.create(nc, rest, true));
  }

  /** Uses a connection owned by the caller; `close` leaves it open. */
  static open(nc: NatsConnection, opts: JetStreamKvOptions = {}): Promise<JetStreamKv> {
    return JetStreamKv.create(nc, opts, false);
  }

  private static async create(nc: NatsConnection, opts: JetStreamKvOptions, owns: boolean): Promise<JetStreamKv> {
    const o = jetStreamKvDefaults(opts);
    // checkAPI off: the account-info probe needs the JetStream meta leader, the bucket's stream does not.
    const js = nc.jetstream({ timeout: o.timeoutMs, checkAPI: false });
    // Nodes starting together race to create the bucket; the loser's create fails ("subjects
    // overlap with an existing stream") and its next try binds to the winner's bucket. Any
    // error is worth a few more tries: a JetStream leader may be being elected too.
    const kv = await retry(() => js.views.kv(o.bucket, { replicas: o.replicas, history: 1, allow_direct: false }), {
      what: `opening KV bucket ${o.bucket}`,
      backoff: { initialMs: o.openRetryBaseMs, maxMs: o.openRetryMaxMs },
      maxAttempts: o.openAttempts,
      shouldRetry: () => true,
      onDeadline: (last) => new KvUnavailableError(`opening KV bucket ${o.bucket}`, { cause: last }),
    });
    return new JetStreamKv(nc, kv, `$KV.${o.bucket}.`, o, owns);
  }

  async get<T = unknown>(key: string): Promise<KvEntry<T> | undefined> {
    const e = await this.call(`get ${key}`, () => this.kv.get(kvKeyOf(key)));
    if (!e || e.operation !== 'PUT') return undefined;
    return { key, value: parse<T>(key, e), revision: e.revision };
  }

  /** The server's max_payload (a message, so a value, cannot be bigger). */
  get maxValueBytes(): number | undefined {
    return this.nc.info?.max_payload;
  }

  async put(key: string, value: unknown, expectedRevision?: number): Promise<number> {
    const json = JSON.stringify(value);
    if (json === undefined) throw new ValidationError('value', `the value of ${key} is not JSON-compatible`);
    const kvKey = kvKeyOf(key);
    const data = utf8.encode(json);
    const max = this.maxValueBytes;
    // Over max_payload NATS refuses the publish; say so (not a retryable "unavailable").
    if (max !== undefined && data.length > max) throw new ValidationError('value', `the value of ${key} is ${data.length} bytes; NATS takes at most ${max} (max_payload)`);
    if (expectedRevision === undefined) return this.call(`put ${key}`, () => this.kv.put(kvKey, data));
    if (!Number.isSafeInteger(expectedRevision) || expectedRevision < 0) {
      throw new ValidationError('expectedRevision', `must be a non-negative integer, got ${expectedRevision}`);
    }
    let expect = expectedRevision;
    if (expect === 0) {
      // "Must not exist" also holds over a delete marker: expect the marker's revision then.
      const cur = await this.call(`get ${key}`, () => this.kv.get(kvKey));
      if (cur && cur.operation === 'PUT') throw new CasConflictError(key);
      expect = cur?.revision ?? 0;
    }
    const js = this.nc.jetstream({ timeout: this.opts.timeoutMs });
    let ack;
    try {
      ack = await js.publish(this.subjectPrefix + kvKey, data, { msgID: `${kvKey}@${expect}`, expect: { lastSubjectSequence: expect } });
    } catch (e) {
      if ((e as { api_error?: { err_code?: number } }).api_error?.err_code === 10071) throw new CasConflictError(key);
      throw new KvUnavailableError(`put ${key}`, { cause: e });
    }
    if (ack.duplicate) throw new CasConflictError(key);
    return ack.seq;
  }

  async delete(key: string): Promise<void> {
    await this.call(`delete ${key}`, () => this.kv.delete(kvKeyOf(key)));
  }

  async list<T = unknown>(prefix: string): Promise<KvEntry<T>[]> {
    const slash = prefix.lastIndexOf('/');
    const filter = slash < 0 ? '>' : `${kvKeyOf(prefix.slice(0, slash))}.>`;
    const keys = await this.call(`list ${prefix}`, async () => {
      const found: string[] = [];
      for await (const k of await this.kv.keys(filter)) {
        const key = keyOfKv(k);
        if (key.startsWith(prefix)) found.push(key);
      }
      return found;
    });
    const entries = await Promise.all(keys.map((k) => this.get<T>(k)));
    return entries.filter((e): e is KvEntry<T> => e !== undefined).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async close(): Promise<void> {
    if (this.ownsConnection) await drainOrClose(this.nc, this.opts.drainTimeoutMs, moduleLogger(this.opts.log, 'kv'));
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof MaestroError) throw e;
      throw new KvUnavailableError(what, { cause: e });
    }
  }
}

/** A value that is not JSON is a KvCorruptError; its shape is checked by the reader (getChecked). */
function parse<T>(key: string, e: NatsKvEntry): T {
  try {
    return JSON.parse(utf8Decoder.decode(e.value)) as T;
  } catch (cause) {
    throw new KvCorruptError(key, e.revision, 'not JSON', { cause });
  }
}
