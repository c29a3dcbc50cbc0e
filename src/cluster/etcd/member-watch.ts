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
import { ClusterUnavailableError, MalformedMemberError } from '../errors.js';
import { etcdFailure } from './failure.js';
import { decodeMember, makeView, sameMembers } from '../member.js';
import type { MemberInfo, MembershipView } from '../port.js';
import { MEMBERS_PREFIX } from './options.js';
import { retry, RetryAbortedError, withTimeout } from '../../retry/index.js';

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
  private resyncStop: AbortController | undefined;

  constructor(
    private readonly ns: Namespace,
    private readonly resyncRetryMs: number,
    private readonly hooks: MemberWatchHooks,
    /** Bound on cancelling the watch stream (it needs an answer from etcd, which may be gone). */
    private readonly cancelTimeoutMs: number,
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
    this.resyncStop?.abort();
    const w = this.watcher;
    this.watcher = undefined;
    if (w !== undefined) await this.cancel(w);
  }

  /** Cancels a watch stream; one that is already gone, or an etcd that does not answer, is reported and left. */
  private async cancel(w: Watcher): Promise<void> {
    try {
      await withTimeout(w.cancel(), this.cancelTimeoutMs, 'cancelling the members watch');
    } catch (cause) {
      this.hooks.onError(new ClusterUnavailableError('cancelling the members watch', { cause }));
    }
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
      await this.cancel(watcher);
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
      void this.cancel(watcher);
      this.backgroundResync(true);
    });
  }

  /**
   * Re-reads the prefix (and re-creates the watch if asked) until it succeeds or we stop, with
   * backoff from `resyncRetryMs` doubling up to 8 times that; every failure is reported.
   */
  private backgroundResync(rewatch: boolean): void {
    if (this.stopped || this.resyncStop !== undefined) return;
    const stop = (this.resyncStop = new AbortController());
    retry(
      async () => {
        const revision = await this.resync();
        if (rewatch && !this.stopped) await this.watchFrom(revision + 1);
      },
      {
        what: 'following the members',
        backoff: { initialMs: this.resyncRetryMs, maxMs: 8 * this.resyncRetryMs },
        signal: stop.signal,
        shouldRetry: () => true,
        onRetry: ({ error }) => this.hooks.onError(error instanceof Error ? error : new Error(String(error))),
      },
    ).then(
      () => this.resyncDone(stop),
      (err: unknown) => {
        this.resyncDone(stop);
        // Only stop() ends the loop (RetryAbortedError): nothing left to report.
        if (!(err instanceof RetryAbortedError)) this.hooks.onError(err as Error);
      },
    );
  }

  private resyncDone(stop: AbortController): void {
    if (this.resyncStop === stop) this.resyncStop = undefined;
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
