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
