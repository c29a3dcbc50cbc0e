/**
 * A bounded cache of parsed scripts with CLOCK (second-chance) eviction, an LRU approximation
 * whose hits cost one flag write: when full, the oldest entry is evicted unless it was used since
 * it was last examined, in which case it is moved to the young end and the next one is examined.
 */
interface Slot<V> {
  value: V;
  used: boolean;
}

export class LruCache<K, V> {
  private readonly map = new Map<K, Slot<V>>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const slot = this.map.get(key);
    if (slot === undefined) return undefined;
    slot.used = true;
    return slot.value;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    while (this.map.size >= this.capacity) this.evictOne();
    this.map.set(key, { value, used: false });
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  private evictOne(): void {
    for (const [key, slot] of this.map) {
      this.map.delete(key);
      if (!slot.used) return;
      slot.used = false;
      this.map.set(key, slot);
    }
  }
}
