/**
 * Per-partition group commit, shared by the file and JetStream journal adapters.
 *
 * Invariants:
 * - At most one `write` per partition is in flight. Items submitted while it runs are gathered
 *   and handed to the next `write` together (at most `maxBatch` items per write), in submit order.
 *   Items submitted in the same tick as the first one join its write (the first write starts on
 *   a microtask).
 * - Each `submit` promise settles exactly once, after the write that carried its item settled:
 *   it resolves when that write resolved and rejects with that write's error otherwise. A failed
 *   write never affects later batches; the adapter's `write` must leave its medium ready for the
 *   next one (or keep failing).
 * - Partitions are independent: writes of different partitions run concurrently.
 */

export interface GroupCommitOptions {
  /** Most items handed to one `write`; default 1024. 1 disables merging. */
  maxBatch?: number;
}

export interface GroupCommitStats {
  /** Calls of `write` so far. */
  writes: number;
  /** Items carried by those writes. */
  items: number;
}

interface Lane<T> {
  items: T[];
  resolves: Array<() => void>;
  rejects: Array<(e: unknown) => void>;
  /** Settles when the lane has drained; undefined while idle. */
  running: Promise<void> | undefined;
}

export class GroupCommitter<T> {
  private readonly lanes = new Map<number, Lane<T>>();
  private readonly maxBatch: number;
  private writes = 0;
  private itemsWritten = 0;

  constructor(
    private readonly write: (partition: number, items: T[]) => Promise<void>,
    opts: GroupCommitOptions = {},
  ) {
    const maxBatch = opts.maxBatch ?? 1024;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) {
      throw new RangeError(`maxBatch must be an integer >= 1, got ${maxBatch}`);
    }
    this.maxBatch = maxBatch;
  }

  /** Queues `item` for `partition`; resolves once the write carrying it has succeeded. */
  submit(partition: number, item: T): Promise<void> {
    let lane = this.lanes.get(partition);
    if (lane === undefined) {
      lane = { items: [], resolves: [], rejects: [], running: undefined };
      this.lanes.set(partition, lane);
    }
    const l = lane;
    return new Promise<void>((resolve, reject) => {
      l.items.push(item);
      l.resolves.push(resolve);
      l.rejects.push(reject);
      if (l.running === undefined) {
        l.running = new Promise<void>((done) => queueMicrotask(() => void this.drain(partition, l).then(done)));
      }
    });
  }

  /** Resolves when nothing is queued or in flight for any partition. */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.lanes.values()].map((l) => l.running).filter((r) => r !== undefined);
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  stats(): GroupCommitStats {
    return { writes: this.writes, items: this.itemsWritten };
  }

  private async drain(partition: number, lane: Lane<T>): Promise<void> {
    while (lane.items.length > 0) {
      let items: T[];
      let resolves: Array<() => void>;
      let rejects: Array<(e: unknown) => void>;
      if (lane.items.length <= this.maxBatch) {
        ({ items, resolves, rejects } = lane);
        lane.items = [];
        lane.resolves = [];
        lane.rejects = [];
      } else {
        items = lane.items.splice(0, this.maxBatch);
        resolves = lane.resolves.splice(0, this.maxBatch);
        rejects = lane.rejects.splice(0, this.maxBatch);
      }
      this.writes++;
      this.itemsWritten += items.length;
      try {
        await this.write(partition, items);
      } catch (e) {
        for (const r of rejects) r(e);
        continue;
      }
      for (const r of resolves) r();
    }
    lane.running = undefined;
  }
}
