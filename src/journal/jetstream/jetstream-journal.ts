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
import { connect, DiscardPolicy, RetentionPolicy, StorageType, nanos, type JetStreamManager, type NatsConnection, type StreamConfig, type StreamInfo } from 'nats';
import { MaestroError } from '../../core/errors.js';
import { GroupCommitter } from '../group-commit.js';
import { checkEpoch, checkPartition, checkRecords, checkSnapshots, staleEpoch } from '../memory/partition-state.js';
import type { Epoch, InstanceSnapshot, Journal, JournalRecord, PartitionImage } from '../port.js';
import { JOURNAL_PREFIX, JOURNAL_STREAM } from '../../transport/nats/subjects.js';
import { JournalClosedError, JournalUnavailableError } from './errors.js';
import { encodeSnapshots } from './frames.js';
import { PartitionLog, type LogContext, type Op } from './partition-log.js';
import { readPartition } from './reader.js';
import { apiErrorCode, retrying } from './retry.js';

const STREAM_NOT_FOUND = 10059;

export interface JetStreamJournalOptions {
  stream?: string;
  subjectPrefix?: string;
  /** Stream replicas for a new stream: 1 on a single server, 3 recommended on a 3-server cluster. */
  replicas?: number;
  /** Largest message payload; default the server's max_payload less 4 KiB for headers. */
  maxMessageBytes?: number;
  /** Deadline of one publish or read, resends included. */
  appendTimeoutMs?: number;
  /** How long one publish waits for its ack before it is resent. */
  attemptTimeoutMs?: number;
  /** Deadline of reading a partition in `load` (and a snapshot's carry-over). */
  loadTimeoutMs?: number;
  /** JetStream's duplicate window for a new stream; must exceed `appendTimeoutMs`. */
  duplicateWindowMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How often a write is redone after losing its position to another writer. */
  conflictRetries?: number;
  /** Most calls merged into one write (GroupCommitter). */
  maxBatch?: number;
}

export type ResolvedJournalOptions = Required<Omit<JetStreamJournalOptions, 'maxMessageBytes'>> & { maxMessageBytes?: number };

export function jetStreamJournalDefaults(opts: JetStreamJournalOptions = {}): ResolvedJournalOptions {
  const resolved = {
    stream: JOURNAL_STREAM,
    subjectPrefix: JOURNAL_PREFIX,
    replicas: 1,
    appendTimeoutMs: 15_000,
    attemptTimeoutMs: 2_000,
    loadTimeoutMs: 60_000,
    duplicateWindowMs: 120_000,
    retryBaseMs: 10,
    retryMaxMs: 500,
    conflictRetries: 10,
    maxBatch: 1024,
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
  /** Claims submitted and not yet failed, per partition: later calls are fenced by them at once. */
  private readonly claiming = new Map<number, Epoch>();
  private readonly committer: GroupCommitter<Op>;
  private closed = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly ctx: LogContext,
    private readonly ownsConnection: boolean,
    maxBatch: number,
  ) {
    this.committer = new GroupCommitter<Op>((p, ops) => this.log(p).write(ops), { maxBatch });
  }

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
    const o = jetStreamJournalDefaults(opts);
    const jsm = await nc.jetstreamManager({ checkAPI: false });
    await ensureStream(jsm, o);
    const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
    const ctx: LogContext = {
      js: nc.jetstream(),
      jsm,
      stream: o.stream,
      subjectPrefix: o.subjectPrefix,
      maxMessageBytes: o.maxMessageBytes ?? maxPayload - 4096,
      appendTimeoutMs: o.appendTimeoutMs,
      attemptTimeoutMs: o.attemptTimeoutMs,
      loadTimeoutMs: o.loadTimeoutMs,
      retryBaseMs: o.retryBaseMs,
      retryMaxMs: o.retryMaxMs,
      conflictRetries: o.conflictRetries,
    };
    return new JetStreamJournal(nc, ctx, owns, o.maxBatch);
  }

  async claim(partition: number, epoch: Epoch): Promise<void> {
    const current = this.fenceOf(partition, epoch);
    if (epoch <= current) throw staleEpoch(partition, 'claim', epoch, current);
    this.claiming.set(partition, epoch);
    try {
      await this.committer.submit(partition, { kind: 'claim', epoch });
    } finally {
      if (this.claiming.get(partition) === epoch) this.claiming.delete(partition);
    }
  }

  async append(partition: number, epoch: Epoch, records: readonly JournalRecord[]): Promise<void> {
    const current = this.fenceOf(partition, epoch);
    if (epoch < current) throw staleEpoch(partition, 'append', epoch, current);
    checkRecords(records);
    if (records.length === 0) return;
    await this.committer.submit(partition, { kind: 'append', epoch, records });
  }

  async snapshot(partition: number, epoch: Epoch, snapshots: readonly InstanceSnapshot[]): Promise<void> {
    const current = this.fenceOf(partition, epoch);
    if (epoch < current) throw staleEpoch(partition, 'snapshot', epoch, current);
    checkSnapshots(snapshots);
    const covers = snapshots.map((s) => ({ instanceKey: s.instanceKey, seq: s.seq }));
    await this.committer.submit(partition, { kind: 'snapshot', epoch, snapshots: encodeSnapshots(snapshots), covers });
  }

  async load(partition: number): Promise<PartitionImage> {
    this.checkOpen();
    checkPartition(partition);
    const log = this.log(partition);
    const last = await log.readLast();
    return readPartition(this.ctx, log.subject, partition, last?.seq ?? 0);
  }

  /** Waits for the writes in flight, then closes the connection if the journal opened it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.committer.idle();
    if (this.ownsConnection && !this.nc.isClosed()) await this.nc.drain();
  }

  /** Checks the arguments and returns the fence this process knows for the partition. */
  private fenceOf(partition: number, epoch: Epoch): Epoch {
    this.checkOpen();
    checkPartition(partition);
    checkEpoch(epoch);
    return Math.max(this.log(partition).fence, this.claiming.get(partition) ?? 0);
  }

  private checkOpen(): void {
    if (this.closed) throw new JournalClosedError();
  }

  private log(partition: number): PartitionLog {
    let log = this.logs.get(partition);
    if (!log) this.logs.set(partition, (log = new PartitionLog(this.ctx, partition)));
    return log;
  }
}

async function ensureStream(jsm: JetStreamManager, o: ResolvedJournalOptions): Promise<void> {
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
  const policy = { deadlineMs: o.appendTimeoutMs, attemptTimeoutMs: o.attemptTimeoutMs, retryBaseMs: o.retryBaseMs, retryMaxMs: o.retryMaxMs };
  const read = (): Promise<StreamInfo | undefined> =>
    retrying(`reading stream ${o.stream}`, policy, () => jsm.streams.info(o.stream), (e) => apiErrorCode(e) === STREAM_NOT_FOUND);
  let info = await read();
  if (!info) {
    try {
      info = await jsm.streams.add(config);
    } catch (addError) {
      // Another node may have created it meanwhile; use that one if it fits.
      info = await read();
      if (!info) throw new JournalUnavailableError(`creating stream ${o.stream}`, { cause: addError });
    }
  }
  if (!info.config.subjects?.includes(wanted)) {
    throw new MaestroError(
      'failed_precondition',
      `stream ${o.stream} has subjects ${JSON.stringify(info.config.subjects)}, which do not include ${wanted}`,
    );
  }
}
