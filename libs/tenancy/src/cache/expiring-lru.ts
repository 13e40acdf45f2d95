import { LRUCache } from 'lru-cache';

/**
 * A bounded map whose entries also expire: the least recently read goes first when it is full.
 * lru-cache with its defaults: bench:resolver-hit measured it at a third of the hand-written LRU's
 * time per hit and a tenth per insert into a full cache, and its default clock (read once per
 * millisecond) no slower than reading it on every get (docs/benchmarks.md). lru-cache takes a ttl of
 * 0 as "never expires" and refuses a fraction, so a lifetime is a whole millisecond, at least one.
 */
export function expiringLru<V extends NonNullable<unknown>>(maxEntries: number, ttlMs: number): LRUCache<string, V> {
  return new LRUCache<string, V>({ max: maxEntries, ttl: Math.max(1, Math.ceil(ttlMs)) });
}
