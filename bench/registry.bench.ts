import { createTestEnv, type TestEnv } from '@tenantry/common/testing';
import { LocalIssuer } from '@tenantry/dev-issuer';
import { adminDatabaseSettings, migrateRegistry, registryDataSourceOptions, registrySettings, RegistryUnitOfWork, reserveSlot } from '@tenantry/registry';
import { loadavg } from 'node:os';
import { DataSource } from 'typeorm';
import { closedLoop, machine, median, percentile, startApp, type Proc } from './bench-support';

// The registry at fleet size, measured through the built admin API over HTTP (no worker): 10,000
// tenants seeded by SQL, spread over POOLS pools on SERVERS servers, then admissions (POST /tenants,
// automatic placement), filtered tenant pages and /metrics. The same fleet over 10 pools is the
// baseline, measured in the same run: an admission should cost the same with 10 pools or 1,000.
const TENANTS = Number(process.env.BENCH_TENANTS ?? 10_000);
const SERVERS = 10;
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 300);
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 1_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const PAGES = Number(process.env.BENCH_PAGES ?? 300);
const METRICS = Number(process.env.BENCH_METRICS ?? 100);
const ROUNDS = 5;
const TARGETS = { admission: 20, page: 50, metrics: 100 };

interface FleetResult {
  pools: number;
  /** The admission's registry work alone (tenant row and slot, one transaction), without HTTP, auth or the queue. */
  registryOnly: number[];
  sequential: number[];
  concurrent: number[];
  concurrentWallMs: number;
  pages: number[];
  metrics: number[];
  refused: number;
}

/** TENANTS tenants (one in ten suspended), each placed on one of `pools` pools of SERVERS servers: rows as the API and worker leave them. */
async function seed(env: TestEnv, pools: number): Promise<void> {
  const sql = (text: string, params: unknown[] = []) => env.sql(text, params, env.adminDatabase);
  const perPool = Math.ceil(TENANTS / pools);
  // Each pool half full, so there is room for what is admitted; each server's limit is what its pools hold.
  const poolCapacity = perPool * 2;
  const serverCapacity = (pools / SERVERS) * poolCapacity;
  await sql(
    `INSERT INTO database_servers (name, engine, host, port, region, max_databases, credential_kind)
     SELECT 'server-' || i, 'postgres', 'pg-' || i || '.internal', 5432, 'local', $1, 'configured' FROM generate_series(0, $2 - 1) i`,
    [serverCapacity, SERVERS],
  );
  await sql(
    `INSERT INTO database_pools (name, server_id, engine, host, port, max_databases, used_slots)
     SELECT 'pool-' || i, s.id, 'postgres', s.host, 5432, $1, 0 FROM generate_series(0, $2 - 1) i JOIN database_servers s ON s.name = 'server-' || (i % $3)`,
    [poolCapacity, pools, SERVERS],
  );
  await sql(
    `INSERT INTO tenants (code, name, plan, region, status, slot_pool_id, created_at)
     SELECT 'seed_' || i, 'Seeded ' || i, 'standard', 'local', CASE WHEN i % 10 = 0 THEN 'suspended' ELSE 'active' END,
            (SELECT id FROM database_pools WHERE name = 'pool-' || (i % $2)), now() - make_interval(secs => $1 - i)
       FROM generate_series(0, $1 - 1) i`,
    [TENANTS, pools],
  );
  await sql(
    `INSERT INTO tenant_databases (tenant_id, pool_id, engine, host, port, database_name, login_name, secret, schema_version)
     SELECT t.id, p.id, 'postgres', p.host, 5432, 'tenant_' || t.code, 'tenant_' || t.code || '_app', 'v1:k1:seeded', 'CreateOrderLines1764000002000'
       FROM tenants t JOIN database_pools p ON p.id = t.slot_pool_id`,
  );
  await sql(`INSERT INTO operations (tenant_id, kind, status, requested_by, finished_at) SELECT id, 'provision', 'succeeded', 'bench', now() FROM tenants`);
  await sql(`UPDATE database_pools p SET used_slots = n FROM (SELECT slot_pool_id, count(*)::int AS n FROM tenants GROUP BY slot_pool_id) c WHERE c.slot_pool_id = p.id`);
  await sql('ANALYZE');
}

