/**
 * Live output of one attempt, published on TOPIC_ATTEMPT_LOG in batches: text is held until
 * `flushMs` after the first unsent write, or until `maxBatchChars` are pending, then sent as one
 * chunk per stream. `close()` sends what is pending and the end marker (only when something was
 * ever written: a silent attempt costs no message). Publishing is fire-and-forget (a fan-out for
 * observers); a publish that throws is logged once per attempt, never thrown into the runtime.
 */
import { TOPIC_ATTEMPT_LOG, type AttemptLogChunk, type LogStream } from '../protocol/executor.js';
import type { Transport } from '../transport/port.js';
import type { RunIo } from './runtime.js';
import type { Logger } from '../log/logger.js';

export interface LogPublisherOptions {
  flushMs: number;
  maxBatchChars: number;
}

export const LOG_PUBLISHER_DEFAULTS: LogPublisherOptions = { flushMs: 100, maxBatchChars: 32 * 1024 };

export class AttemptLogPublisher implements RunIo {
  private readonly pending: Record<LogStream, string[]> = { stdout: [], stderr: [] };
  private readonly pendingChars: Record<LogStream, number> = { stdout: 0, stderr: 0 };
  private readonly offset: Record<LogStream, number> = { stdout: 0, stderr: 0 };
  private timer: NodeJS.Timeout | undefined;
  private used = false;
  private closed = false;
  private failed = false;

  constructor(
    private readonly transport: Pick<Transport, 'publish'>,
    private readonly attemptId: string,
    private readonly logger: Logger,
    private readonly opts: LogPublisherOptions = LOG_PUBLISHER_DEFAULTS,
  ) {}

  log(stream: LogStream, text: string): void {
    if (this.closed || text === '') return;
    if (text.length > this.opts.maxBatchChars) {
      // one huge write (a worker's TaskLog) goes out in pieces: every chunk stays far below the payload limit
      for (let at = 0; at < text.length; at += this.opts.maxBatchChars) this.log(stream, text.slice(at, at + this.opts.maxBatchChars));
      return;
    }
    this.used = true;
    this.pending[stream].push(text);
    this.pendingChars[stream] += text.length;
    if (this.pendingChars[stream] >= this.opts.maxBatchChars) this.send(stream, false);
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.opts.flushMs);
      this.timer.unref();
    }
  }

  /** Sends what is pending; with `end`, the end marker after it. Later writes are ignored. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.used) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.send('stdout', false);
    this.send('stderr', true);
  }

  private flush(): void {
    this.timer = undefined;
    this.send('stdout', false);
    this.send('stderr', false);
  }

  private send(stream: LogStream, end: boolean): void {
    const text = this.pending[stream].join('');
    if (text === '' && !end) return;
    this.pending[stream] = [];
    this.pendingChars[stream] = 0;
    const chunk: AttemptLogChunk = { attemptId: this.attemptId, stream, text, offset: this.offset[stream] };
    if (end) chunk.end = true;
    this.offset[stream] += text.length;
    try {
      this.transport.publish(TOPIC_ATTEMPT_LOG, chunk);
    } catch (err) {
      if (!this.failed) this.logger.warn({ err, attemptId: this.attemptId }, 'live log chunk not published (observers miss it; the kept logs are unaffected)');
      this.failed = true;
    }
  }
}
