/** A second cap: at most `perKey` items of one key (a tenant's server) at once. */
export interface KeyCap<T> {
  keyOf: (item: T) => string;
  perKey: number;
}

/**
 * Runs `work` over `items` with at most `concurrency` at once, in order, and with a key cap at most
 * `perKey` of one key: an item whose key is at its cap waits while later items of other keys start,
 * so one busy server never holds the slots the rest of the fleet could use. Once `halt()` says so,
 * no new item starts; those never started are returned, in order.
 */
export async function runWithConcurrency<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
  halt: () => boolean = () => false,
  cap?: KeyCap<T>,
): Promise<T[]> {
  const keyOf = cap?.keyOf ?? (() => '');
  const perKey = cap?.perKey ?? Number.POSITIVE_INFINITY;
  // One queue per key, each in the items' order: the next item is the earliest head among keys under their cap.
  const queues = new Map<string, Array<{ item: T; index: number }>>();
  items.forEach((item, index) => {
    const key = keyOf(item);
    let queue = queues.get(key);
    if (!queue) queues.set(key, (queue = []));
    queue.push({ item, index });
  });
  const running = new Map<string, number>();
  let active = 0;
  const next = (): { item: T; key: string } | undefined => {
    let chosen: string | undefined;
    for (const [key, queue] of queues) {
      if (queue.length === 0 || (running.get(key) ?? 0) >= perKey) continue;
      if (chosen === undefined || queue[0].index < queues.get(chosen)![0].index) chosen = key;
    }
    return chosen === undefined ? undefined : { item: queues.get(chosen)!.shift()!.item, key: chosen };
  };
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (active < concurrency && !halt()) {
        const started = next();
        if (!started) break;
        active += 1;
        running.set(started.key, (running.get(started.key) ?? 0) + 1);
        work(started.item).then(() => {
          active -= 1;
          running.set(started.key, running.get(started.key)! - 1);
          pump();
        }, reject);
      }
      if (active === 0) resolve();
    };
    pump();
  });
  return [...queues.values()]
    .flat()
    .sort((a, b) => a.index - b.index)
    .map(({ item }) => item);
}
