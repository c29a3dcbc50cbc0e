/**
 * Request/reply over one inbox subscription, without nats.js's per-request bookkeeping (its
 * request path allocates an Error for every completed request, a measurable cost on the step
 * hot path). Each request publishes with reply subject `<inbox>.<token>` and waits for the first
 * message there. A server "no responders" status (503) rejects with code '503'; no reply in
 * time rejects with code 'TIMEOUT' — the codes the transport's resend logic understands.
 */
import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from 'nats';
import type { Logger } from '../../log/logger.js';

interface Pending {
  resolve(msg: Msg): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class Requester {
  private readonly prefix: string;
  private readonly pending = new Map<string, Pending>();
  private readonly sub: Subscription;
  private seq = 0;

  constructor(
    private readonly nc: NatsConnection,
    log: Logger,
  ) {
    this.prefix = `${createInbox()}.`;
    this.sub = nc.subscribe(`${this.prefix}*`, {
      // A failed inbox subscription loses replies: every request then times out and is resent.
      callback: (err, msg) => (err ? log.error({ err, subject: this.prefix }, 'reply inbox subscription failed') : this.onReply(msg)),
    });
  }

  request(subject: string, data: Uint8Array, opts: { timeoutMs: number; headers?: MsgHdrs }): Promise<Msg> {
    const token = (++this.seq).toString(36);
    return new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(Object.assign(new Error(`no reply on ${subject} within ${opts.timeoutMs} ms`), { code: 'TIMEOUT' }));
      }, opts.timeoutMs);
      this.pending.set(token, { resolve, reject, timer });
      try {
        this.nc.publish(subject, data, { reply: this.prefix + token, ...(opts.headers ? { headers: opts.headers } : {}) });
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(token);
        reject(e as Error);
      }
    });
  }

  close(): void {
    this.sub.unsubscribe();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(Object.assign(new Error('connection closing'), { code: 'DISCONNECT' }));
    }
    this.pending.clear();
  }

  private onReply(msg: Msg): void {
    const token = msg.subject.slice(this.prefix.length);
    const p = this.pending.get(token);
    if (!p) return;
    this.pending.delete(token);
    clearTimeout(p.timer);
    if (msg.data.length === 0 && msg.headers?.hasError && msg.headers.code === 503) {
      p.reject(Object.assign(new Error(`no responders on ${msg.subject}`), { code: '503' }));
    } else {
      p.resolve(msg);
    }
  }
}
