import { TtlLru } from './ttl-lru';

describe('TtlLru', () => {
  let clock = 0;
  const now = () => clock;

  beforeEach(() => {
    clock = 1_000;
  });

  it('gives back what it holds until the entry expires', () => {
    const lru = new TtlLru<string>(10, now);
    lru.set('a', 'A', 500);
    clock += 499;
    expect(lru.get('a')).toBe('A');
    clock += 1;
    expect(lru.get('a')).toBeUndefined();
    expect(lru.size).toBe(0);
  });

  it('drops the least recently read entry when full, never more than its bound', () => {
    const lru = new TtlLru<number>(3, now);
    lru.set('a', 1, 1_000);
    lru.set('b', 2, 1_000);
    lru.set('c', 3, 1_000);
    expect(lru.get('a')).toBe(1);
    lru.set('d', 4, 1_000);
    expect(lru.size).toBe(3);
    expect(lru.get('b')).toBeUndefined();
    expect([lru.get('a'), lru.get('c'), lru.get('d')]).toEqual([1, 3, 4]);
  });

  it('a new value replaces the old one and its lifetime', () => {
    const lru = new TtlLru<string>(2, now);
    lru.set('a', 'old', 10);
    lru.set('a', 'new', 1_000);
    clock += 100;
    expect(lru.get('a')).toBe('new');
    expect(lru.size).toBe(1);
  });

  it('deletes one entry or all of them', () => {
    const lru = new TtlLru<string>(5, now);
    lru.set('a', 'A', 100);
    lru.set('b', 'B', 100);
    expect(lru.delete('a')).toBe(true);
    expect(lru.get('a')).toBeUndefined();
    lru.clear();
    expect(lru.get('b')).toBeUndefined();
  });

  it('refuses a bound below one', () => {
    expect(() => new TtlLru(0)).toThrow('at least one');
  });
});
