/**
 * Step types served by workers (the WorkerService): which ones this deployment accepts.
 *
 * - A type is registered when a worker says it serves it (hello) to any node. Registrations are
 *   kept in the KV store (`worker-types/<lower-cased type>`: first and last seen, node, sdk), so
 *   every node and a restarted node accept them, and announced on TOPIC_WORKER_TYPE so the other
 *   nodes add them to their cache at once (owners, LocalPartitions, re-dispatch the attempts
 *   waiting for a worker of the type on the same announcement).
 * - `has(type)` is synchronous (the state machine's hasRuntime): it reads the cache, filled from
 *   the KV at `open()` and by registrations and announcements since. A node that missed an
 *   announcement learns the type at its next `refresh()` (every `refreshMs`).
 * - A registration is never removed: a type stays accepted when its workers leave (attempts of
 *   it wait for a worker; see InstanceActor).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Id, Ms, Text, wire } from '../protocol/wire.js';
import { TOPIC_WORKER_TYPE, type WorkerTypeAnnounced } from '../protocol/executor.js';
import { listChecked, updateKv, type KvStore } from '../store/port.js';
import type { Subscription, Transport } from '../transport/port.js';
import type { Logger } from '../log/logger.js';
import { readAtStartup } from './startup-read.js';

export const WORKER_TYPES_PREFIX = 'worker-types/';

const WorkerTypeRecordSchema = Type.Object({
  type: Id(),
  firstSeenMs: Ms(),
  lastSeenMs: Ms(),
  node: Text(),
  sdk: Text(),
});
export type WorkerTypeRecord = Static<typeof WorkerTypeRecordSchema>;
const checkRecord = wire('worker type registration', WorkerTypeRecordSchema).parse;

export interface WorkerTypesDeps {
  kv: KvStore;
  transport: Transport;
  log: Logger;
  now: () => number;
  /** Re-read the KV this often (heals a missed announcement); 0 = never. */
  refreshMs: number;
}

export class WorkerTypes {
  private readonly known = new Set<string>();
  private sub: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;

  private constructor(private readonly d: WorkerTypesDeps) {}

  static async open(d: WorkerTypesDeps): Promise<WorkerTypes> {
    const w = new WorkerTypes(d);
    w.sub = d.transport.subscribe(TOPIC_WORKER_TYPE, (body) => w.learn((body as WorkerTypeAnnounced).type));
    await readAtStartup('reading the registered worker types', () => w.refresh(), d.log);
    if (d.refreshMs > 0) {
      w.timer = setInterval(() => w.refresh().catch((err: unknown) => d.log.warn({ err }, 'worker types not re-read from the KV store')), d.refreshMs);
      w.timer.unref();
    }
    return w;
  }

  /** Whether a worker ever registered this type (case-insensitive). */
  has(type: string): boolean {
    return this.known.has(type.toLowerCase());
  }

  async refresh(): Promise<void> {
    for (const e of await listChecked(this.d.kv, WORKER_TYPES_PREFIX, checkRecord)) this.learn(e.value.type);
  }

  /**
   * Records that a worker serves `type` (kept in the KV store). Resolves once the registration
   * is durable; the type is accepted on this node at once. Call `announce` once the type is
   * served (its queue group subscribed), so re-dispatches prompted by it find the worker.
   */
  async register(type: string, meta: { node: string; sdk: string }): Promise<void> {
    const lower = type.toLowerCase();
    const nowMs = this.d.now();
    await updateKv<WorkerTypeRecord>(
      this.d.kv,
      `${WORKER_TYPES_PREFIX}${lower}`,
      (cur) => ({ type: lower, firstSeenMs: cur?.firstSeenMs ?? nowMs, lastSeenMs: nowMs, node: meta.node, sdk: meta.sdk }),
      checkRecord,
    );
    this.learn(lower);
  }

  /** Tells every node the type is served now (they accept it; owners re-dispatch attempts waiting for it). */
  announce(type: string): void {
    const msg: WorkerTypeAnnounced = { type: type.toLowerCase() };
    this.d.transport.publish(TOPIC_WORKER_TYPE, msg);
  }

  /** Every registration kept (cluster info, tests). */
  async list(): Promise<WorkerTypeRecord[]> {
    return (await listChecked(this.d.kv, WORKER_TYPES_PREFIX, checkRecord)).map((e) => e.value);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.sub?.close();
  }

  private learn(type: string): void {
    this.known.add(type.toLowerCase());
  }
}
