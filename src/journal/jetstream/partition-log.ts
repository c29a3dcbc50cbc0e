/**
 * One partition's subject in the journal stream, written by at most one owner at a time.
 *
 * Invariants:
 * - Fence: every message is published with `Nats-Expected-Last-Subject-Sequence` = the last
 *   sequence this writer knows, AND `Nats-Msg-Id` = `p<partition>@<that sequence>`. The header
 *   alone is not enough on nats-server < 2.10.5 with replicated streams: there it is checked only
 *   before the raft proposal, so two concurrent writers expecting the same sequence are both
 *   stored (reproduced on 2.9.10, R3). The position-derived id makes the second one a duplicate,
 *   which JetStream rejects atomically when applying, on every version.
 * - One write in flight: while one is in flight, `submit`ted operations queue; the queue is
 *   drained as one batch, consecutive appends of an epoch merged into one frame (group commit).
 *   A merged frame succeeds or fails as a whole, so one call's records are all or none.
 * - Epochs: only `claim` moves the fence forward (a marker with the new epoch). A write below the
 *   known epoch, or whose publish finds another writer's message at its position, rejects with
 *   StaleEpochError and writes nothing; the epoch is then remembered as fenced.
 * - Lost acks: a publish that times out (or meets a leader election) is resent with the same
 *   msg id until `appendTimeoutMs`; if JetStream then reports a duplicate or a wrong sequence,
 *   the last message is read back and counts as ours when it carries our `Maestro-Writer` id.
 *   If the deadline passes, the call rejects JournalUnavailableError and the next write first
 *   re-reads the subject's last message (the unknown write is then either there, whole, or not).
 */
import { headers, nuid, type JetStreamClient, type JetStreamManager, type PubAck, type StoredMsg } from 'nats';
import { StaleEpochError } from '../../core/errors.js';
import type { InstanceSnapshot, JournalRecord } from '../port.js';
import { HDR_EPOCH, HDR_PART, HDR_WRITER, journalPositionId, journalSubject } from '../../transport/nats/subjects.js';
import { JournalCorruptError, JournalUnavailableError, NotClaimedError } from './errors.js';
import { claimFrame, recordsFrame, snapshotFrame, splitParts } from './frames.js';

export interface LogContext {
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  subjectPrefix: string;
  /** Largest payload of one message; bigger frames are cut into parts. */
  maxMessageBytes: number;
  /** Deadline of one write or read, resends included. */
  appendTimeoutMs: number;
  /** How long one publish waits for its ack before it is resent. */
  attemptTimeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Attempts of a claim that keeps losing to the old owner's appends. */
  claimAttempts: number;
}

export interface LastMessage {
  seq: number;
  epoch: number;
  writer: string;
}

type Op =
  | { kind: 'append'; epoch: number; records: readonly JournalRecord[]; settle: Settle }
  | { kind: 'snapshot'; epoch: number; snaps: readonly InstanceSnapshot[]; settle: Settle }
  | { kind: 'claim'; epoch: number; settle: Settle };
type Settle = (error?: unknown) => void;
type OpInput = Op extends infer O ? (O extends Op ? Omit<O, 'settle'> : never) : never;

/** Result of one fenced publish: stored at `seq`, or another writer holds the position. */
type Published = { seq: number } | { conflict: LastMessage | undefined };

export class PartitionLog {
  readonly subject: string;
  private epoch = 0;
  private lastSeq = 0;
  private synced = false;
  private fencedAt = 0;
  private readonly queue: Op[] = [];
  private running = false;

  constructor(
    private readonly ctx: LogContext,
    readonly partition: number,
  ) {
    this.subject = journalSubject(ctx.subjectPrefix, partition);
  }

