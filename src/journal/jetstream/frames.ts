/**
 * Journal frames and the fold that turns a partition subject's messages into a PartitionImage.
 * Pure: no I/O.
 *
 * A frame is one msgpack value: a claim marker, a batch of records (one group commit), or a
 * full image of the partition (the writer merges the port's incremental checkpoint into the
 * image it reads, so it can purge everything before the frame). A frame larger than one message is cut into parts
 * (`Maestro-Part: i/n`), written consecutively under the same fence; it takes effect only when
 * its last part is read, so a writer that fails mid-frame leaves nothing half-applied.
 *
 * Fold rules, in subject order:
 * - a message whose epoch is below the highest epoch already seen is ignored (the fence makes
 *   this impossible; the fold does not rely on it);
 * - parts must arrive 0..n-1 without interruption; anything else abandons the pending frame;
 * - records of an instance are appended in order, skipping seq <= its snapshot's seq;
 * - a snapshot frame replaces the whole image: its snapshot entries, plus the records it carries
 *   (records with a seq above their instance's snapshot, and the records of instances that have
 *   no snapshot), since the writer purges everything before it.
 *
 * Reading back is a trust boundary too (anyone who may publish on the journal's subjects can put
 * bytes there). A complete frame that does not decode, or does not match FRAME (kind, epoch a
 * safe integer, entries `[instanceKey, seq >= 1, value]` with bounded keys, snapshot lists of
 * bytes) throws BadFrame, which `load` turns into a JournalCorruptError naming the partition and
 * the message's sequence: loading fails loudly rather than skipping it, because a skipped frame
 * would silently lose acknowledged records. The values inside entries (events, instance states)
 * are checked by whoever folds them (the instance machine on replay).
 */
import { Type } from '@sinclair/typebox';
import type { InstanceImage, InstanceSnapshot, JournalRecord, PartitionImage } from '../port.js';
import { decode, encode } from '../../nats/codec.js';
import { Id, Int, wire, type WireSchema } from '../../protocol/wire.js';

export type Entry = [instanceKey: string, seq: number, value: unknown];

// seq: records start at 1; a snapshot of an instance with no records folded has seq 0.
const EntrySchema = Type.Tuple([Id(), Int(0), Type.Unknown()]);
const Entries = Type.Array(EntrySchema);
const FRAMES: Record<Frame['k'], WireSchema<unknown>> = {
  c: wire('claim frame', Type.Object({ k: Type.Literal('c'), e: Int() })),
  a: wire('records frame', Type.Object({ k: Type.Literal('a'), e: Int(), r: Entries })),
  s: wire('snapshot frame', Type.Object({ k: Type.Literal('s'), e: Int(), s: Type.Union([Type.Uint8Array(), Type.Array(Type.Uint8Array())]), r: Entries })),
};
const entriesSchema = wire('snapshot entries', Entries);

/**
 * `s` is encoded lists of snapshot entries (encoded at call time: a deep copy; a list so the new
 * entries and the kept ones need not be re-encoded together); `r` the records it carries over.
 */
export type Frame =
  | { k: 'c'; e: number }
  | { k: 'a'; e: number; r: Entry[] }
  | { k: 's'; e: number; s: Uint8Array | Uint8Array[]; r: Entry[] };

export function claimFrame(epoch: number): Uint8Array {
  return encode({ k: 'c', e: epoch } satisfies Frame);
}

export function recordsFrame(epoch: number, batches: readonly (readonly JournalRecord[])[]): Uint8Array {
  const r: Entry[] = [];
  for (const batch of batches) for (const rec of batch) r.push([rec.instanceKey, rec.seq, rec.event]);
  return encode({ k: 'a', e: epoch, r } satisfies Frame);
}

export function encodeSnapshots(snaps: readonly InstanceSnapshot[]): Uint8Array {
  return encode(snaps.map((s): Entry => [s.instanceKey, s.seq, s.state]));
}

