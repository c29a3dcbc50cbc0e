/**
 * The FileKv log format: one line per write, `<crc32 of json, 8 hex digits> <json>\n`, where json is
 * `{"k":key,"r":revision,"v":value}` (put), `{"k":key,"r":revision,"d":1}` (delete) or
 * `{"m":lastRevision}` (written first by a compaction, so revisions never go back). JSON escapes
 * newlines, so a line never contains one. The first line without its newline, with a bad checksum
 * or bad hex ends the valid log (a torn tail); a checksummed line that is not such JSON is corruption.
 */
import { crc32 } from 'node:zlib';
import { KvCorruptError } from './errors.js';

export interface KvValue {
  /** The value, JSON-encoded (parsed afresh on every read, so callers get their own copy). */
  json: string;
  revision: number;
  /** Length of the line that wrote it, for the compaction estimate. */
  lineBytes: number;
}

export function line(json: string): string {
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

export function putLine(key: string, revision: number, valueJson: string): string {
  return line(`{"k":${JSON.stringify(key)},"r":${revision},"v":${valueJson}}`);
}

export function deleteLine(key: string, revision: number): string {
  return line(`{"k":${JSON.stringify(key)},"r":${revision},"d":1}`);
}

export function metaLine(lastRevision: number): string {
  return line(`{"m":${lastRevision}}`);
}

export interface ParsedLog {
  entries: Map<string, KvValue>;
  lastRevision: number;
  /** Bytes of valid log; anything after is a torn tail. */
  validBytes: number;
}

export function parseLog(buf: Buffer, path: string): ParsedLog {
  const entries = new Map<string, KvValue>();
  let lastRevision = 0;
  let off = 0;
  for (;;) {
    const nl = buf.indexOf(10, off);
    if (nl < 0) break;
    const text = buf.toString('utf8', off, nl);
    const json = text.slice(9);
    if (text.length < 10 || text[8] !== ' ' || !/^[0-9a-f]{8}$/.test(text.slice(0, 8))) break;
    if (parseInt(text.slice(0, 8), 16) !== crc32(json)) break;
    let rec: { k?: unknown; r?: unknown; v?: unknown; d?: unknown; m?: unknown };
    try {
      rec = JSON.parse(json) as typeof rec;
    } catch (e) {
      throw new KvCorruptError(`${path}: line at offset ${off} is not JSON`, { cause: e });
    }
    const lineBytes = nl + 1 - off;
    if (typeof rec.m === 'number') {
      lastRevision = Math.max(lastRevision, rec.m);
    } else if (typeof rec.k === 'string' && typeof rec.r === 'number' && (rec.d === 1 || 'v' in rec)) {
      lastRevision = Math.max(lastRevision, rec.r);
      if (rec.d === 1) entries.delete(rec.k);
      else entries.set(rec.k, { json: JSON.stringify(rec.v), revision: rec.r, lineBytes });
    } else {
      throw new KvCorruptError(`${path}: line at offset ${off} is not a put, delete or meta record`);
    }
    off = nl + 1;
  }
  return { entries, lastRevision, validBytes: off };
}
