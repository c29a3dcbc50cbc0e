/**
 * Dormant instances: finished instances a partition host keeps as one encoded buffer each
 * instead of a live InstanceActor with its state as objects.
 *
 * Why: a finished instance is read now and then (get, list, watch) and rarely changed again
 * (restart, a repeated launch), but a busy partition holds thousands of them — a 25,000-iteration
 * foreach leaves 25,000. As live actors they cost about 10 KB of heap each (state objects, the
 * actor's mailbox, maps and metrics) and every one of them is traced by each major GC; as a
 * msgpack buffer the state is about 4 KB outside the JS heap, untraced, plus a small summary for
 * listing.
 *
 * The host (partition-host.ts) puts an instance to sleep once its run ended and its actor is
 * quiescent (InstanceActor.quiescent: nothing queued, no timers, no watcher's lease, no early
 * child notices, no permit waits), and wakes it — decode, new actor with the same epoch's hooks —
 * on the first message to it. Listing and counting read the summaries; retention forgets a
 * dormant instance like an awake one (the request id to drop at its queue owner is kept beside
 * the buffer). Nothing here is journaled: dormancy is a memory layout, the journal is unchanged.
 */
import { Packr } from 'msgpackr';
import { toSummary, type InstanceState } from '../core/instance/index.js';
import type { InstanceSummary } from '../core/instance/view.js';
import { forgottenRequestOf, type ForgottenRequest } from './request-retention.js';

// Shared record structures (msgpackr's record extension): an object shape seen before is written
// as a reference, not its keys again — a foreach iteration's state is 1.6 KB instead of 3.9 KB.
// The buffers never leave this process and the structures only grow (an older buffer decodes
// with a later array), so one Packr for the process keeps every buffer decodable.
const packr = new Packr({ structures: [] });

export interface DormantInstance {
  /** The state, msgpack-encoded (an exact-size copy, so it pins no larger buffer). */
  bytes: Uint8Array;
  summary: InstanceSummary;
  /** The state's seq (whether a checkpoint must snapshot it: see PartitionHost.checkpoint). */
  seq: number;
  /** The request id its queue owner drops when retention forgets the instance. */
  request?: ForgottenRequest;
}

export class DormantInstances {
  private readonly held = new Map<string, DormantInstance>();

  get size(): number {
    return this.held.size;
  }

  has(key: string): boolean {
    return this.held.has(key);
  }

  get(key: string): DormantInstance | undefined {
    return this.held.get(key);
  }

  /** Encodes and keeps `state` (the caller drops its live actor). */
  put(key: string, state: InstanceState): void {
    const packed = packr.pack(state);
    const entry: DormantInstance = { bytes: new Uint8Array(packed), summary: toSummary(state), seq: state.seq };
    const request = forgottenRequestOf(state);
    if (request) entry.request = request;
    this.held.set(key, entry);
  }

  /** A fresh decoded copy of the state (the entry stays). */
  state(key: string): InstanceState | undefined {
    const e = this.held.get(key);
    return e === undefined ? undefined : (packr.unpack(e.bytes) as InstanceState);
  }

  delete(key: string): boolean {
    return this.held.delete(key);
  }

  clear(): void {
    this.held.clear();
  }

  values(): IterableIterator<DormantInstance> {
    return this.held.values();
  }
}
