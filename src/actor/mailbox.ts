/**
 * A mailbox: messages are handled one batch at a time, in arrival order, never concurrently.
 * Batching is what lets an actor journal many messages with one append (group commit at the
 * actor level): while a batch is being handled, new messages queue up and form the next batch.
 *
 * Supervision: if the handler throws, every envelope of that batch is rejected with the error
 * and the mailbox keeps going with the next batch (the actor decides what state survives).
 */
export interface Envelope<M, R = unknown> {
  msg: M;
  resolve(reply: R): void;
  reject(err: unknown): void;
}

export type BatchHandler<M, R> = (batch: Envelope<M, R>[]) => Promise<void>;

export class Mailbox<M, R = unknown> {
  private queue: Envelope<M, R>[] = [];
  private draining = false;
  private closed: Error | undefined;

  constructor(
    private readonly handler: BatchHandler<M, R>,
    private readonly maxBatch = 512,
  ) {}

  get size(): number {
    return this.queue.length;
  }

  get idle(): boolean {
    return !this.draining && this.queue.length === 0;
  }

  post(msg: M): Promise<R> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ msg, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  /** Rejects everything queued and refuses new messages. A batch in progress finishes. */
  close(reason: Error): void {
    this.closed = reason;
    const q = this.queue;
    this.queue = [];
    for (const e of q) e.reject(reason);
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
        this.queue = this.queue.length <= this.maxBatch ? [] : this.queue.slice(this.maxBatch);
        try {
          await this.handler(batch);
        } catch (err) {
          for (const e of batch) e.reject(err);
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
