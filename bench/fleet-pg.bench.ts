import { childProcessEnv, createTestEnv, startThrowawayPostgres, type ThrowawayPostgres } from '@tenantry/common/testing';
import { LocalIssuer } from '@tenantry/dev-issuer';
import { adminDatabaseSettings, migrateRegistry } from '@tenantry/registry';
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { closedLoop, machine, startApp, until, type Proc } from './bench-support';

// PostgreSQL across servers: TENANTS tenants provisioned through the built admin API, queue and
// worker, then one tenant migration applied by the built migration runner, on one server and on
// three, in the same run. Every server is a throwaway cluster of this bench's own (same settings),
// registered with PUT /servers; the registry stays on DATABASE_URL's server.
const TENANTS = Number(process.env.BENCH_TENANTS ?? 300);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const WORKER_CONCURRENCY = Number(process.env.BENCH_WORKER_CONCURRENCY ?? 8);
const RUN_CONCURRENCY = Number(process.env.BENCH_RUN_CONCURRENCY ?? 12);
const SERVER_CONCURRENCY = Number(process.env.BENCH_SERVER_CONCURRENCY ?? 4);
const run = promisify(execFile);
const runner = join(__dirname, '..', '..', 'dist', 'apps', 'migration-runner', 'src', 'main.js');

interface FleetResult {
  servers: number;
  provisionMs: number;
  migrateMs: number;
  summary: string;
  spread: string;
}

async function fleet(servers: ThrowawayPostgres[]): Promise<FleetResult> {
  const issuer = await LocalIssuer.start({ port: 0 });
  const env = createTestEnv({
    AUTH_ISSUER: issuer.issuer,
    LOG_LEVEL: 'warn',
    ADMIN_API_PORT: '0',
    TENANT_PG_POOL_REGISTER: 'false',
    WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
    MIGRATION_SERVER_CONCURRENCY: String(SERVER_CONCURRENCY),
  });
  const procs: Proc[] = [];
  try {
    await migrateRegistry(env.settings(adminDatabaseSettings));
    const api = await startApp('dist/apps/admin-api/src/main.js', env.rawEnv, /admin-api listening on (http:\/\/\S+) /);
    procs.push(api);
    const [, base] = await api.ready;
    const token = await issuer.mint({ sub: 'bench', roles: ['platform-admin'] }, { expiresInSeconds: 3600 });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const put = async (path: string, body: unknown) => {
      const answer = await fetch(`${base}${path}`, { method: 'PUT', headers, body: JSON.stringify(body) });
      if (answer.status !== 200) throw new Error(`PUT ${path}: ${answer.status} ${await answer.text()}`);
    };
    const perServer = Math.ceil(TENANTS / servers.length) + 10;
    for (const [i, server] of servers.entries()) {
      await put(`/servers/bench-${i}`, {
        engine: 'postgres',
        host: '127.0.0.1',
        port: server.port,
        region: 'local',
        maxDatabases: perServer,
        login: 'postgres',
        password: 'trust',
      });
      await put(`/pools/bench-${i}`, { engine: 'postgres', server: `bench-${i}`, maxDatabases: perServer });
    }
    // Started once the servers are registered, so it builds each server's template before the clock starts.
    procs.push(await startApp('dist/apps/provisioning-worker/src/main.js', env.rawEnv, /consuming tenant-operations/));
    const template = `tenantry\\_tpl\\_${env.label}\\_%`;
    for (const server of servers) {
      await until(async () => (await server.sql(`SELECT 1 FROM pg_database WHERE datistemplate AND datname LIKE $1`, [template])).length === 1, 'the template', 300_000);
    }
    const active = async () => (await env.sql<{ n: number }>(`SELECT count(*)::int AS n FROM tenants WHERE status = 'active'`, [], env.adminDatabase))[0].n;
    const started = performance.now();
    await closedLoop(
      Array.from({ length: TENANTS }, (_, i) => `fleet_${i}`),
      CLIENTS,
      async (code) => {
        const created = await fetch(`${base}/tenants`, { method: 'POST', headers, body: JSON.stringify({ code, name: code }) });
        if (created.status !== 202) throw new Error(`POST /tenants ${code}: ${created.status} ${await created.text()}`);
      },
    );
    await until(
      async () => {
        const [{ n }] = await env.sql<{ n: number }>(`SELECT count(*)::int AS n FROM tenants WHERE status = 'failed'`, [], env.adminDatabase);
        if (n > 0) throw new Error(`${n} tenants failed to provision`);
        return (await active()) === TENANTS;
      },
      'every tenant active',
      1_800_000,
    );
    const provisionMs = performance.now() - started;
    const spread = (
      await env.sql<{ port: number; n: number }>(`SELECT port, count(*)::int AS n FROM tenant_databases GROUP BY port ORDER BY port`, [], env.adminDatabase)
    )
      .map(({ n }) => String(n))
      .join('/');

    // One migration pending everywhere: each tenant's last migration undone, as a release that adds it would find it.
    const placed = await env.sql<{ port: number; database_name: string }>(`SELECT port, database_name FROM tenant_databases`, [], env.adminDatabase);
    await closedLoop(placed, 8, async ({ port, database_name: database }) => {
      const server = servers.find((candidate) => candidate.port === port)!;
      await server.sql(`DROP TABLE order_lines`, [], database);
      await server.sql(`DELETE FROM tenant_migrations WHERE name LIKE 'CreateOrderLines%'`, [], database);
    });
    await env.sql(`UPDATE tenant_databases SET schema_version = 'CreateOrders1764000001000'`, [], env.adminDatabase);
    const migrating = performance.now();
    const { stdout } = await run(process.execPath, [runner, '--concurrency', String(RUN_CONCURRENCY)], {
      env: childProcessEnv(env.rawEnv),
      maxBuffer: 64 * 1024 * 1024,
    });
    const migrateMs = performance.now() - migrating;
    const summary = /\d+ tenants in [\d.]+ s: [^\n]*/.exec(stdout)?.[0] ?? '(no summary line)';
    return { servers: servers.length, provisionMs, migrateMs, summary, spread };
  } finally {
    for (const proc of procs.reverse()) await proc.stop();
    await issuer.stop();
    await env.cleanup();
  }
}

