import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';

/**
 * When a write counts as durable:
 * - 'always': every append/claim/snapshot (or KV put) call gets its own write + fdatasync (no merging);
 * - 'batch':  calls are group-committed, one write + one fdatasync per batch (survives power loss);
 * - 'never':  group-committed writes without fdatasync (survives a process crash, not power loss).
 */
export type FsyncMode = 'always' | 'batch' | 'never';

/** Writes all of `buf` at `position` (positional writes may be short). */
export async function writeFully(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < buf.length) off += (await fh.write(buf, off, buf.length - off, position + off)).bytesWritten;
}

/** Reads bytes [0, size) (default: the whole file) with positional reads. */
export async function readFully(fh: FileHandle, size?: number): Promise<Buffer> {
  const length = size ?? (await fh.stat()).size;
  const buf = Buffer.allocUnsafe(length);
  let off = 0;
  while (off < length) {
    const { bytesRead } = await fh.read(buf, off, length - off, off);
    if (bytesRead === 0) throw new Error(`file shrank while reading (${off} of ${length} bytes)`);
    off += bytesRead;
  }
  return buf;
}

/** Makes a directory's entries (a created or renamed file) durable. */
export async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
