/**
 * One etcd lease and the detection of its loss.
 *
 * Invariants:
 * - `onLost` fires at most once per session, and never after `revoke()` or `abandon()`.
 * - Loss is reported when etcd says the lease is gone (keepalive answered TTL 0, or a put names
 *   an unknown lease), or when no keepalive has been answered for `silenceLimitMs` (default twice
 *   the TTL): by then etcd has almost certainly expired the lease, so the node must stop acting
 *   as owner. The limit exceeds the TTL because etcd extends every lease across a leader change,
 *   and a leader election (~1-2 s) silences keepalives without losing anything. Keepalives go
 *   every TTL/3 (the etcd3 client's loop); the watchdog checks every TTL/4.
 * - Between the real expiry and the report the node may still believe it owns partitions; the
 *   journal's epoch fence, not this timer, keeps its writes out.
 * - Reporting a loss while the lease may still be alive (a partitioned node) is safe: the node
 *   re-joins with a new lease, claims again with new epochs, and the old lease's claims block
 *   nobody longer than the TTL.
 */
import type { Lease, Namespace } from 'etcd3';
import { etcdFailure } from './failure.js';

export class LeaseSession {
  private readonly lease: Lease;
  private lastAnsweredMs = Date.now();
  private watchdog: NodeJS.Timeout | undefined;
  private ended = false;
  private idValue: string | undefined;

  private constructor(
    ns: Namespace,
    private readonly ttlMs: number,
    private readonly silenceLimitMs: number,
    private readonly onLost: (reason: string, cause?: unknown) => void,
  ) {
    this.lease = ns.lease(ttlMs / 1000);
    this.lease.on('lost', (err) => this.lost('etcd reports the lease expired or revoked', err));
    this.lease.on('keepaliveSucceeded', () => {
      this.lastAnsweredMs = Date.now();
    });
  }

  /** Grants a lease and starts keeping it alive. */
  static async grant(
    ns: Namespace,
    limits: { ttlMs: number; silenceLimitMs: number },
    onLost: (reason: string, cause?: unknown) => void,
  ): Promise<LeaseSession> {
    const { ttlMs, silenceLimitMs } = limits;
    const session = new LeaseSession(ns, ttlMs, silenceLimitMs, onLost);
    try {
      session.idValue = await session.lease.grant();
    } catch (cause) {
      session.ended = true;
      session.lease.release();
      throw etcdFailure('lease grant', cause);
    }
    session.lastAnsweredMs = Date.now();
    session.watchdog = setInterval(() => session.check(), Math.max(50, ttlMs / 4));
    session.watchdog.unref();
    return session;
  }

  get id(): string {
    if (this.idValue === undefined) throw new Error('lease not granted');
    return this.idValue;
  }

  get alive(): boolean {
    return !this.ended;
  }

  /** Called by users of the lease when etcd rejects it (e.g. "requested lease not found"). */
  invalidate(cause: unknown): void {
    this.lost('etcd rejected the lease', cause);
  }

  /** Revokes the lease: every key bound to it is deleted now. */
  async revoke(): Promise<void> {
    this.stop();
    try {
      await this.lease.revoke();
    } catch (cause) {
      throw etcdFailure('lease revoke', cause);
    }
  }

  /** Stops keepalives without revoking: the keys live until the TTL runs out (as after kill -9). */
  abandon(): void {
    this.stop();
    this.lease.release();
  }

  private check(): void {
    const silentMs = Date.now() - this.lastAnsweredMs;
    if (silentMs > this.silenceLimitMs) {
      this.lost(`no keepalive answered for ${silentMs} ms (TTL ${this.ttlMs} ms, limit ${this.silenceLimitMs} ms)`);
    }
  }

  private lost(reason: string, cause?: unknown): void {
    if (this.ended) return;
    this.stop();
    this.lease.release();
    this.onLost(reason, cause);
  }

  private stop(): void {
    this.ended = true;
    if (this.watchdog !== undefined) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }
}
