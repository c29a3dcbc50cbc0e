/**
 * Membership on etcd: `<prefix>members/<nodeId>` holds the member record, bound to this node's
 * lease; the view follows the prefix (MemberWatch).
 *
 * Invariants:
 * - One record per node id: join creates the record only if it is absent or bound to a lease
 *   this object granted; a record under someone else's live lease is a MemberIdInUseError.
 * - Lease loss is reported once per lease through onLeaseLost; the node is then not a member
 *   until `join` grants a new lease (the old one is revoked first, best effort).
 * - If our record disappears while the lease lives (deleted by hand), it is written again; if the
 *   lease is gone, that is reported as a loss.
 */
import type { Namespace } from 'etcd3';
import { EtcdLeaseInvalidError } from 'etcd3';
import { ValidationError } from '../../core/errors.js';
import { ClusterUnavailableError, LeaseLostError, MemberIdInUseError, NotJoinedError } from '../errors.js';
import { etcdFailure } from './failure.js';
import { encodeMember, validateMemberInfo } from '../member.js';
import type { MemberInfo, Membership, MembershipView, Unsubscribe } from '../port.js';
import { LeaseSession } from './lease-session.js';
import { MemberWatch } from './member-watch.js';
import { memberKey, type ResolvedEtcdClusterOptions } from './options.js';

export class EtcdMembership implements Membership {
  private readonly watch: MemberWatch;
  private watchStarted: Promise<void> | undefined;
  private session: LeaseSession | undefined;
  private readonly oldLeases = new Set<string>();
  private self: MemberInfo | undefined;
  private readonly viewSubs = new Set<(view: MembershipView) => void>();
  private readonly lostSubs = new Set<(err: LeaseLostError) => void>();
  private readonly errorSubs = new Set<(err: Error) => void>();

  constructor(
    private readonly ns: Namespace,
    private readonly opts: ResolvedEtcdClusterOptions,
  ) {
    this.watch = new MemberWatch(ns, opts.resyncRetryMs, {
      onView: (view) => this.viewSubs.forEach((cb) => cb(view)),
      onError: (err) => this.reportError(err),
      onDeleted: (nodeId) => {
        if (nodeId === this.self?.nodeId && this.session?.alive === true) void this.restoreRecord();
      },
    }, opts.callTimeoutMs);
  }

  async join(self: MemberInfo): Promise<void> {
    const info = validateMemberInfo(self);
    if (this.self !== undefined && this.session?.alive === true && this.self.nodeId !== info.nodeId) {
      throw new ValidationError('member.nodeId', `already joined as ${this.self.nodeId}; leave before joining as ${info.nodeId}`);
    }
    await this.startWatch();
    if (this.session === undefined || !this.session.alive) {
      // Best effort: the old lease was reported lost; if etcd still has it, it expires within its TTL.
      if (this.session !== undefined) await this.session.revoke().catch((err: unknown) => this.reportError(new ClusterUnavailableError('revoking the lost lease', { cause: err })));
      const limits = { ttlMs: this.opts.leaseTtlMs, silenceLimitMs: this.opts.leaseSilenceLimitMs };
      this.session = await LeaseSession.grant(this.ns, limits, (reason, cause) =>
        this.leaseLost(info.nodeId, reason, cause),
      );
    }
    await this.putRecord(info, this.session);
    this.self = info;
  }

  async leave(): Promise<void> {
    const session = this.session;
    const self = this.self;
    this.session = undefined;
    this.self = undefined;
    try {
      if (session !== undefined && self !== undefined && session.alive) {
        await this.ns.if(memberKey(self.nodeId), 'Lease', '==', session.id).then(this.ns.delete().key(memberKey(self.nodeId))).commit();
        await session.revoke();
      }
    } catch (cause) {
      throw etcdFailure('leave', cause);
    } finally {
      await this.watch.stop();
      this.watchStarted = undefined;
    }
  }

  current(): MembershipView {
    return this.watch.current();
  }

  onChange(cb: (view: MembershipView) => void): Unsubscribe {
    this.viewSubs.add(cb);
    return () => this.viewSubs.delete(cb);
  }

  onLeaseLost(cb: (err: LeaseLostError) => void): Unsubscribe {
    this.lostSubs.add(cb);
    return () => this.lostSubs.delete(cb);
  }

  /** Problems found while following the view (watch broken, malformed records); retried internally. */
  onError(cb: (err: Error) => void): Unsubscribe {
    this.errorSubs.add(cb);
    return () => this.errorSubs.delete(cb);
  }

  /** The live lease and node id claims are bound to. */
  activeLease(operation: string): { leaseId: string; nodeId: string; session: LeaseSession } {
    if (this.self === undefined) throw new NotJoinedError(operation);
    const session = this.session;
    if (session === undefined || !session.alive) {
      throw new LeaseLostError(this.self.nodeId, `${operation} needs a live lease; join again`);
    }
    return { leaseId: session.id, nodeId: this.self.nodeId, session };
  }

  /** Stops keepalives and the watch without revoking or deleting anything (crash simulation). */
  async abandon(): Promise<void> {
    this.session?.abandon();
    this.session = undefined;
    await this.watch.stop();
  }

  private async startWatch(): Promise<void> {
    this.watchStarted ??= this.watch.start().catch((err: unknown) => {
      this.watchStarted = undefined;
      throw err;
    });
    await this.watchStarted;
  }

  private async putRecord(info: MemberInfo, session: LeaseSession, attempt = 1): Promise<void> {
    const key = memberKey(info.nodeId);
    const value = encodeMember(info);
    try {
      const created = await this.ns.if(key, 'Create', '==', 0).then(this.ns.put(key).value(value).lease(session.id)).else(this.ns.get(key)).commit();
      if (created.succeeded) return;
      const held = created.responses[0]?.response_range.kvs[0];
      if (held === undefined) return await this.retryPut(info, session, attempt); // deleted meanwhile
      if (held.lease !== session.id && !this.oldLeases.has(held.lease)) throw new MemberIdInUseError(info.nodeId);
      const updated = await this.ns.if(key, 'Mod', '==', held.mod_revision).then(this.ns.put(key).value(value).lease(session.id)).commit();
      if (!updated.succeeded) return await this.retryPut(info, session, attempt);
    } catch (cause) {
      if (cause instanceof MemberIdInUseError) throw cause;
      if (cause instanceof EtcdLeaseInvalidError) {
        session.invalidate(cause);
        throw new LeaseLostError(info.nodeId, 'etcd does not know the lease', { cause });
      }
      throw etcdFailure('writing the member record', cause);
    } finally {
      this.oldLeases.add(session.id);
    }
  }

  /** The record changed between our read and write (a racing writer): try again, a few times. */
  private async retryPut(info: MemberInfo, session: LeaseSession, attempt: number): Promise<void> {
    if (attempt >= 5) throw new ClusterUnavailableError('writing the member record (kept changing under us)');
    await this.putRecord(info, session, attempt + 1);
  }

  private async restoreRecord(): Promise<void> {
    const self = this.self;
    const session = this.session;
    if (self === undefined || session === undefined || !session.alive) return;
    try {
      await this.putRecord(self, session);
    } catch (err) {
      this.reportError(err as Error);
    }
  }

  private leaseLost(nodeId: string, reason: string, cause: unknown): void {
    const err = new LeaseLostError(nodeId, reason, { cause });
    this.lostSubs.forEach((cb) => cb(err));
  }

  private reportError(err: Error): void {
    this.errorSubs.forEach((cb) => cb(err));
  }
}
