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
  /** The largest value `put` takes, in bytes of JSON (NATS max_payload for JetStream); absent: no limit. */
  readonly maxValueBytes?: number;
}

export class CasConflictError extends MaestroError {
  override name = 'CasConflictError';
  constructor(key: string) {
    super('unavailable', `concurrent update of ${key}; retry`, { retryable: true });
  }
}

/**
 * A stored value that is not what its key holds (not JSON, or not of the key's schema): reading
 * it fails loudly, naming the key and revision, instead of handing garbage to the engine.
 */
export class KvCorruptError extends MaestroError {
  override name = 'KvCorruptError';
  constructor(
    readonly key: string,
    readonly revision: number,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super('internal', `KV value of ${key} (revision ${revision}): ${problem}`, { ...options, retryable: false });
  }
}

/** Checks a value read back (a wire schema's `parse`); throws when it is not a T. */
export type KvCheck<T> = (value: unknown) => T;

/** `kv.get` whose value must pass `check`, else KvCorruptError. */
export async function getChecked<T>(kv: KvStore, key: string, check: KvCheck<T>): Promise<KvEntry<T> | undefined> {
  const e = await kv.get(key);
  return e && checkEntry(e, check);
}

/** `kv.list` whose values must pass `check`, else KvCorruptError. */
export async function listChecked<T>(kv: KvStore, prefix: string, check: KvCheck<T>): Promise<KvEntry<T>[]> {
  return (await kv.list(prefix)).map((e) => checkEntry(e, check));
}

function checkEntry<T>(e: KvEntry, check: KvCheck<T>): KvEntry<T> {
  try {
    return { ...e, value: check(e.value) };
  } catch (cause) {
    throw new KvCorruptError(e.key, e.revision, cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** Applies `update` to the current value (checked by `check`) with CAS, retrying on conflicts (bounded). */
export async function updateKv<T>(
  kv: KvStore,
  key: string,
  update: (current: T | undefined) => T,
  check: KvCheck<T>,
  attempts = 20,
): Promise<{ value: T; revision: number }> {
  for (let i = 0; ; i++) {
    const cur = await getChecked(kv, key, check);
    const value = update(cur?.value);
    try {
      const revision = await kv.put(key, value, cur?.revision ?? 0);
      return { value, revision };
    } catch (e) {
      if (!(e instanceof CasConflictError) || i >= attempts) throw e;
    }
  }
}
