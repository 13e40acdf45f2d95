import { LRUCache } from 'lru-cache';

/**
 * A bounded map whose entries also expire: the least recently read goes first when it is full.
 * `ttlResolution: 0` reads the clock on every get rather than caching it for a millisecond behind a
 * timer: bench:resolver-hit measured both against the hand-written LRU this replaced, see
 * docs/benchmarks.md. lru-cache takes a ttl of 0 as "never expires", so a lifetime is at least 1 ms.
 */
export function expiringLru<V extends {}>(maxEntries: number, ttlMs: number): LRUCache<string, V> {
  return new LRUCache<string, V>({ max: maxEntries, ttl: Math.max(1, Math.ceil(ttlMs)), ttlResolution: 0 });
}
