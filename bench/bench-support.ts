import type { RawEnv } from '@tenantry/common';
import { spawnBuiltApp, type BuiltApp } from '@tenantry/common/testing';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// Compiled into dist-bench/bench (npm run build:bench): the repository, and the built apps in its dist/, are two levels up.
const root = join(__dirname, '..', '..');

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const median = (values: number[]) => percentile(values, 50);

export const fmt = (value: number, digits = 1) => value.toFixed(digits);

/** Times each call of `work` alone, in microseconds; `before` runs untimed ahead of each one. */
export async function timed(iterations: number, before: (i: number) => Promise<void> | void, work: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    await before(i);
    const started = process.hrtime.bigint();
    await work(i);
    samples.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  return samples;
}

/** One row of per-call timings: p50 and p99, and with a baseline, both as ratios of the baseline's. */
export function line(label: string, samples: number[], baseline?: number[]): string {
  const [p50, p99] = [median(samples), percentile(samples, 99)];
  const ratio = baseline ? `  ${fmt(p50 / median(baseline), 2)}x the baseline p50, ${fmt(p99 / percentile(baseline, 99), 2)}x its p99` : '';
  return `  ${label.padEnd(46)} p50 ${fmt(p50, 2).padStart(8)} µs   p99 ${fmt(p99, 2).padStart(8)} µs  (n=${samples.length})${ratio}\n`;
}

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

/**
 * pgbench running bench:resolve's orders query on `database` of the server `serverUrl` names, with
 * `clients` clients for 5 s: on kept connections, and with -C (a new connection per transaction).
 */
export async function ordersQueryTps(serverUrl: string, database: string, clients: number): Promise<{ kept: number; fresh: number }> {
  const script = join(tmpdir(), `bench-orders-${database}.sql`);
  writeFileSync(script, 'SELECT o.*, l.* FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id ORDER BY o.created_at DESC LIMIT 50;\n');
  const url = new URL(serverUrl);
  const connection = ['-h', url.hostname, '-p', url.port || '5432', '-U', url.username || 'postgres', database];
  const tps = async (...flags: string[]) => {
    const { stdout } = await promisify(execFile)('pgbench', ['-n', '-c', String(clients), '-j', '2', '-T', '5', ...flags, '-f', script, ...connection]);
    return Number(/tps = ([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  };
  return { kept: await tps(), fresh: await tps('-C') };
}
