/**
 * A small key-value store with compare-and-set, for metadata that is not per-step: workflow
 * definitions and versions, instance-id counters, start request-id dedup. Never on the per-step path.
 *
 * - `put` with `expectedRevision` succeeds only if the key's current revision equals it
 *   (0 = the key must not exist); otherwise it rejects with a CasConflictError and writes nothing.
 * - Revisions increase on every write of a key. A resolved `put` is durable per the adapter.
 * - Values are plain JSON-compatible data (adapters encode them).
 */
import { MaestroError } from '../core/errors.js';

export interface KvEntry<T = unknown> {
  key: string;
  value: T;
  revision: number;
}

export interface KvStore {
  get<T = unknown>(key: string): Promise<KvEntry<T> | undefined>;
  put(key: string, value: unknown, expectedRevision?: number): Promise<number>;
  delete(key: string): Promise<void>;
  /** All entries whose key starts with `prefix`, in key order. */
  list<T = unknown>(prefix: string): Promise<KvEntry<T>[]>;
  close(): Promise<void>;
}

export class CasConflictError extends MaestroError {
  override name = 'CasConflictError';
  constructor(key: string) {
    super('unavailable', `concurrent update of ${key}; retry`, { retryable: true });
  }
}

/** Applies `update` to the current value with CAS, retrying on conflicts (bounded). */
export async function updateKv<T>(
  kv: KvStore,
  key: string,
  update: (current: T | undefined) => T,
  attempts = 20,
): Promise<{ value: T; revision: number }> {
  for (let i = 0; ; i++) {
    const cur = await kv.get<T>(key);
    const value = update(cur?.value);
    try {
      const revision = await kv.put(key, value, cur?.revision ?? 0);
      return { value, revision };
    } catch (e) {
      if (!(e instanceof CasConflictError) || i >= attempts) throw e;
    }
  }
}
