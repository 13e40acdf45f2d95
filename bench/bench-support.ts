import { cpus } from 'node:os';
import { join } from 'node:path';
import type { RawEnv } from '@tenantry/common';
import { spawnBuiltApp, type BuiltApp } from '@tenantry/testing';

// Compiled into dist/bench, so the built apps sit one level up.
const root = join(__dirname, '..', '..');

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const median = (values: number[]) => percentile(values, 50);

export function machine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model.trim()}), node ${process.version}`;
}

export type Proc = BuiltApp;

/** Starts one of the built apps as its own process, as production runs it; resolves once its output matches `ready`. */
export async function startApp(relativeEntry: string, env: RawEnv, ready: RegExp): Promise<Proc> {
  const app = spawnBuiltApp(join(root, relativeEntry), env, ready);
  await app.ready;
  return app;
}

export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs `work` over `items` with at most `concurrency` in flight (a closed loop). */
export async function closedLoop<T, R>(items: T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]);
      }
    }),
  );
  return results;
}
