/**
 * Journal over one JetStream stream (default `MAESTRO_JOURNAL`, subjects `maestro.journal.>`,
 * file storage), one subject per partition. Fencing, group commit and lost-ack handling live in
 * ./partition-log.ts; the frame format and the fold in ./frames.ts.
 *
 * What an acknowledged append survives:
 * - A publish is acknowledged once the stream leader has written it (R1) or a majority of
 *   replicas has (R3). JetStream writes to the OS at once but fsyncs only every 2 minutes
 *   (stream file stores, nats-server 2.9; the raft log every 5 minutes).
 * - R1 (`replicas: 1`, the default, for one server): survives a crash of the nats-server
 *   process (the data is in the page cache); an OS crash or power loss can lose up to the last
 *   2 minutes of acknowledged appends.
 * - R3 (`replicas: 3`, recommended on a 3-server cluster): survives the loss of any one server,
 *   disk included; losing power to all three at once can still lose the unsynced tail.
 * - nats-server 2.9.10 has no `sync_interval` / `sync_always` in its `jetstream {}` block (it
 *   rejects both as unknown fields; they arrived in 2.10). On 2.10+, `sync_interval: always`
 *   makes every acknowledged append fsynced, at a throughput cost.
 *
 * An existing stream is used as it is (its subjects must cover this journal's); a missing one is
 * created with the options below. Snapshots purge the partition subject below themselves, so a
 * `load` reads one snapshot plus the tail.
 */
import { connect, DiscardPolicy, RetentionPolicy, StorageType, nanos, type JsMsg, type NatsConnection, type StreamConfig } from 'nats';
import { MaestroError } from '../../core/errors.js';
import type { Epoch, InstanceSnapshot, Journal, JournalRecord, PartitionImage } from '../port.js';
import { HDR_EPOCH, HDR_PART, JOURNAL_PREFIX, JOURNAL_STREAM } from '../../transport/nats/subjects.js';
import { JournalClosedError, JournalCorruptError, JournalUnavailableError } from './errors.js';
import { BadFrame, PartitionFold, type StoredMessage } from './frames.js';
import { PartitionLog, type LogContext } from './partition-log.js';

export interface JetStreamJournalOptions {
  stream?: string;
  subjectPrefix?: string;
  /** Stream replicas for a new stream: 1 on a single server, 3 recommended on a 3-server cluster. */
  replicas?: number;
  /** Largest message payload; default the server's max_payload less 4 KiB for headers. */
  maxMessageBytes?: number;
  /** Deadline of one append, snapshot or claim step, resends included. */
  appendTimeoutMs?: number;
  /** How long one publish waits for its ack before it is resent. */
  attemptTimeoutMs?: number;
  /** Deadline of reading a partition in `load`. */
  loadTimeoutMs?: number;
  /** JetStream's duplicate window for a new stream; must exceed `appendTimeoutMs`. */
  duplicateWindowMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  claimAttempts?: number;
}

export type ResolvedJournalOptions = Required<Omit<JetStreamJournalOptions, 'maxMessageBytes'>> & { maxMessageBytes?: number };

export function jetStreamJournalDefaults(opts: JetStreamJournalOptions = {}): ResolvedJournalOptions {
  const resolved = {
    stream: JOURNAL_STREAM,
    subjectPrefix: JOURNAL_PREFIX,
    replicas: 1,
    appendTimeoutMs: 10_000,
    attemptTimeoutMs: 2_000,
    loadTimeoutMs: 60_000,
    duplicateWindowMs: 120_000,
    retryBaseMs: 10,
    retryMaxMs: 500,
    claimAttempts: 10,
    ...opts,
  };
  if (resolved.duplicateWindowMs <= resolved.appendTimeoutMs) {
    throw new MaestroError('invalid_argument', `duplicateWindowMs (${resolved.duplicateWindowMs}) must exceed appendTimeoutMs (${resolved.appendTimeoutMs})`);
  }
  if (![1, 3, 5].includes(resolved.replicas)) {
    throw new MaestroError('invalid_argument', `replicas must be 1, 3 or 5, got ${resolved.replicas}`);
  }
  return resolved;
}

