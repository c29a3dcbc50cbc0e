/**
 * Reads a partition's subject from its first stored message through `lastSeq`, folding the
 * messages into a PartitionImage (./frames.ts). Used by `load` and by a snapshot, which carries
 * over the records newer than its instances' snapshots.
 *
 * It walks the subject with `STREAM.MSG.GET {seq, next_by_subj}`, one request per message,
 * answered by the stream leader: no consumer to create or clean up, and no dependency on the
 * JetStream meta leader (an ordered consumer stalls while the meta leader is being re-elected).
 * Snapshots keep the walk short: one snapshot plus the tail since.
 */
import type { MsgRequest, StoredMsg } from 'nats';
import type { PartitionImage } from '../port.js';
import { HDR_EPOCH, HDR_PART } from '../../nats/subjects.js';
import { JournalCorruptError, JournalUnavailableError } from './errors.js';
import { PartitionFold, type StoredMessage } from './frames.js';
import type { LogContext } from './log-context.js';
import { apiErrorCode, NO_MESSAGE, retrying } from './retry.js';

export async function readPartition(ctx: LogContext, subject: string, partition: number, lastSeq: number): Promise<PartitionImage> {
  const fold = new PartitionFold(partition);
  const deadline = Date.now() + ctx.loadTimeoutMs;
  const policy = { deadlineMs: ctx.appendTimeoutMs, attemptTimeoutMs: ctx.attemptTimeoutMs, retryBaseMs: ctx.retryBaseMs, retryMaxMs: ctx.retryMaxMs };
  const get = (query: MsgRequest): Promise<StoredMsg | undefined> =>
    retrying(`read of partition ${partition}`, policy, () => ctx.jsm.streams.getMessage(ctx.stream, query), (e) => apiErrorCode(e) === NO_MESSAGE);
  for (let next = 1; next <= lastSeq; ) {
    if (Date.now() > deadline) {
      throw new JournalUnavailableError(`read of partition ${partition}`, {
        cause: new Error(`read to #${next - 1} of #${lastSeq} in ${ctx.loadTimeoutMs} ms`),
      });
    }
    // nats.js types lack `next_by_subj` for STREAM.MSG.GET; the server (2.9+) accepts it.
    const sm = await get({ seq: next, next_by_subj: subject } as unknown as MsgRequest);
    if (!sm) {
      throw new JournalUnavailableError(`read of partition ${partition}`, { cause: new Error(`#${lastSeq} vanished while reading`) });
    }
    try {
      fold.add(stored(subject, sm));
    } catch (e) {
      if (e instanceof JournalCorruptError) throw e;
      // A BadFrame, or anything else the fold threw on these bytes: never a silent skip.
      throw new JournalCorruptError(subject, sm.seq, e instanceof Error ? e.message : String(e), { cause: e });
    }
    next = sm.seq + 1;
    // Messages up to `lastSeq` were purged under us by a snapshot written meanwhile: read on to
    // the subject's current end, so that snapshot is read whole.
    if (sm.seq > lastSeq) lastSeq = (await get({ last_by_subj: subject }))?.seq ?? lastSeq;
  }
  return fold.image();
}

function stored(subject: string, sm: StoredMsg): StoredMessage {
  const epoch = Number(sm.header?.get(HDR_EPOCH));
  if (!Number.isSafeInteger(epoch)) throw new JournalCorruptError(subject, sm.seq, `no ${HDR_EPOCH} header`);
  const msg: StoredMessage = { seq: sm.seq, epoch, data: sm.data };
  const part = sm.header?.get(HDR_PART);
  if (part) {
    const [i, n] = part.split('/').map(Number);
    if (i === undefined || n === undefined || !Number.isInteger(i) || !Number.isInteger(n) || i < 0 || n < 2 || i >= n) {
      throw new JournalCorruptError(subject, sm.seq, `bad ${HDR_PART} header ${part}`);
    }
    msg.part = [i, n];
  }
  return msg;
}
