/**
 * One partition's subject in the journal stream: the fenced writes of one batch of the
 * GroupCommitter (claims, merged appends, snapshots, in submit order).
 *
 * Invariants:
 * - Fence: every message is published with `Nats-Expected-Last-Subject-Sequence` = the last
 *   sequence this writer knows, AND `Nats-Msg-Id` = `p<partition>@<that sequence>`. The header
 *   alone is not enough on nats-server < 2.10.5 with replicated streams: there it is checked only
 *   before the raft proposal, so two concurrent writers expecting the same sequence are both
 *   stored (reproduced on 2.9.10, R3). The position-derived id makes the second one a duplicate,
 *   which JetStream rejects atomically when applying, on every version.
 * - The journal's epoch is the highest claim marker on the subject; every message carries it
 *   (`Maestro-Epoch`). A write below it rejects with StaleEpochError. A publish that finds another
 *   writer's message at its position re-reads the subject's last message: a higher epoch there
 *   means we are stale; otherwise (an old owner's append that landed just before our claim)
 *   the write is redone at the new position, a bounded number of times.
 * - All or none: a batch's appends form one frame; a frame larger than a message is written in
 *   parts that only count once the last is stored. A failed batch rejects all its calls.
 * - Lost acks: a publish that times out (or meets a leader election) is resent with the same msg
 *   id until `appendTimeoutMs`; a duplicate or wrong-sequence answer then counts as ours when the
 *   last message carries our `Maestro-Writer` id. Past the deadline the batch rejects
 *   JournalUnavailableError and the next write first re-reads the subject's last message.
 */
import { headers, nuid, type PubAck, type StoredMsg } from 'nats';
import type { InstanceSnapshot, JournalRecord } from '../port.js';
import { staleEpoch } from '../partition-state.js';
import { HDR_EPOCH, HDR_PART, HDR_WRITER, journalPositionId, journalSubject } from '../../nats/subjects.js';
import { JournalCorruptError, JournalUnavailableError } from './errors.js';
import { claimFrame, encodeSnapshots, recordsFrame, snapshotFrame, splitParts } from './frames.js';
import type { LogContext } from './log-context.js';
import { readPartition } from './reader.js';
import { apiErrorCode, NO_MESSAGE, retrying, WRONG_LAST_SEQUENCE, type RetryPolicy } from './retry.js';

export type Op =
  | { kind: 'claim'; epoch: number }
  | { kind: 'append'; epoch: number; records: readonly JournalRecord[] }
  | {
      kind: 'snapshot';
      epoch: number;
      snapshots: Uint8Array;
      covers: readonly Pick<InstanceSnapshot, 'instanceKey' | 'seq'>[];
      forget: readonly string[];
    };

export interface LastMessage {
  seq: number;
  epoch: number;
  writer: string;
}

export class PartitionLog {
  readonly subject: string;
  /** Highest epoch known to be in the journal (or fencing us); 0 until read. */
  fence = 0;
  private lastSeq = 0;
  private synced = false;

  constructor(
    private readonly ctx: LogContext,
    readonly partition: number,
  ) {
    this.subject = journalSubject(ctx.subjectPrefix, partition);
  }

  /** Writes one GroupCommitter batch, in order. */
  async write(ops: readonly Op[]): Promise<void> {
    for (let i = 0; i < ops.length; ) {
      const op = ops[i]!;
      if (op.kind === 'claim') {
        await this.writeFenced('claim', op.epoch, () => claimFrame(op.epoch), op.epoch);
        i++;
      } else if (op.kind === 'snapshot') {
        await this.snapshot(op);
        i++;
      } else {
        let j = i + 1;
        while (j < ops.length && ops[j]!.kind === 'append') j++;
        const appends = ops.slice(i, j) as Extract<Op, { kind: 'append' }>[];
        const minEpoch = Math.min(...appends.map((a) => a.epoch));
        await this.writeFenced('append', minEpoch, () => recordsFrame(this.fence, appends.map((a) => a.records)));
        i = j;
      }
    }
  }

  private async snapshot(op: Extract<Op, { kind: 'snapshot' }>): Promise<void> {
    const first = await this.writeFenced('snapshot', op.epoch, async () => {
      // The port's checkpoint is incremental; the frame is the whole merged image, so that
      // everything before it can be purged.
      const image = await readPartition(this.ctx, this.subject, this.partition, this.lastSeq);
      const covered = new Map(op.covers.map((c) => [c.instanceKey, c.seq]));
      const forgotten = new Set(op.forget);
      const kept: InstanceSnapshot[] = [];
      const carried: JournalRecord[] = [];
      for (const [key, img] of image.instances) {
        if (forgotten.has(key)) continue;
        const seq = covered.get(key);
        if (seq === undefined && img.snapshot) kept.push(img.snapshot);
        for (const r of img.records) if (seq === undefined || r.seq > seq) carried.push(r);
      }
      return snapshotFrame(this.fence, kept.length > 0 ? [op.snapshots, encodeSnapshots(kept)] : [op.snapshots], carried);
    });
    // nats-server reads `seq` <= 1 as "no bound" and would purge the snapshot too; below
    // sequence 1 there is nothing to purge anyway.
    if (first <= 1) return;
    try {
      await this.ctx.jsm.streams.purge(this.ctx.stream, { filter: this.subject, seq: first });
    } catch (e) {
      throw new JournalUnavailableError(`snapshot of partition ${this.partition} is durable but purging below it failed`, { cause: e });
    }
  }