async function timedGet(url: string, headers: Record<string, string>): Promise<number> {
  const started = performance.now();
  const answer = await fetch(url, { headers });
  await answer.arrayBuffer();
  if (answer.status !== 200) throw new Error(`GET ${url}: ${answer.status}`);
  return performance.now() - started;
}

interface Fleet {
  pools: number;
  env: TestEnv;
  api: Proc;
  registry: RegistryUnitOfWork;
  dataSource: DataSource;
  base: string;
  headers: Record<string, string>;
  admitted: number;
  refused: number;
}

async function startFleet(issuer: LocalIssuer, pools: number): Promise<Fleet> {
  const env = createTestEnv({ AUTH_ISSUER: issuer.issuer, LOG_LEVEL: 'warn', ADMIN_API_PORT: '0', TENANT_PG_POOL_REGISTER: 'false' });
  await migrateRegistry(env.settings(adminDatabaseSettings));
  await seed(env, pools);
  const api = await startApp('dist/apps/admin-api/src/main.js', env.rawEnv, /admin-api listening on (http:\/\/\S+) /);
  const [, base] = await api.ready;
  const token = await issuer.mint({ sub: 'bench', roles: ['platform-admin'] }, { expiresInSeconds: 3600 });
  const dataSource = await new DataSource(registryDataSourceOptions(env.settings(registrySettings))).initialize();
  return {
    pools,
    env,
    api,
    registry: new RegistryUnitOfWork(dataSource),
    dataSource,
    base,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    admitted: 0,
    refused: 0,
  };
}

async function admit(fleet: Fleet): Promise<number> {
  const code = `bench_${fleet.admitted++}`;
  const started = performance.now();
  const answer = await fetch(`${fleet.base}/tenants`, { method: 'POST', headers: fleet.headers, body: JSON.stringify({ code, name: code }) });
  await answer.arrayBuffer();
  if (answer.status !== 202) fleet.refused += 1;
  return performance.now() - started;
}

/** One round of every measurement on one fleet; the caller alternates fleets round by round, so load that drifts falls on both. */
async function round(fleet: Fleet, result: FleetResult, rounds: number): Promise<void> {
  for (let i = 0; i < SEQUENTIAL / rounds; i += 1) {
    const code = `direct_${fleet.admitted++}`;
    const started = performance.now();
    await fleet.registry.transaction(async (r) => {
      const tenant = await r.tenants.insert({ code, name: code, plan: 'standard', region: 'local' });
      await reserveSlot(r, tenant.id, { engines: ['postgres'], region: 'local', lockTimeoutMs: 1_000 });
    });
    result.registryOnly.push(performance.now() - started);
  }
  for (let i = 0; i < SEQUENTIAL / rounds; i += 1) result.sequential.push(await admit(fleet));
  const started = performance.now();
  const concurrent = await closedLoop(
    Array.from({ length: CONCURRENT / rounds }, () => fleet),
    CLIENTS,
    admit,
  );
  result.concurrentWallMs += performance.now() - started;
  result.concurrent.push(...concurrent);
  const suspendedPages = Math.max(1, Math.floor(TENANTS / 10 / 50));
  const activePages = Math.max(1, Math.floor((TENANTS * 9) / 10 / 50));
  for (let i = 0; i < PAGES / rounds; i += 1) {
    const [status, last] = i % 2 === 0 ? ['suspended', suspendedPages] : ['active', activePages];
    result.pages.push(await timedGet(`${fleet.base}/tenants?status=${status}&page=${1 + ((result.pages.length * 7919) % last)}&pageSize=50`, fleet.headers));
  }
  for (let i = 0; i < METRICS / rounds; i += 1) result.metrics.push(await timedGet(`${fleet.base}/metrics`, {}));
  result.refused = fleet.refused;
}