export class JetStreamJournal implements Journal {
  private readonly logs = new Map<number, PartitionLog>();
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly ctx: LogContext,
    private readonly opts: ResolvedJournalOptions,
    private readonly ownsConnection: boolean,
  ) {}

  static async connect(opts: JetStreamJournalOptions & { servers: string[]; name?: string }): Promise<JetStreamJournal> {
    const { servers, name, ...rest } = opts;
    const nc = await connect({ servers, ...(name === undefined ? {} : { name }), maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    try {
      return await JetStreamJournal.create(nc, rest, true);
    } catch (e) {
      await nc.close();
      throw e;
    }
  }

  /** Uses a connection owned by the caller; `close` leaves it open. */
  static open(nc: NatsConnection, opts: JetStreamJournalOptions = {}): Promise<JetStreamJournal> {
    return JetStreamJournal.create(nc, opts, false);
  }

  private static async create(nc: NatsConnection, opts: JetStreamJournalOptions, owns: boolean): Promise<JetStreamJournal> {
    const resolved = jetStreamJournalDefaults(opts);
    const jsm = await nc.jetstreamManager();
    await ensureStream(jsm, resolved);
    const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
    const ctx: LogContext = {
      js: nc.jetstream(),
      jsm,
      stream: resolved.stream,
      subjectPrefix: resolved.subjectPrefix,
      maxMessageBytes: resolved.maxMessageBytes ?? maxPayload - 4096,
      appendTimeoutMs: resolved.appendTimeoutMs,
      attemptTimeoutMs: resolved.attemptTimeoutMs,
      retryBaseMs: resolved.retryBaseMs,
      retryMaxMs: resolved.retryMaxMs,
      claimAttempts: resolved.claimAttempts,
    };
    return new JetStreamJournal(nc, ctx, resolved, owns);
  }

  claim(partition: number, epoch: Epoch): Promise<void> {
    return this.track(this.log(partition).submit({ kind: 'claim', epoch }));
  }

  append(partition: number, epoch: Epoch, records: readonly JournalRecord[]): Promise<void> {
    return this.track(this.log(partition).submit({ kind: 'append', epoch, records }));
  }

  snapshot(partition: number, epoch: Epoch, snapshots: readonly InstanceSnapshot[]): Promise<void> {
    return this.track(this.log(partition).submit({ kind: 'snapshot', epoch, snaps: snapshots }));
  }

  async load(partition: number): Promise<PartitionImage> {
    const log = this.log(partition);
    const last = await log.readLast();
    const fold = new PartitionFold(partition);
    if (!last) return fold.image();
    const consumer = await this.ctx.js.consumers.get(this.ctx.stream, { filterSubjects: log.subject, inactive_threshold: 30_000 });
    const messages = await consumer.consume({ max_messages: 512 });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      messages.stop();
    }, this.opts.loadTimeoutMs);
    let reached = 0;
    try {
      for await (const m of messages) {
        try {
          fold.add(stored(log.subject, m));
        } catch (e) {
          if (e instanceof BadFrame) throw new JournalCorruptError(log.subject, m.seq, e.message);
          throw e;
        }
        reached = m.seq;
        if (m.seq >= last.seq) break;
      }
    } catch (e) {
      if (e instanceof MaestroError) throw e;
      throw new JournalUnavailableError(`load of partition ${partition}`, { cause: e });
    } finally {
      clearTimeout(timer);
      await messages.close();
      // The consumer also expires by itself after its inactive threshold.
      void consumer.delete().catch(() => undefined);
    }
    if (reached < last.seq) {
      const why = timedOut ? `not done within ${this.opts.loadTimeoutMs} ms` : 'the consumer stopped early';
      throw new JournalUnavailableError(`load of partition ${partition}`, { cause: new Error(`read to #${reached} of #${last.seq}: ${why}`) });
    }
    return fold.image();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.pending]);
    if (this.ownsConnection && !this.nc.isClosed()) await this.nc.drain();
  }

  private log(partition: number): PartitionLog {
    if (this.closed) throw new JournalClosedError();
    if (!Number.isInteger(partition) || partition < 0) {
      throw new MaestroError('invalid_argument', `partition must be a non-negative integer, got ${partition}`);
    }
    let log = this.logs.get(partition);
    if (!log) this.logs.set(partition, (log = new PartitionLog(this.ctx, partition)));
    return log;
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    const done = (): void => void this.pending.delete(p);
    p.then(done, done);
    return p;
  }
}

function stored(subject: string, m: JsMsg): StoredMessage {
  const epoch = Number(m.headers?.get(HDR_EPOCH));
  if (!Number.isSafeInteger(epoch)) throw new JournalCorruptError(subject, m.seq, `no ${HDR_EPOCH} header`);
  const msg: StoredMessage = { seq: m.seq, epoch, data: m.data };
  const part = m.headers?.get(HDR_PART);
  if (part) {
    const [i, n] = part.split('/').map(Number);
    if (!Number.isInteger(i) || !Number.isInteger(n) || i! < 0 || n! < 2 || i! >= n!) {
      throw new JournalCorruptError(subject, m.seq, `bad ${HDR_PART} header ${part}`);
    }
    msg.part = [i!, n!];
  }
  return msg;
}

async function ensureStream(jsm: Awaited<ReturnType<NatsConnection['jetstreamManager']>>, o: ResolvedJournalOptions): Promise<void> {
  const wanted = `${o.subjectPrefix}.>`;
  const config: Partial<StreamConfig> & { name: string } = {
    name: o.stream,
    subjects: [wanted],
    storage: StorageType.File,
    num_replicas: o.replicas,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(o.duplicateWindowMs),
    max_msgs_per_subject: -1,
    deny_delete: true,
    deny_purge: false,
  };
  let info;
  try {
    info = await jsm.streams.info(o.stream);
  } catch (e) {
    if ((e as { api_error?: { err_code?: number } }).api_error?.err_code !== 10059) {
      throw new JournalUnavailableError(`reading stream ${o.stream}`, { cause: e });
    }
    try {
      info = await jsm.streams.add(config);
    } catch (addError) {
      // Another node may have created it meanwhile; use that one if it fits.
      try {
        info = await jsm.streams.info(o.stream);
      } catch {
        throw new JournalUnavailableError(`creating stream ${o.stream}`, { cause: addError });
      }
    }
  }
  if (!info.config.subjects?.includes(wanted)) {
    throw new MaestroError(
      'failed_precondition',
      `stream ${o.stream} has subjects ${JSON.stringify(info.config.subjects)}, which do not include ${wanted}`,
    );
  }
}
