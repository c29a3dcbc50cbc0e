/**
 * The live tails of running attempts as this node saw them on TOPIC_ATTEMPT_LOG, for log
 * readers (LogService.StreamStepLogs). Each node subscribes once; per attempt it keeps the last
 * `maxCharsPerStream` characters of each stream and the end marker, for at most `maxAttempts`
 * attempts (the least recently written is dropped first). What a node did not see (chunks
 * published before it started, or lost) is simply absent: the kept logs of an ended attempt come
 * from its result, not from here.
 *
 * `follow(attemptId, listener)` returns the snapshot and registers the listener in one step, so
 * a reader misses no chunk between the two and sees none twice (chunks are applied in offset
 * order; a chunk wholly before what is held is ignored, one after a gap is taken as it is).
 */
import { TOPIC_ATTEMPT_LOG, type AttemptLogChunk, type LogStream } from '../protocol/executor.js';
import type { Subscription, Transport } from '../transport/port.js';

export interface LiveLogOptions {
  maxAttempts: number;
  maxCharsPerStream: number;
}

export const LIVE_LOG_DEFAULTS: LiveLogOptions = { maxAttempts: 512, maxCharsPerStream: 64 * 1024 };

interface StreamTail {
  text: string;
  /** Offset (characters) of the end of `text`: everything before it was seen. */
  end: number;
  truncated: boolean;
}

export interface LiveLogSnapshot {
  stdout: StreamTail;
  stderr: StreamTail;
  ended: boolean;
}

export type LiveLogListener = (chunk: AttemptLogChunk) => void;

interface Entry {
  streams: Record<LogStream, StreamTail>;
  ended: boolean;
  listeners: Set<LiveLogListener>;
}

export class LiveLogs {
  private readonly entries = new Map<string, Entry>();
  private sub: Subscription | undefined;

  constructor(private readonly opts: LiveLogOptions = LIVE_LOG_DEFAULTS) {}

  static open(transport: Pick<Transport, 'subscribe'>, opts?: LiveLogOptions): LiveLogs {
    const logs = new LiveLogs(opts);
    logs.sub = transport.subscribe(TOPIC_ATTEMPT_LOG, (body) => logs.add(body as AttemptLogChunk));
    return logs;
  }

  async close(): Promise<void> {
    await this.sub?.close();
    this.entries.clear();
  }

  /** Applies one chunk (the topic handler; tests call it directly). */
  add(chunk: AttemptLogChunk): void {
    const e = this.touch(chunk.attemptId);
    const tail = e.streams[chunk.stream];
    const chunkEnd = chunk.offset + chunk.text.length;
    let fresh = chunk.text;
    if (chunkEnd <= tail.end) fresh = '';
    else if (chunk.offset < tail.end) fresh = chunk.text.slice(tail.end - chunk.offset);
    if (fresh !== '') {
      if (chunk.offset > tail.end) tail.truncated = true; // a gap: chunks this node never saw
      tail.text += fresh;
      tail.end = chunkEnd;
      if (tail.text.length > this.opts.maxCharsPerStream) {
        tail.text = tail.text.slice(tail.text.length - this.opts.maxCharsPerStream);
        tail.truncated = true;
      }
    }
    if (chunk.end === true) e.ended = true;
    if (fresh === '' && chunk.end !== true) return;
    const out: AttemptLogChunk = { ...chunk, text: fresh, offset: chunkEnd - fresh.length };
    for (const l of [...e.listeners]) l(out);
  }

  /** What is held of the attempt now, and `listener` for every later chunk until `stop()`. */
  follow(attemptId: string, listener: LiveLogListener): { snapshot: LiveLogSnapshot; stop: () => void } {
    const e = this.touch(attemptId);
    e.listeners.add(listener);
    const copy = (t: StreamTail): StreamTail => ({ ...t });
    return {
      snapshot: { stdout: copy(e.streams.stdout), stderr: copy(e.streams.stderr), ended: e.ended },
      stop: () => void e.listeners.delete(listener),
    };
  }

  get size(): number {
    return this.entries.size;
  }

  private touch(attemptId: string): Entry {
    let e = this.entries.get(attemptId);
    if (e !== undefined) {
      this.entries.delete(attemptId);
      this.entries.set(attemptId, e);
      return e;
    }
    e = { streams: { stdout: emptyTail(), stderr: emptyTail() }, ended: false, listeners: new Set() };
    this.entries.set(attemptId, e);
    for (const [id, old] of this.entries) {
      if (this.entries.size <= this.opts.maxAttempts) break;
      if (old.listeners.size > 0) continue; // a reader is on it
      this.entries.delete(id);
    }
    return e;
  }
}

function emptyTail(): StreamTail {
  return { text: '', end: 0, truncated: false };
}
