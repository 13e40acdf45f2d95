/**
 * Runs `work` over `items` with at most `concurrency` at once, in order. Once `halt()` says so, no
 * new item starts; those never started are returned.
 */
export async function runWithConcurrency<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>, halt: () => boolean = () => false): Promise<T[]> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length && !halt()) {
        const item = items[next];
        next += 1;
        await work(item);
      }
    }),
  );
  return items.slice(next);
}
