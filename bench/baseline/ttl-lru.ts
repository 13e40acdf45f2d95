interface Slot<V> {
  value: V;
  expiresAt: number;
}

/**
 * The hand-written LRU the resolver used until lru-cache replaced it (issue 12), kept only as the
 * baseline bench:resolver-hit measures lru-cache against. A Map keeps insertion order, so moving an
 * entry to the end on every read is the whole LRU.
 */
export class TtlLru<V> {
  private readonly slots = new Map<string, Slot<V>>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error('an LRU needs room for at least one entry');
  }

  get(key: string): V | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    this.slots.delete(key);
    if (slot.expiresAt <= this.now()) return undefined;
    this.slots.set(key, slot);
    return slot.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    this.slots.delete(key);
    this.slots.set(key, { value, expiresAt: this.now() + ttlMs });
    if (this.slots.size > this.maxEntries) this.slots.delete(this.slots.keys().next().value as string);
  }

  delete(key: string): boolean {
    return this.slots.delete(key);
  }

  clear(): void {
    this.slots.clear();
  }

  get size(): number {
    return this.slots.size;
  }
}