async function main(): Promise<void> {
  process.stdout.write(
    `bench:fleet-pg: ${TENANTS} tenants provisioned (built admin API, queue, 1 worker x concurrency ${WORKER_CONCURRENCY}, ${CLIENTS} clients posting) ` +
      `and one migration applied (built migration runner, --concurrency ${RUN_CONCURRENCY}, MIGRATION_SERVER_CONCURRENCY ${SERVER_CONCURRENCY}), ` +
      `on 1 server (baseline) then on 3, each a throwaway PostgreSQL cluster on this machine (fsync off); the registry on DATABASE_URL's server\n` +
      `machine: ${machine()}; load average before: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n\n`,
  );
  const clusters = await Promise.all([
    startThrowawayPostgres({ maxConnections: 200 }),
    startThrowawayPostgres({ maxConnections: 200 }),
    startThrowawayPostgres({ maxConnections: 200 }),
  ]);
  try {
    const results: FleetResult[] = [];
    for (const width of [1, 3]) {
      const result = await fleet(clusters.slice(0, width));
      results.push(result);
      process.stdout.write(
        `${width} server${width === 1 ? ' ' : 's'}: provisioning ${(result.provisionMs / 1000).toFixed(1)} s wall, ${((TENANTS / result.provisionMs) * 1000).toFixed(1)} tenants/s (tenants per server ${result.spread}); ` +
          `migration ${(result.migrateMs / 1000).toFixed(1)} s wall, ${((TENANTS / result.migrateMs) * 1000).toFixed(1)} tenants/s (${result.summary})\n`,
      );
    }
    const [one, three] = results;
    process.stdout.write(
      `\n3 servers against 1, same run: provisioning ${(one.provisionMs / three.provisionMs).toFixed(2)}x the throughput, migration ${(one.migrateMs / three.migrateMs).toFixed(2)}x\n` +
        `load average after: ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}\n`,
    );
  } finally {
    await Promise.all(clusters.map((cluster) => cluster.cleanup()));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
