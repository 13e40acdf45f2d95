import { childProcessEnv, createTestEnv } from '@tenantry/common/testing';
import { CURRENT_TENANT_SCHEMA_VERSION } from '@tenantry/tenant-schema';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { closedLoop, fmt, machine, median } from './bench-support';
import { createFleet } from './fleet';

// Drift scan of a fleet on the local PostgreSQL: the built `npm run drift` CLI (one catalog query per
// tenant database), against a naive scan in the same run (information_schema, one query per object
// kind and table, as a first version would write it), at the same concurrency over the same databases.
const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const TENANTS = Number(process.env.BENCH_TENANTS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
// Every this-many-th tenant has an index dropped by hand: the scan must find exactly those.
const DRIFT_EVERY = 100;

const uptime = () =>
  `load average ${loadavg()
    .map((l) => fmt(l, 2))
    .join(' ')}`;

async function cliScan(rawEnv: Record<string, string | undefined>, label: string): Promise<{ scanMs: number; processMs: number; counts: Record<string, number> }> {
  const report = `/tmp/bench-drift-${label}.json`;
  const started = Date.now();
  const outcome = await run(process.execPath, [join(root, 'dist/apps/migration-runner/src/cli/drift.js'), '--concurrency', String(CONCURRENCY), '--report', report], {
    env: childProcessEnv(rawEnv),
    maxBuffer: 256 * 1024 * 1024,
  }).catch((error: { code?: number; stdout?: string; stderr?: string }) => {
    // Exit 1: some tenants drifted, as this fleet is built to have.
    if (error.code === 1 && error.stdout) return { stdout: error.stdout };
    throw new Error(`drift CLI failed (${error.code}): ${error.stderr}`);
  });
  const processMs = Date.now() - started;
  const { wallMs, results } = JSON.parse(readFileSync(report, 'utf8')) as { wallMs: number; results: Array<{ status: string }> };
  const counts: Record<string, number> = {};
  for (const result of results) counts[result.status] = (counts[result.status] ?? 0) + 1;
  if (!/tenants scanned in/.test(outcome.stdout)) throw new Error('the CLI printed no summary');
  return { scanMs: wallMs, processMs, counts };
}

/** The baseline: per tenant, the tables, then per table its columns, indexes and constraints, then the sequences. */
async function naiveScan(url: (database: string) => string, databases: string[]): Promise<number> {
  const started = Date.now();
  await closedLoop(databases, CONCURRENCY, async (database) => {
    const client = new Client({ connectionString: url(database) });
    await client.connect();
    try {
      const { rows: tables } = await client.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
      for (const { table_name: table } of tables) {
        await client.query(
          `SELECT column_name, data_type, character_maximum_length, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
          [table],
        );
        await client.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1`, [table]);
        await client.query(`SELECT constraint_name, constraint_type FROM information_schema.table_constraints WHERE table_schema = 'public' AND table_name = $1`, [
          table,
        ]);
      }
      await client.query(`SELECT sequence_name, data_type, start_value, increment FROM information_schema.sequences WHERE sequence_schema = 'public'`);
    } finally {
      await client.end();
    }
  });
  return Date.now() - started;
}

async function main(): Promise<void> {
  const env = createTestEnv({ LOG_LEVEL: 'warn' });
  try {
    process.stdout.write(`bench:drift: ${TENANTS} tenants on ${machine()}; concurrency ${CONCURRENCY}, ${RUNS} runs each; ${uptime()}\n`);
    const provisioned = Date.now();
    let index = 0;
    const fleet = await createFleet(env, TENANTS, {
      schemaVersion: CURRENT_TENANT_SCHEMA_VERSION,
      codePrefix: 'd',
      prepare: async (target) => {
        if (index++ % DRIFT_EVERY === 0) await env.sql('DROP INDEX orders_created_at', [], target.databaseName);
      },
    });
    process.stdout.write(`fleet of ${fleet.length} tenant databases cloned from the template in ${fmt((Date.now() - provisioned) / 1000)} s; ${uptime()}\n\n`);
    const databases = fleet.map((tenant) => tenant.target.databaseName);
    const scans: number[] = [];
    const processes: number[] = [];
    const naive: number[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      const scan = await cliScan(env.rawEnv, `${env.label}-${i}`);
      scans.push(scan.scanMs);
      processes.push(scan.processMs);
      const expectedDrifted = Math.ceil(TENANTS / DRIFT_EVERY);
      if (scan.counts.drifted !== expectedDrifted || scan.counts.in_sync !== TENANTS - expectedDrifted) {
        throw new Error(`scan ${i} found ${JSON.stringify(scan.counts)}, expected ${expectedDrifted} drifted and the rest in sync`);
      }
      naive.push(await naiveScan((database) => env.databaseUrl(database), databases));
      process.stdout.write(
        `run ${i + 1}: npm run drift scan ${fmt(scan.scanMs / 1000, 2)} s (process start to exit ${fmt(scan.processMs / 1000, 2)} s; ` +
          `${scan.counts.in_sync} in sync, ${scan.counts.drifted} drifted); naive per-object scan ${fmt(naive[i] / 1000, 2)} s; ${uptime()}\n`,
      );
    }
    process.stdout.write(
      `\nmedian of ${RUNS}: drift scan ${fmt(median(scans) / 1000, 2)} s for ${TENANTS} tenants (${fmt(TENANTS / (median(scans) / 1000), 0)} tenants/s; ` +
        `whole process ${fmt(median(processes) / 1000, 2)} s, target <= 15 s); naive ${fmt(median(naive) / 1000, 2)} s; ` +
        `${fmt(median(naive) / median(scans), 2)}x faster than the baseline\n`,
    );
  } finally {
    await env.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:drift failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
