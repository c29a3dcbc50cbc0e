/**
 * Follows `<prefix>members/` in etcd and turns it into MembershipViews.
 *
 * Invariants:
 * - The view only moves forward: a read (resync) at revision R replaces the state only if no
 *   event newer than R was applied, and an event is applied only if its revision is newer than
 *   the state's. So a resync racing with watch events never rolls the view back.
 * - No change is missed: after any watch disconnect or cancellation (e.g. compaction) the whole
 *   prefix is read again before events are trusted; reads that fail are retried with a delay
 *   until `stop()`.
 * - A view is published only when the member set (or a member's record) changed; its version is
 *   the etcd revision of the state it shows.
 */
import type { IKeyValue, IWatchResponse, Namespace, Watcher } from 'etcd3';
import { MalformedMemberError } from '../errors.js';
import { etcdFailure } from './failure.js';
import { decodeMember, makeView, sameMembers } from '../member.js';
import type { MemberInfo, MembershipView } from '../port.js';
import { MEMBERS_PREFIX } from './options.js';

export interface MemberWatchHooks {
  onView(view: MembershipView): void;
  onError(err: Error): void;
  /** A member record was deleted (by lease expiry, leave, or by hand). */
  onDeleted(nodeId: string): void;
}

export class MemberWatch {
  private readonly members = new Map<string, MemberInfo>();
  private applied = 0;
  private view: MembershipView = makeView(0, []);
  private watcher: Watcher | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private resyncing = false;

  constructor(
    private readonly ns: Namespace,
    private readonly resyncRetryMs: number,
    private readonly hooks: MemberWatchHooks,
  ) {}

  current(): MembershipView {
    return this.view;
  }

  /** Reads the members and starts watching; rejects if etcd cannot be read. */
  async start(): Promise<void> {
    this.stopped = false;
    const revision = await this.resync();
    await this.watchFrom(revision + 1);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    const w = this.watcher;
    this.watcher = undefined;
    if (w !== undefined) await w.cancel().catch(() => undefined); // the stream may already be gone
  }

  private async resync(): Promise<number> {
    let res;
    try {
      res = await this.ns.getAll().prefix(MEMBERS_PREFIX).exec();
    } catch (cause) {
      throw etcdFailure('reading members', cause);
    }
    const revision = Number(res.header.revision);
    if (revision > this.applied) {
      this.members.clear();
      for (const kv of res.kvs) this.put(kv);
      this.applied = revision;
      this.publish();
    }
    return revision;
  }

  private async watchFrom(revision: number): Promise<void> {
    let watcher: Watcher;
    try {
      watcher = await this.ns.watch().prefix(MEMBERS_PREFIX).startRevision(String(revision)).create();
    } catch (cause) {
      throw etcdFailure('watching members', cause);
    }
    if (this.stopped) {
      await watcher.cancel().catch(() => undefined);
      return;
    }
    this.watcher = watcher;
    let broken = false;
    watcher.on('data', (res: IWatchResponse) => this.apply(res));
    watcher.on('disconnected', () => {
      broken = true;
    });
    watcher.on('connected', () => {
      if (!broken) return;
      broken = false;
      this.backgroundResync(false);
    });
    watcher.on('error', (err) => {
      this.hooks.onError(etcdFailure('members watch cancelled', err));
      if (this.watcher === watcher) this.watcher = undefined;
      void watcher.cancel().catch(() => undefined);
      this.backgroundResync(true);
    });
  }

  /** Re-reads the prefix (and re-creates the watch if asked) until it succeeds or we stop. */
  private backgroundResync(rewatch: boolean): void {
    if (this.stopped || this.resyncing) return;
    this.resyncing = true;
    const run = async (): Promise<void> => {
      try {
        const revision = await this.resync();
        if (rewatch && !this.stopped) await this.watchFrom(revision + 1);
        this.resyncing = false;
      } catch (err) {
        this.hooks.onError(err as Error);
        if (this.stopped) return;
        this.retryTimer = setTimeout(() => void run(), this.resyncRetryMs);
      }
    };
    void run();
  }

  private apply(res: IWatchResponse): void {
    let changed = false;
    for (const ev of res.events) {
      const revision = Number(ev.kv.mod_revision);
      if (revision <= this.applied) continue;
      this.applied = revision;
      if (ev.type === 'Put') this.put(ev.kv);
      else {
        const nodeId = ev.kv.key.toString().slice(MEMBERS_PREFIX.length);
        this.members.delete(nodeId);
        this.hooks.onDeleted(nodeId);
      }
      changed = true;
    }
    if (changed) this.publish();
  }

  private put(kv: IKeyValue): void {
    const key = kv.key.toString();
    const member = decodeMember(kv.value.toString());
    if (typeof member === 'string') return this.hooks.onError(new MalformedMemberError(key, member));
    if (`${MEMBERS_PREFIX}${member.nodeId}` !== key) {
      return this.hooks.onError(new MalformedMemberError(key, `names node ${member.nodeId}`));
    }
    this.members.set(member.nodeId, member);
  }

  private publish(): void {
    const next = makeView(this.applied, this.members.values());
    if (sameMembers(next, this.view)) return;
    this.view = next;
    this.hooks.onView(next);
  }
}
