/**
 * The partitions this node hosts. The embedded node acquires all of them at start; a cluster
 * node's partition manager acquires and releases them as ownership moves. Also the node-local
 * instance index (what this node hosts; the engine lists through PartitionIndex).
 */
import type { StaleEpochError } from '../core/errors.js';
import type { InstanceSummary } from '../core/instance/view.js';
import type { InstanceIndex } from './engine.js';
import { PartitionHost, type HostDeps } from './partition-host.js';
import { partitionOf } from '../core/partition.js';
import type { Subscription } from '../transport/port.js';
import { TOPIC_ATTEMPT_HEARTBEAT, TOPIC_WORKER_TYPE, type AttemptHeartbeat, type WorkerTypeAnnounced } from '../protocol/executor.js';
import type { Logger } from '../log/logger.js';

export class LocalPartitions implements InstanceIndex {
  private readonly hosts = new Map<number, PartitionHost>();
  private readonly heartbeats: Subscription;
  private readonly workerTypes: Subscription;
  /** Serializes acquire/release per partition. */
  private readonly pending = new Map<number, Promise<void>>();
  private readonly log: Logger;

  constructor(
    private readonly deps: Omit<HostDeps, 'onStale'> & { partitionCount: number },
    private readonly onStaleHook?: (p: number, err: StaleEpochError) => void,
  ) {
    this.log = deps.log;
    this.heartbeats = deps.transport.subscribe(TOPIC_ATTEMPT_HEARTBEAT, (body) => {
      for (const [key, attemptId] of (body as AttemptHeartbeat).attempts) {
        this.hosts.get(partitionOf(key, deps.partitionCount))?.touch(key, attemptId);
      }
    });
    this.workerTypes = deps.transport.subscribe(TOPIC_WORKER_TYPE, (body) => {
      for (const h of this.hosts.values()) h.workerArrived((body as WorkerTypeAnnounced).type);
    });
  }

  owned(): Map<number, number> {
    return new Map([...this.hosts].map(([p, h]) => [p, h.epoch]));
  }

  host(p: number): PartitionHost | undefined {
    return this.hosts.get(p);
  }

  /** Hosts partition `p` at `epoch` (`'next'`: the sole owner takes the epoch after the stored one). */
  acquire(p: number, epoch: number | 'next'): Promise<void> {
    return this.serialize(p, async () => {
      const old = this.hosts.get(p);
      if (old) {
        this.hosts.delete(p);
        await old.close();
      }
      const host = await PartitionHost.open(p, epoch, { ...this.deps, onStale: (pp, err) => this.stale(pp, err) });
      this.hosts.set(p, host);
    });
  }

  release(p: number): Promise<void> {
    return this.serialize(p, async () => {
      const host = this.hosts.get(p);
      if (!host) return;
      this.hosts.delete(p);
      await host.close();
    });
  }

  async releaseAll(): Promise<void> {
    await this.heartbeats.close();
    await this.workerTypes.close();
    await Promise.all([...this.hosts.keys()].map((p) => this.release(p)));
  }

  count(filter: { workflowId?: string; terminal?: boolean }): number {
    let n = 0;
    for (const h of this.hosts.values()) n += h.count(filter);
    return n;
  }

  async list(filter: { workflowId?: string; status?: string }): Promise<InstanceSummary[]> {
    return [...this.hosts.values()].flatMap((h) => h.summaries(filter));
  }

  private stale(p: number, err: StaleEpochError): void {
    this.log.warn({ partition: p, err }, 'journal refused our epoch: another node owns the partition now; dropping its actors');
    this.release(p).catch((releaseErr: unknown) => this.log.error({ partition: p, err: releaseErr }, 'dropping a partition we no longer own failed'));
    this.onStaleHook?.(p, err);
  }

  /**
   * Runs `fn` after the previous step for `p` settled. The chain only orders the steps: each
   * step's failure goes to its own caller (the returned promise), so the chain ignores it.
   */
  private serialize(p: number, fn: () => Promise<void>): Promise<void> {
    const prev = this.pending.get(p) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.pending.set(p, next);
    const forget = (): void => {
      if (this.pending.get(p) === next) this.pending.delete(p);
    };
    next.then(forget, forget);
    return next;
  }
}