  submit(op: OpInput): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...op, settle: (e) => (e === undefined ? resolve() : reject(e)) } as Op);
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      for (let i = 0; i < batch.length; ) {
        const op = batch[i]!;
        let j = i + 1;
        if (op.kind === 'append') {
          while (j < batch.length && batch[j]!.kind === 'append' && batch[j]!.epoch === op.epoch) j++;
        }
        const group = batch.slice(i, j);
        let error: unknown;
        try {
          await this.run(op, group);
        } catch (e) {
          error = e ?? new Error('journal write failed');
        }
        for (const o of group) o.settle(error);
        i = j;
      }
    }
    this.running = false;
  }

  private async run(op: Op, group: Op[]): Promise<void> {
    switch (op.kind) {
      case 'claim':
        return this.claim(op.epoch);
      case 'append': {
        await this.checkEpoch(op.epoch);
        const frame = recordsFrame(op.epoch, group.map((o) => (o.kind === 'append' ? o.records : [])));
        await this.writeFrame(frame, op.epoch);
        return;
      }
      case 'snapshot': {
        await this.checkEpoch(op.epoch);
        const firstSeq = await this.writeFrame(snapshotFrame(op.epoch, op.snaps), op.epoch);
        try {
          await this.ctx.jsm.streams.purge(this.ctx.stream, { filter: this.subject, seq: firstSeq });
        } catch (e) {
          throw new JournalUnavailableError(`snapshot of partition ${this.partition} is durable but purging below it failed`, { cause: e });
        }
        return;
      }
    }
  }

  private async claim(epoch: number): Promise<void> {
    for (let attempt = 0; attempt < this.ctx.claimAttempts; attempt++) {
      const current = Math.max(this.epoch, this.fencedAt);
      if (epoch <= current) throw this.stale(epoch, current);
      const last = await this.readLast();
      if (last && last.epoch >= epoch) {
        this.fencedAt = Math.max(this.fencedAt, last.epoch);
        throw this.stale(epoch, last.epoch);
      }
      this.lastSeq = last?.seq ?? 0;
      const res = await this.publish(claimFrame(epoch), epoch);
      if ('seq' in res) {
        this.epoch = epoch;
        this.lastSeq = res.seq;
        this.synced = true;
        return;
      }
      // Someone wrote at our position first (the old owner's last append, or a rival claim):
      // re-read; a newer claim makes us stale above, an older writer's append is claimed over.
    }
    throw new JournalUnavailableError(`claim of partition ${this.partition} at epoch ${epoch}`, {
      cause: new Error(`lost the race for the fence ${this.ctx.claimAttempts} times`),
    });
  }

  /** Rejects a write whose epoch is not the subject's current one; syncs `lastSeq` when needed. */
  private async checkEpoch(epoch: number): Promise<void> {
    if (epoch <= this.fencedAt || epoch < this.epoch) throw this.stale(epoch, Math.max(this.epoch, this.fencedAt));
    if (epoch === this.epoch && this.synced) return;
    const last = await this.readLast();
    const current = last?.epoch ?? 0;
    if (current > epoch) {
      this.fencedAt = current;
      throw this.stale(epoch, current);
    }
    if (current < epoch) throw new NotClaimedError(this.partition, epoch, current);
    this.epoch = epoch;
    this.lastSeq = last?.seq ?? 0;
    this.synced = true;
  }

  /** Writes a frame (in parts when large) and returns the sequence of its first message. */
  private async writeFrame(frame: Uint8Array, epoch: number): Promise<number> {
    const parts = splitParts(frame, this.ctx.maxMessageBytes);
    let first = 0;
    for (let i = 0; i < parts.length; i++) {
      const res = await this.publish(parts[i]!, epoch, parts.length > 1 ? `${i}/${parts.length}` : undefined);
      if (!('seq' in res)) {
        const current = res.conflict?.epoch ?? 0;
        this.fencedAt = Math.max(this.fencedAt, current, epoch);
        this.synced = false;
        throw this.stale(epoch, current, res.conflict?.seq);
      }
      this.lastSeq = res.seq;
      if (i === 0) first = res.seq;
    }
    return first;
  }

  private async publish(data: Uint8Array, epoch: number, part?: string): Promise<Published> {
    const writer = nuid.next();
    const h = headers();
    h.set(HDR_EPOCH, String(epoch));
    h.set(HDR_WRITER, writer);
    if (part) h.set(HDR_PART, part);
    const opts = { headers: h, msgID: journalPositionId(this.partition, this.lastSeq), expect: { lastSubjectSequence: this.lastSeq } };
    let ack: PubAck | undefined;
    try {
      ack = await this.retrying(
        `append to partition ${this.partition}`,
        (timeout) => this.ctx.js.publish(this.subject, data, { ...opts, timeout }),
        isWrongLastSequence,
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

  async readLast(): Promise<LastMessage | undefined> {
    let sm: StoredMsg | undefined;
    try {
      sm = await this.retrying(
        `read of partition ${this.partition}`,
        (timeout) => withTimeout(this.ctx.jsm.streams.getMessage(this.ctx.stream, { last_by_subj: this.subject }), timeout),
        isNoMessage,
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

  /**
   * Runs `fn` until it resolves, resending on timeouts and "no responders" until the deadline.
   * An error for which `expected` holds resolves `undefined` (the caller inspects the subject).
   */
  private async retrying<T>(what: string, fn: (timeoutMs: number) => Promise<T>, expected: (e: unknown) => boolean): Promise<T | undefined> {
    const deadline = Date.now() + this.ctx.appendTimeoutMs;
    let backoff = this.ctx.retryBaseMs;
    for (;;) {
      const remaining = deadline - Date.now();
      try {
        return await fn(Math.max(1, Math.min(remaining, this.ctx.attemptTimeoutMs)));
      } catch (e) {
        if (expected(e)) return undefined;
        if (!isTransient(e) || deadline - Date.now() <= 0) throw new JournalUnavailableError(what, { cause: e });
      }
      await sleep(Math.min(backoff, Math.max(0, deadline - Date.now())));
      backoff = Math.min(backoff * 2, this.ctx.retryMaxMs);
    }
  }

  private stale(epoch: number, current: number, atSeq?: number): StaleEpochError {
    const where = atSeq === undefined ? '' : ` (message ${atSeq} holds the fence)`;
    return new StaleEpochError(`partition ${this.partition}: epoch ${epoch} is stale, the journal is at epoch ${current}${where}`);
  }
}

function codeOf(e: unknown): { code?: string; err?: number } {
  const x = e as { code?: unknown; api_error?: { err_code?: unknown } };
  return {
    code: typeof x?.code === 'string' ? x.code : undefined,
    err: typeof x?.api_error?.err_code === 'number' ? x.api_error.err_code : undefined,
  };
}

function isWrongLastSequence(e: unknown): boolean {
  return codeOf(e).err === 10071;
}

function isNoMessage(e: unknown): boolean {
  return codeOf(e).err === 10037;
}

/** Worth resending: no responders (leader moving), timeouts, reconnects, "temporarily unavailable". */
function isTransient(e: unknown): boolean {
  const { code, err } = codeOf(e);
  return code === '503' || code === 'TIMEOUT' || code === 'DISCONNECT' || code === '408' || err === 10008 || code === 'REQUEST_ERROR';
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'TIMEOUT' })), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
