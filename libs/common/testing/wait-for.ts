import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` until it holds; the bound only stops a test that would otherwise hang, it is not what the test measures. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}
