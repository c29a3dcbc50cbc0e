/**
 * Sends a task's log lines to the node as TaskLog messages in small batches: lines are held
 * until `flushMs` after the first unsent one, or until `maxChars` are pending; `flush()` (before
 * the result) sends the rest, so every line reaches the node before the attempt's result.
 */
export interface LogBatcherOptions {
  flushMs: number;
  maxChars: number;
}

export const LOG_BATCH_DEFAULTS: LogBatcherOptions = { flushMs: 100, maxChars: 16 * 1024 };

export class LogBatcher {
  private pending: string[] = [];
  private chars = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly send: (text: string) => void,
    private readonly opts: LogBatcherOptions = LOG_BATCH_DEFAULTS,
  ) {}

  /** One line (a newline is added). */
  add(line: string): void {
    if (this.closed) return;
    this.pending.push(`${line}\n`);
    this.chars += line.length + 1;
    if (this.chars >= this.opts.maxChars) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.opts.flushMs);
      this.timer.unref();
    }
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.chars = 0;
    this.send(text);
  }

  /** Sends what is pending; later lines are dropped. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}