  /**
   * Publishes the frame built by `build` (rebuilt on a retry, at the new position) unless
   * `epoch` is below the fence; `claiming` is the epoch the frame moves the fence to.
   * Returns the sequence of the frame's first message.
   */
  private async writeFenced(what: string, epoch: number, build: () => Uint8Array | Promise<Uint8Array>, claiming?: number): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      await this.sync();
      if (claiming === undefined ? epoch < this.fence : epoch <= this.fence) {
        throw staleEpoch(this.partition, what, epoch, this.fence);
      }
      const parts = splitParts(await build(), this.ctx.maxMessageBytes);
      const header = claiming ?? this.fence;
      let first = 0;
      let lost: LastMessage | undefined;
      for (let i = 0; i < parts.length && !lost; i++) {
        const res = await this.publish(parts[i]!, header, parts.length > 1 ? `${i}/${parts.length}` : undefined);
        if ('seq' in res) {
          this.lastSeq = res.seq;
          if (i === 0) first = res.seq;
        } else {
          lost = res.conflict ?? { seq: 0, epoch: 0, writer: '' };
        }
      }
      if (!lost) {
        if (claiming !== undefined) this.fence = claiming;
        return first;
      }
      this.synced = false;
      if (lost.epoch > this.fence) this.fence = lost.epoch;
      if (attempt >= this.ctx.conflictRetries) {
        throw new JournalUnavailableError(`${what} on partition ${this.partition}`, {
          cause: new Error(`lost the position to another writer ${attempt + 1} times (last at #${lost.seq})`),
        });
      }
    }
  }

  /** Makes `lastSeq` and `fence` reflect the subject after an unknown outcome or a conflict. */
  private async sync(): Promise<void> {
    if (this.synced) return;
    const last = await this.readLast();
    this.lastSeq = last?.seq ?? 0;
    this.fence = Math.max(this.fence, last?.epoch ?? 0);
    this.synced = true;
  }

  private async publish(data: Uint8Array, epoch: number, part?: string): Promise<{ seq: number } | { conflict: LastMessage | undefined }> {
    const writer = nuid.next();
    const h = headers();
    h.set(HDR_EPOCH, String(epoch));
    h.set(HDR_WRITER, writer);
    if (part) h.set(HDR_PART, part);
    const opts = { headers: h, msgID: journalPositionId(this.partition, this.lastSeq), expect: { lastSubjectSequence: this.lastSeq } };
    let ack: PubAck | undefined;
    try {
      ack = await retrying(
        `append to partition ${this.partition}`,
        this.policy(),
        (timeout) => this.ctx.js.publish(this.subject, data, { ...opts, timeout }),
        (e) => apiErrorCode(e) === WRONG_LAST_SEQUENCE,
      );
    } catch (e) {
      this.synced = false;
      throw e;
    }
    if (ack && !ack.duplicate) return { seq: ack.seq };
    // A duplicate id or a wrong last sequence: our own earlier send whose ack was lost, or
    // another writer's message (writer ids are unique per publish).
    const last = await this.readLast();
    if (last?.writer === writer) return { seq: last.seq };
    return { conflict: last };
  }

  private policy(): RetryPolicy {
    const { appendTimeoutMs, attemptTimeoutMs, retryBaseMs, retryMaxMs } = this.ctx;
    return { deadlineMs: appendTimeoutMs, attemptTimeoutMs, retryBaseMs, retryMaxMs };
  }

  async readLast(): Promise<LastMessage | undefined> {
    let sm: StoredMsg | undefined;
    try {
      sm = await retrying(
        `read of partition ${this.partition}`,
        this.policy(),
        () => this.ctx.jsm.streams.getMessage(this.ctx.stream, { last_by_subj: this.subject }),
        (e) => apiErrorCode(e) === NO_MESSAGE,
      );
    } catch (e) {
      this.synced = false;
      throw e;
    }
    if (!sm) return undefined;
    const epoch = Number(sm.header?.get(HDR_EPOCH));
    if (!Number.isSafeInteger(epoch)) throw new JournalCorruptError(this.subject, sm.seq, `no ${HDR_EPOCH} header`);
    return { seq: sm.seq, epoch, writer: sm.header?.get(HDR_WRITER) ?? '' };
  }
}
