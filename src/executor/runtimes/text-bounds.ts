/** Byte-bounded text: what the runtimes keep of process output and response bodies. */

/** The first `maxBytes` of `buf` as UTF-8, cut on a character boundary. */
export function headText(buf: Buffer, maxBytes: number): { text: string; truncated: boolean } {
  if (buf.length <= maxBytes) return { text: buf.toString('utf8'), truncated: false };
  let end = maxBytes;
  while (end > 0 && isContinuation(buf[end])) end--;
  return { text: buf.subarray(0, end).toString('utf8'), truncated: true };
}

function isContinuation(b: number | undefined): boolean {
  return b !== undefined && (b & 0xc0) === 0x80;
}

/**
 * Keeps the last `maxBytes` of a byte stream without holding more than about twice that:
 * chunks are appended and whole chunks dropped from the front once they fall out of the window.
 */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private held = 0;
  private dropped = 0;

  constructor(readonly maxBytes: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.held += chunk.length;
    while (this.chunks.length > 1 && this.held - (this.chunks[0]?.length ?? 0) >= this.maxBytes) {
      const first = this.chunks.shift();
      const n = first?.length ?? 0;
      this.held -= n;
      this.dropped += n;
    }
  }

  /** Bytes that fell out of the window (0 when everything written is still held). */
  get droppedBytes(): number {
    return this.dropped + Math.max(0, this.held - this.maxBytes);
  }

  /** The last `maxBytes` as UTF-8, starting on a character boundary. */
  text(): string {
    const all = Buffer.concat(this.chunks);
    let start = Math.max(0, all.length - this.maxBytes);
    while (start < all.length && isContinuation(all[start])) start++;
    return all.subarray(start).toString('utf8');
  }
}
