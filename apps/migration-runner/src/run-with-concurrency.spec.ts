import { runWithConcurrency } from './run-with-concurrency';

describe('runWithConcurrency', () => {
  it('never runs more than the cap at once and runs everything', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await runWithConcurrency([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      done.push(item);
      running -= 1;
    });
    expect(peak).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('starts nothing new once halted and returns what it never started', async () => {
    const started: number[] = [];
    const left = await runWithConcurrency(
      [1, 2, 3, 4, 5],
      1,
      async (item) => void started.push(item),
      () => started.length >= 2,
    );
    expect(started).toEqual([1, 2]);
    expect(left).toEqual([3, 4, 5]);
  });
});

describe('runWithConcurrency with a cap per key', () => {
  it('runs at most perKey items of one key at once, and lets other keys pass a busy one', async () => {
    const running = new Map<string, number>();
    const peaks = new Map<string, number>();
    const order: string[] = [];
    const items = ['a1', 'a2', 'a3', 'a4', 'b1', 'c1', 'b2', 'c2'];
    const left = await runWithConcurrency(
      items,
      4,
      async (item) => {
        const key = item[0];
        running.set(key, (running.get(key) ?? 0) + 1);
        peaks.set(key, Math.max(peaks.get(key) ?? 0, running.get(key)!));
        order.push(item);
        await new Promise((resolve) => setTimeout(resolve, key === 'a' ? 20 : 2));
        running.set(key, running.get(key)! - 1);
      },
      undefined,
      { keyOf: (item) => item[0], perKey: 2 },
    );
    expect(left).toEqual([]);
    expect(Math.max(...peaks.values())).toBe(2);
    // The slow server's third item waits; b1 and c1 start at once beside its first two.
    expect(order.slice(0, 4)).toEqual(['a1', 'a2', 'b1', 'c1']);
    expect([...order].sort()).toEqual([...items].sort());
  });
});