const ms = (value: number) => `${value.toFixed(1).padStart(7)} ms`;

function row(label: string, samples: number[], target?: number): string {
  const p99 = percentile(samples, 99);
  const verdict = target === undefined ? '' : p99 < target ? `  target p99 < ${target} ms: met` : `  target p99 < ${target} ms: MISSED`;
  return `  ${label.padEnd(44)} p50 ${ms(median(samples))}  p99 ${ms(p99)}  (n=${samples.length})${verdict}\n`;
}

async function main(): Promise<void> {
  const issuer = await LocalIssuer.start({ port: 0 });
  const probe = createTestEnv();
  const [pg] = await probe.sql<{ server_version: string }>('SHOW server_version');
  await probe.cleanup();
  process.stdout.write(
    `bench:registry: ${TENANTS} tenants seeded by SQL on ${SERVERS} servers, through the built admin API (no worker), the 10-pool and 1,000-pool fleets side by side, measured in ${ROUNDS} alternating rounds: ` +
      `${SEQUENTIAL} admissions one at a time, ${CONCURRENT} with ${CLIENTS} clients (closed loop), ${PAGES} filtered tenant pages (50 a page), ${METRICS} GET /metrics\n` +
      `machine: ${machine()}, PostgreSQL ${pg.server_version} on loopback; load average before: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n\n`,
  );
  const fleets: Fleet[] = [];
  try {
    for (const pools of [10, 1_000]) fleets.push(await startFleet(issuer, pools));
    const results: FleetResult[] = fleets.map(({ pools }) => ({
      pools,
      registryOnly: [],
      sequential: [],
      concurrent: [],
      concurrentWallMs: 0,
      pages: [],
      metrics: [],
      refused: 0,
    }));
    for (let i = 0; i < 10; i += 1) for (const fleet of fleets) await admit(fleet);
    for (let r = 0; r < ROUNDS; r += 1) for (const [i, fleet] of fleets.entries()) await round(fleet, results[i], ROUNDS);
    for (const result of results) {
      const { pools } = result;
      process.stdout.write(`${pools} pools (baseline: ${pools === 10 ? 'this' : '10 pools'}), ${result.refused} admissions refused\n`);
      process.stdout.write(row('admission, one client', result.sequential, TARGETS.admission));
      process.stdout.write(row('  its registry transaction alone (in-process)', result.registryOnly));
      process.stdout.write(
        row(`admission, ${CLIENTS} clients`, result.concurrent, TARGETS.admission).replace(
          '\n',
          `  ${((CONCURRENT / result.concurrentWallMs) * 1000).toFixed(0)} admissions/s\n`,
        ),
      );
      process.stdout.write(row('GET /tenants?status=...&page=... (filtered page)', result.pages, TARGETS.page));
      process.stdout.write(row('GET /metrics', result.metrics, TARGETS.metrics));
    }
    const [few, many] = results;
    process.stdout.write(
      `\n1,000 pools against 10, same run: registry transaction p50 ${(median(many.registryOnly) / median(few.registryOnly)).toFixed(2)}x, ` +
        `p99 ${(percentile(many.registryOnly, 99) / percentile(few.registryOnly, 99)).toFixed(2)}x; admission p50 ${(median(many.sequential) / median(few.sequential)).toFixed(2)}x, ` +
        `p99 ${(percentile(many.sequential, 99) / percentile(few.sequential, 99)).toFixed(2)}x (one client); ` +
        `${CLIENTS} clients p99 ${(percentile(many.concurrent, 99) / percentile(few.concurrent, 99)).toFixed(2)}x; ` +
        `page p99 ${(percentile(many.pages, 99) / percentile(few.pages, 99)).toFixed(2)}x; /metrics p99 ${(percentile(many.metrics, 99) / percentile(few.metrics, 99)).toFixed(2)}x\n` +
        `load average after: ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}\n`,
    );
  } finally {
    for (const fleet of fleets) {
      await fleet.dataSource.destroy();
      await fleet.api.stop();
      await fleet.env.cleanup();
    }
    await issuer.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
