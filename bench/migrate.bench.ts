import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CURRENT_TENANT_SCHEMA_VERSION, TENANT_MIGRATIONS } from '@tenantry/tenant-schema';
import { childProcessEnv, createTestEnv, type TestEnv } from '@tenantry/common/testing';
import { machine } from './bench-support';
import { createFleet } from './fleet';

// Fleet migrations, through the real runner CLI, against tenant databases on the local PostgreSQL.
const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const SMALL = Number(process.env.BENCH_SMALL ?? 100);
const LARGE = Number(process.env.BENCH_LARGE ?? 1000);
const LAST = TENANT_MIGRATIONS[TENANT_MIGRATIONS.length - 1].name;
const PREVIOUS = TENANT_MIGRATIONS[TENANT_MIGRATIONS.length - 2].name;

async function fleetOf(size: number): Promise<{ env: TestEnv; databases: string[] }> {
  const env = createTestEnv({ LOG_LEVEL: 'warn' });
  const tenants = await createFleet(env, size, {
    schemaVersion: PREVIOUS,
    // One release behind: the last tenant migration is not applied yet.
    prepare: async (target) => {
      await env.sql(`DROP TABLE order_lines`, [], target.databaseName);
      await env.sql(`DELETE FROM tenant_migrations WHERE name = $1`, [LAST], target.databaseName);
    },
  });
  return { env, databases: tenants.map((tenant) => tenant.target.databaseName) };
}

async function runner(env: TestEnv, ...args: string[]): Promise<{ ms: number; summary: string }> {
  const started = Date.now();
  const { stdout } = await run(process.execPath, [join(root, 'dist/apps/migration-runner/src/main.js'), '--report', `/tmp/bench-migrate-${env.label}.json`, ...args], {
    env: childProcessEnv(env.rawEnv),
    maxBuffer: 64 * 1024 * 1024,
  });
  return { ms: Date.now() - started, summary: /^\d+ tenants in .*$/m.exec(stdout)?.[0] ?? '?' };
}

async function naiveLoop(databases: string[]): Promise<number> {
  const started = Date.now();
  for (const database of databases) {
    await run(process.execPath, [join(root, 'node_modules/typeorm/cli.js'), 'migration:run', '-d', join(root, 'dist-bench/bench/naive-data-source.js')], {
      env: childProcessEnv({ BENCH_TENANT_URL: `postgres://postgres@127.0.0.1:5432/${database}` }),
    });
  }
  return Date.now() - started;
}

const perSecond = (tenants: number, ms: number) => ((tenants / ms) * 1000).toFixed(1);

async function main(): Promise<void> {
  process.stdout.write(
    `bench:migrate: one pending expand migration (${LAST}: a table and an index) per tenant, applied by the built runner CLI; ` +
      `baseline: the TypeORM migration CLI run once per tenant in a sequential loop\nmachine: ${machine()}, target ${CURRENT_TENANT_SCHEMA_VERSION}\n\n`,
  );
  const small = await fleetOf(SMALL);
  const smallCopy = await fleetOf(SMALL);
  try {
    process.stdout.write(`(a) ${SMALL} tenants\n`);
    const naiveMs = await naiveLoop(smallCopy.databases);
    process.stdout.write(`  naive loop (typeorm migration:run per tenant): ${(naiveMs / 1000).toFixed(1)} s, ${perSecond(SMALL, naiveMs)} tenants/s\n`);
    const fleet = await runner(small.env, '--concurrency', '8');
    process.stdout.write(`  runner --concurrency 8: ${(fleet.ms / 1000).toFixed(1)} s, ${perSecond(SMALL, fleet.ms)} tenants/s (${fleet.summary})\n`);
    process.stdout.write(`  ratio naive/runner: ${(naiveMs / fleet.ms).toFixed(1)}x (reach: at least 5x: ${naiveMs / fleet.ms >= 5 ? 'met' : 'MISSED'})\n\n`);
  } finally {
    await small.env.cleanup();
    await smallCopy.env.cleanup();
  }
  const large = await fleetOf(LARGE);
  try {
    process.stdout.write(`(b) ${LARGE} tenants, runner alone\n`);
    const first = await runner(large.env, '--concurrency', '8');
    process.stdout.write(`  first run: ${(first.ms / 1000).toFixed(1)} s, ${perSecond(LARGE, first.ms)} tenants/s (${first.summary}); reach < 60 s: ${first.ms < 60_000 ? 'met' : 'MISSED'}\n`);
    const again = await runner(large.env, '--concurrency', '8');
    process.stdout.write(`  re-run, nothing to apply: ${(again.ms / 1000).toFixed(1)} s (${again.summary}); reach < 5 s: ${again.ms < 5000 ? 'met' : 'MISSED'}\n`);
  } finally {
    process.stdout.write(`  cleaning up ${LARGE} tenant databases...\n`);
    await large.env.cleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
