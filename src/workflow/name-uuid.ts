/**
 * Maestro's IdHelper.createUuid: Java's `UUID.nameUUIDFromBytes(text UTF-8)`, a version-3 (MD5)
 * name-based UUID. The same text always gives the same UUID (signal trigger uuids, the request
 * id of a triggered start).
 */
import { createHash } from 'node:crypto';

export function nameUuid(text: string): string {
  const b = createHash('md5').update(text, 'utf8').digest();
  b[6] = (b[6]! & 0x0f) | 0x30;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