export function snapshotFrame(epoch: number, snapshots: Uint8Array[], carried: readonly JournalRecord[]): Uint8Array {
  const r = carried.map((rec): Entry => [rec.instanceKey, rec.seq, rec.event]);
  return encode({ k: 's', e: epoch, s: snapshots, r } satisfies Frame);
}

/** Cuts `bytes` into parts of at most `maxBytes` (one part when it fits). */
export function splitParts(bytes: Uint8Array, maxBytes: number): Uint8Array[] {
  if (bytes.length <= maxBytes) return [bytes];
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += maxBytes) parts.push(bytes.subarray(i, i + maxBytes));
  return parts;
}

export interface StoredMessage {
  seq: number;
  epoch: number;
  /** [index, count] for a part of a multi-message frame. */
  part?: [number, number];
  data: Uint8Array;
}

/** Thrown for a message the fold cannot read; the caller names the subject. */
export class BadFrame extends Error {
  override name = 'BadFrame';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class PartitionFold {
  private instances = new Map<string, InstanceImage>();
  private epoch = 0;
  private pending: { epoch: number; count: number; parts: Uint8Array[] } | undefined;

  constructor(private readonly partition: number) {}

  add(msg: StoredMessage): void {
    if (msg.epoch < this.epoch) return;
    this.epoch = msg.epoch;
    if (!msg.part) {
      this.pending = undefined;
      this.apply(msg.data);
      return;
    }
    const [index, count] = msg.part;
    const p = this.pending;
    if (index === 0) {
      this.pending = { epoch: msg.epoch, count, parts: [msg.data] };
    } else if (p && index === p.parts.length && count === p.count && msg.epoch === p.epoch) {
      p.parts.push(msg.data);
    } else {
      this.pending = undefined;
      return;
    }
    const done = this.pending;
    if (done && done.parts.length === done.count) {
      this.pending = undefined;
      this.apply(concat(done.parts));
    }
  }

  image(): PartitionImage {
    return { partition: this.partition, epoch: this.epoch, instances: this.instances };
  }

  private apply(data: Uint8Array): void {
    const frame = readFrame(data);
    switch (frame.k) {
      case 'c':
        return;
      case 'a':
        for (const [instanceKey, seq, event] of frame.r) {
          let inst = this.instances.get(instanceKey);
          if (!inst) this.instances.set(instanceKey, (inst = { records: [] }));
          if (inst.snapshot && seq <= inst.snapshot.seq) continue;
          inst.records.push({ instanceKey, seq, event });
        }
        return;
      case 's':
        this.instances = new Map();
        for (const part of frame.s instanceof Uint8Array ? [frame.s] : frame.s) {
          for (const [instanceKey, seq, state] of readEntries(decodeFrame(part))) {
            this.instances.set(instanceKey, { snapshot: { instanceKey, seq, state }, records: [] });
          }
        }
        for (const [instanceKey, seq, event] of frame.r) {
          let inst = this.instances.get(instanceKey);
          if (!inst) this.instances.set(instanceKey, (inst = { records: [] }));
          if (seq > (inst.snapshot?.seq ?? 0)) inst.records.push({ instanceKey, seq, event });
        }
        return;
    }
  }
}

function readFrame(data: Uint8Array): Frame {
  const f = decodeFrame(data);
  const k = typeof f === 'object' && f !== null ? (f as { k?: unknown }).k : undefined;
  const schema = typeof k === 'string' && Object.hasOwn(FRAMES, k) ? FRAMES[k as Frame['k']] : undefined;
  if (!schema) throw new BadFrame(`not a frame (kind ${JSON.stringify(k)?.slice(0, 40) ?? 'missing'})`);
  return checked(() => schema.parse(f) as Frame);
}

function decodeFrame(data: Uint8Array): unknown {
  try {
    return decode(data);
  } catch (e) {
    throw new BadFrame(`undecodable frame (${e instanceof Error ? e.message : String(e)})`);
  }
}

function readEntries(entries: unknown): Entry[] {
  return checked(() => entriesSchema.parse(entries) as Entry[]);
}

function checked<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof BadFrame) throw e;
    throw new BadFrame(e instanceof Error ? e.message : String(e), { cause: e });
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
