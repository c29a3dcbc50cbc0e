/**
 * Journal over one JetStream stream (default `MAESTRO_JOURNAL`, subjects `maestro.journal.>`,
 * file storage), one subject per partition. Calls are fenced at once against what this process
 * knows (claims it submitted, epochs it has read), then go through the shared GroupCommitter:
 * one write in flight per partition, calls queued meanwhile merged into the next. The fenced
 * publish, conflicts and lost acks are in ./partition-log.ts, frames and the fold in ./frames.ts,
 * reading a partition in ./reader.ts.
 *
 * What an acknowledged append survives:
 * - A publish is acknowledged once the stream leader has written it (R1) or a majority of
 *   replicas has (R3). JetStream hands writes to the OS at once but fsyncs stream files only
 *   every 2 minutes (nats-server 2.9; its raft logs every 5 minutes).
 * - R1 (`replicas: 1`, the default, for one server): survives a crash of the nats-server
 *   process (the data is in the page cache); an OS crash or power loss can lose up to the last
 *   2 minutes of acknowledged appends.
 * - R3 (`replicas: 3`, recommended on a 3-server cluster): survives the loss of any one server,
 *   disk included; losing power to all three at once can still lose the unsynced tail. A lost
 *   stream leader stalls appends for the election (4-9 s on 2.9); they are resent meanwhile,
 *   hence the 15 s `appendTimeoutMs` default.
 * - nats-server 2.9.10 has neither `sync_interval` nor `sync_always` in its `jetstream {}` block
 *   (it rejects both as unknown fields). 2.10 added `sync_interval: <duration>` and
 *   `sync_interval: always` (fsync before every acknowledgement, at a throughput cost).
 *
 * An existing stream is used as it is (its subjects must cover this journal's); a missing one is
 * created from the options. Snapshots purge the partition subject below themselves, so a `load`
 * reads one snapshot plus the tail.
 */
import { drainOrClose, overNewConnection, splitConnectOptions, type NatsConnectOptions } from '../../nats/connection.js';
import { moduleLogger, type Logger } from '../../log/logger.js';
import { settledWithin } from '../../retry/index.js';
import { DiscardPolicy, RetentionPolicy, StorageType, nanos, type JetStreamManager, type NatsConnection, type StreamConfig, type StreamInfo } from 'nats';
import { MaestroError } from '../../core/errors.js';
import { GroupCommitter } from '../../storage/group-commit.js';
import { checkEpoch, checkPartition, checkRecords, checkSnapshots, staleEpoch } from '../partition-state.js';
import type { Epoch, InstanceSnapshot, Journal, JournalRecord, PartitionImage } from '../port.js';
import { JournalClosedError, JournalUnavailableError } from './errors.js';
import { encodeSnapshots } from './frames.js';
import type { LogContext } from './log-context.js';
import { PartitionLog, type Op } from './partition-log.js';
import { jetStreamJournalDefaults, type JetStreamJournalOptions, type ResolvedJournalOptions } from './options.js';
import { readPartition } from './reader.js';
import { apiErrorCode, retrying } from './retry.js';

const STREAM_NOT_FOUND = 10059;

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
    private readonly closeTimeoutMs: number,
    private readonly logger: Logger,
  ) {
    this.committer = new GroupCommitter<Op>((p, ops) => this.log(p).write(ops), { maxBatch });
  }

  static connect(opts: JetStreamJournalOptions & NatsConnectOptions): Promise<JetStreamJournal> {
    const [connection, rest] = splitConnectOptions(opts);
    return overNewConnection(connection, (nc) => JetStreamJournal.create(nc, rest, true));
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
    return new JetStreamJournal(nc, ctx, owns, o.maxBatch, o.closeTimeoutMs, moduleLogger(o.log, 'journal'));
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

  async snapshot(partition: number, epoch: Epoch, snapshots: readonly InstanceSnapshot[], forget: readonly string[] = []): Promise<void> {
    const current = this.fenceOf(partition, epoch);
    if (epoch < current) throw staleEpoch(partition, 'snapshot', epoch, current);
    checkSnapshots(snapshots, forget);
    const covers = snapshots.map((s) => ({ instanceKey: s.instanceKey, seq: s.seq }));
    await this.committer.submit(partition, { kind: 'snapshot', epoch, snapshots: encodeSnapshots(snapshots), covers, forget: forget.slice() });
  }

  async load(partition: number): Promise<PartitionImage> {
    this.checkOpen();
    checkPartition(partition);
    const log = this.log(partition);
    const last = await log.readLast();
    return readPartition(this.ctx, log.subject, partition, last?.seq ?? 0);
  }

  /**
   * Waits for the writes in flight, then drains and closes the connection if the journal opened
   * it — each for at most `closeTimeoutMs`: a write that has not finished by then is left to
   * its deadline (its caller learns the outcome), so closing never hangs on a lost server.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!(await settledWithin([this.committer.idle()], this.closeTimeoutMs))) {
      this.logger.warn({ closeTimeoutMs: this.closeTimeoutMs }, 'journal writes still in flight at close; closing anyway');
    }
    if (this.ownsConnection) await drainOrClose(this.nc, this.closeTimeoutMs, this.logger);
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
