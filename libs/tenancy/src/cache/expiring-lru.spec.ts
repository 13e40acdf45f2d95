import { setTimeout as sleep } from 'node:timers/promises';
import { expiringLru } from './expiring-lru';

describe('expiringLru', () => {
  it('drops the least recently read entry when full, never more than its bound', () => {
    const lru = expiringLru<number>(3, 60_000);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('c', 3);
    expect(lru.get('a')).toBe(1);
    lru.set('d', 4);
    expect(lru.size).toBe(3);
    expect(lru.get('b')).toBeUndefined();
    expect([lru.get('a'), lru.get('c'), lru.get('d')]).toEqual([1, 3, 4]);
  });

  it('forgets an entry once its lifetime has passed, a lifetime of 0 or a fraction of a millisecond included', async () => {
    const lives = [expiringLru<string>(10, 5), expiringLru<string>(10, 0), expiringLru<string>(10, 0.25)];
    for (const lru of lives) lru.set('a', 'A');
    expect(lives[0].get('a')).toBe('A');
    await sleep(20);
    for (const lru of lives) expect(lru.get('a')).toBeUndefined();
  });
});
