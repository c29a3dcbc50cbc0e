import type { Epoch, Unsubscribe } from './port.js';

export type ReleaseReason = 'rebalance' | 'lost';

export type OwnershipChange =
  | {
      readonly kind: 'acquired';
      readonly partition: number;
      readonly epoch: Epoch;
      /** The node that released p right before this claim (a graceful handoff); absent when its claim expired with its lease, there was none, or the adapter cannot tell. */
      readonly releasedBy?: string;
    }
  | { readonly kind: 'released'; readonly partition: number; readonly epoch: Epoch; readonly reason: ReleaseReason };

/** Synchronous fan-out of ownership changes; a throwing listener does not stop the others. */
export class OwnershipEvents {
  private readonly subs = new Set<(change: OwnershipChange) => void>();

  subscribe(cb: (change: OwnershipChange) => void): Unsubscribe {
    this.subs.add(cb);
    return () => this.subs.delete(cb);
  }

  emit(change: OwnershipChange): void {
    for (const cb of [...this.subs]) {
      try {
        cb(change);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
