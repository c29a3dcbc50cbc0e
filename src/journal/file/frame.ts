/**
 * The on-disk format of a journal segment: an 8-byte header ("MJNL", u32 version) followed by
 * frames. A frame is `u32 bodyLength | u32 crc32(body) | body`, little-endian, where
 * `body = u8 kind | f64 epoch | msgpack payload`. One frame per append/claim/snapshot call, so a
 * call is all-or-nothing: a frame whose length overruns the file or whose CRC does not match
 * marks the end of the valid log (a torn tail).
 *
 * Payloads are flat lists of (instanceKey, seq, value) triples: records for an append frame,
 * snapshots for a snapshot frame, where a triple with seq -1 (value nil) forgets that instance.
 */
import { crc32 } from 'node:zlib';
import { Packr } from 'msgpackr';
import type { Epoch, InstanceSnapshot, JournalRecord } from '../port.js';
import { JournalCorruptError } from './errors.js';

export const SEGMENT_HEADER = Buffer.from([0x4d, 0x4a, 0x4e, 0x4c, 1, 0, 0, 0]);
export const FRAME_PREFIX_BYTES = 8;
const BODY_META_BYTES = 9;

export const FrameKind = { append: 1, claim: 2, snapshot: 3 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

// Plain msgpack maps (no record extension): every frame decodes on its own, by any decoder.
const packr = new Packr({ useRecords: false });

export function encodeFrame(kind: FrameKind, epoch: Epoch, payload: unknown): Buffer {
  const body = payload === undefined ? undefined : packr.pack(payload);
  const bodyLength = BODY_META_BYTES + (body?.length ?? 0);
  const frame = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + bodyLength);
  frame.writeUInt32LE(bodyLength, 0);
  frame.writeUInt8(kind, 8);
  frame.writeDoubleLE(epoch, 9);
  body?.copy(frame, FRAME_PREFIX_BYTES + BODY_META_BYTES);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_PREFIX_BYTES)), 4);
  return frame;
}

export function frameKind(frame: Buffer): number {
  return frame[FRAME_PREFIX_BYTES]!;
}

export function appendPayload(records: readonly JournalRecord[]): unknown[] {
  const flat = new Array<unknown>(records.length * 3);
  for (let i = 0, j = 0; i < records.length; i++, j += 3) {
    const r = records[i]!;
    flat[j] = r.instanceKey;
    flat[j + 1] = r.seq;
    flat[j + 2] = r.event;
  }
  return flat;
}

/** seq of a snapshot-frame triple that forgets its instance. */
export const FORGET_SEQ = -1;

export function snapshotPayload(snapshots: readonly InstanceSnapshot[], forget: readonly string[] = []): unknown[] {
  const flat = new Array<unknown>((snapshots.length + forget.length) * 3);
  let j = 0;
  for (const s of snapshots) {
    flat[j++] = s.instanceKey;
    flat[j++] = s.seq;
    flat[j++] = s.state;
  }
  for (const key of forget) {
    flat[j++] = key;
    flat[j++] = FORGET_SEQ;
    flat[j++] = null;
  }
  return flat;
}

export type FrameVisitor = (kind: FrameKind, epoch: Epoch, payload: Buffer, offset: number) => void;

/**
 * Walks the frames of a whole segment `buf` (header included), calling `visit` for each valid
 * one, and returns the offset just past the last valid frame (== buf.length when nothing is torn).
 * A CRC-valid frame of unknown kind means a format this code does not understand: it throws.
 */
export function scanFrames(buf: Buffer, path: string, visit: FrameVisitor): number {
  let off = SEGMENT_HEADER.length;
  while (buf.length - off >= FRAME_PREFIX_BYTES) {
    const bodyLength = buf.readUInt32LE(off);
    const start = off + FRAME_PREFIX_BYTES;
    if (bodyLength < BODY_META_BYTES || bodyLength > buf.length - start) break;
    const body = buf.subarray(start, start + bodyLength);
    if (crc32(body) !== buf.readUInt32LE(off + 4)) break;
    const kind = body[0]!;
    if (kind !== FrameKind.append && kind !== FrameKind.claim && kind !== FrameKind.snapshot) {
      throw new JournalCorruptError(`${path}: frame at offset ${off} has unknown kind ${kind}`);
    }
    visit(kind, body.readDoubleLE(1), body.subarray(BODY_META_BYTES), off);
    off = start + bodyLength;
  }
  return off;
}

/** Decodes a payload written by encodeFrame; a CRC-valid frame that does not decode is corruption. */
export function decodeTriples(payload: Buffer, path: string, offset: number): unknown[] {
  let value: unknown;
  try {
    value = packr.unpack(payload);
  } catch (e) {
    throw new JournalCorruptError(`${path}: frame at offset ${offset} does not decode`, { cause: e });
  }
  if (!Array.isArray(value) || value.length % 3 !== 0) {
    throw new JournalCorruptError(`${path}: frame at offset ${offset} is not a list of (key, seq, value) triples`);
  }
  return value;
}
