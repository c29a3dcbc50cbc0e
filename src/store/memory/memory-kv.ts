import { CasConflictError, type KvEntry, type KvStore } from '../port.js';

/** In-process KvStore for the embedded mode and tests. Values are deep-copied on the way in and out. */
export class MemoryKv implements KvStore {
  private readonly entries = new Map<string, KvEntry>();

  async get<T>(key: string): Promise<KvEntry<T> | undefined> {
    const e = this.entries.get(key);
    return e ? { key, value: structuredClone(e.value) as T, revision: e.revision } : undefined;
  }

  async put(key: string, value: unknown, expectedRevision?: number): Promise<number> {
    const cur = this.entries.get(key);
    if (expectedRevision !== undefined && (cur?.revision ?? 0) !== expectedRevision) {
      throw new CasConflictError(key);
    }
    const revision = (cur?.revision ?? 0) + 1;
    this.entries.set(key, { key, value: structuredClone(value), revision });
    return revision;
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async list<T>(prefix: string): Promise<KvEntry<T>[]> {
    return [...this.entries.keys()]
      .filter((k) => k.startsWith(prefix))
      .sort()
      .map((k) => {
        const e = this.entries.get(k)!;
        return { key: k, value: structuredClone(e.value) as T, revision: e.revision };
      });
  }

  async close(): Promise<void> {}
}
