import 'reflect-metadata';
import { type DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { redisSettings, surviveConnectionErrors } from '@tenantry/common';
import { createTestEnv, type TestEnv } from '@tenantry/common/testing';
import { LocalIssuer } from '@tenantry/dev-issuer';
import { TenancyModule, tenancySettings, TenantResolver } from '@tenantry/tenancy';
import { tenantCacheKeys } from '@tenantry/tenant-cache';
import autocannon from 'autocannon';
import Redis from 'ioredis';
import { ClsModule } from 'nestjs-cls';
import { Client, Pool } from 'pg';
import { fmt, line, machine, median, ordersQueryTps, percentile, startApp, timed, type Proc } from './bench-support';
import { createOrdersFleet, type FleetTenant } from './fleet';
import { replicaComparison } from './replicas';

// bench:resolve. (1) The resolver alone, in this process: an in-process hit, a Redis hit, a cold
// resolve, each against the bare operation underneath it. (2) HTTP: autocannon against the sample
// service's GET /orders routed over many tenants with a connection cap, against the same endpoint
// bound to one fixed DataSource, interleaved in one run.
const TENANTS = Number(process.env.BENCH_TENANTS ?? 1000);
const WARM_TENANTS = Number(process.env.BENCH_WARM_TENANTS ?? 40);
const CAP = Number(process.env.BENCH_CAP ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const HTTP_CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 50);
const ORDERS_PER_TENANT = 5;
// Which parts run (comma-separated): resolver (1), http (2 and pgbench), replicas (3, on a cluster of its own).
const PARTS = (process.env.BENCH_PARTS ?? 'resolver,http,replicas').split(',');

@Module({})
class ResolverBenchModule {}

async function resolverAlone(env: TestEnv, tenants: FleetTenant[]): Promise<void> {
  process.stdout.write(`\n(1) resolver alone (in this process; tenancy as a business service configures it: local TTL 5 s, Redis TTL 300 s)\n`);
  const app = await NestFactory.createApplicationContext(
    { module: ResolverBenchModule, imports: [ClsModule.forRoot({ global: true }), TenancyModule.forRoot(env.settings(tenancySettings))] } as DynamicModule,
    { logger: false },
  );
  const resolver = app.get(TenantResolver);
  const redis = new Redis(env.settings(redisSettings).url, { keyPrefix: env.settings(redisSettings).keyPrefix });
  const registry = new Pool({ connectionString: env.databaseUrl(env.adminDatabase), max: 1 });
  surviveConnectionErrors(registry, 'bench registry pool');
  try {
    const ids = tenants.map((tenant) => tenant.id);
    for (const id of ids) await resolver.resolveActive(id);
    const hot = ids.slice(0, 100);
    await timed(
      20_000,
      () => undefined,
      (i) => resolver.resolveActive(hot[i % hot.length]),
    );
    const local = await timed(
      200_000,
      () => undefined,
      (i) => resolver.resolveActive(hot[i % hot.length]),
    );
    const rawGet = await timed(
      20_000,
      () => undefined,
      (i) => redis.get(tenantCacheKeys.entry('connection', ids[i % ids.length])),
    );
    const redisHit = await timed(
      20_000,
      (i) => resolver.invalidate(ids[i % ids.length]),
      (i) => resolver.resolveActive(ids[i % ids.length]),
    );
    const rawQuery = await timed(
      2_000,
      () => undefined,
      (i) =>
        registry.query(
          `SELECT t.id, t.code, t.status, d.engine, d.host, d.port, d.database_name, d.login_name, d.secret, d.schema_version
           FROM tenants t LEFT JOIN tenant_databases d ON d.tenant_id = t.id AND d.secret IS NOT NULL WHERE t.id = $1`,
          [ids[i % ids.length]],
        ),
    );
    const cold = await timed(
      2_000,
      async (i) => {
        resolver.invalidate(ids[i % ids.length]);
        await redis.del(tenantCacheKeys.entry('connection', ids[i % ids.length]));
      },
      (i) => resolver.resolveActive(ids[i % ids.length]),
    );
    process.stdout.write(line('baseline: Redis GET of the entry (ioredis)', rawGet));
    process.stdout.write(line('baseline: the registry query (pg)', rawQuery));
    process.stdout.write(line('in-process hit', local, rawGet));
    process.stdout.write(line('Redis hit (MGET entry + generation, parse)', redisHit, rawGet));
    process.stdout.write(line('cold (Redis miss, registry, cache write)', cold, rawQuery));
    const localP99 = percentile(local, 99);
    const redisP99 = percentile(redisHit, 99);
    process.stdout.write(`  reach: in-process hit p99 < 20 µs: ${localP99 < 20 ? 'met' : 'MISSED'} (${fmt(localP99)} µs); `);
    process.stdout.write(`Redis hit p99 < 1 ms: ${redisP99 < 1000 ? 'met' : 'MISSED'} (${fmt(redisP99)} µs)\n`);
  } finally {
    redis.disconnect();
    await registry.end();
    await app.close();
  }
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** What the errors were: connection errors, timeouts, and each non-2xx status with one of its bodies. */
  errorKinds: string[];
  peakConnections?: number;
  opened?: number;
}

/** Sums PostgreSQL's own count of sessions ever opened on the fleet's databases. */
async function sessionsOpened(monitor: Client, env: TestEnv): Promise<number> {
  const { rows } = await monitor.query<{ n: string }>(`SELECT coalesce(sum(sessions), 0) AS n FROM pg_stat_database WHERE datname LIKE $1`, [
    `tenant\\_%\\_${env.label}`,
  ]);
  return Number(rows[0].n);
}

async function load(url: string, tokens: string[], seconds: number, monitor?: { client: Client; env: TestEnv; login: string }): Promise<Run> {
  let next = 0;
  let peak = 0;
  let sampling = true;
  const sampler = monitor
    ? (async () => {
        while (sampling) {
          const { rows } = await monitor.client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename LIKE $1`, [monitor.login]);
          peak = Math.max(peak, rows[0].n);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })()
    : undefined;
  const before = monitor ? await sessionsOpened(monitor.client, monitor.env) : 0;
  const failures = new Map<number, string>();
  const result = await autocannon({
    url,
    connections: HTTP_CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        path: '/orders',
        setupRequest: (request) => ({ ...request, headers: { ...request.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` } }),
        onResponse: (status, body) => {
          if (status >= 300 && !failures.has(status)) failures.set(status, body.slice(0, 200));
        },
      },
    ],
  });
  sampling = false;
  await sampler;
  const after = monitor ? await sessionsOpened(monitor.client, monitor.env) : 0;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    errorKinds: [
      ...(result.errors > 0 ? [`${result.errors} connection errors (${result.timeouts} of them timeouts)`] : []),
      ...[...failures].map(([status, body]) => `HTTP ${status}: ${body}`),
    ],
    peakConnections: monitor ? peak : undefined,
    opened: monitor ? (after - before) / seconds : undefined,
  };
}

async function http(env: TestEnv, issuer: LocalIssuer, tenants: FleetTenant[]): Promise<void> {
  process.stdout.write(
    `\n(2) HTTP: autocannon, ${HTTP_CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} rounds interleaved; GET /orders (${ORDERS_PER_TENANT} orders of 2 lines each per tenant)\n` +
      `    routed: the built sample service, TENANT_MAX_CONNECTIONS=${CAP}, TENANT_POOL_SIZE=5, tokens round-robin over the tenants\n` +
      `    fixed:  the same controller, service, token verification and guards bound to one DataSource (max ${CAP} connections)\n` +
      `    one app runs at a time, started fresh and warmed each round: two apps of ${CAP} connections each would not fit PostgreSQL's max_connections\n`,
  );
  // Routed direct, as before issue 15: part (3) compares the routes.
  const appEnv = {
    ...env.rawEnv,
    LOG_LEVEL: 'warn',
    BUSINESS_API_PORT: '0',
    TENANCY_PG_ROUTE: 'direct',
    TENANT_MAX_CONNECTIONS: String(CAP),
    TENANT_MAX_POOLS: String(Math.max(1000, TENANTS)),
  };
  const monitor = new Client({ connectionString: env.databaseUrl('postgres') });
  surviveConnectionErrors(monitor, 'bench monitor session');
  await monitor.connect();
  const errorLines: string[] = [];
  /** Runs `work` against a freshly started app, then stops it, keeping the errors it logged. */
  const withApp = async <T>(entry: string, extraEnv: Record<string, string>, work: (url: string) => Promise<T>): Promise<T> => {
    const app: Proc = await startApp(entry, { ...appEnv, ...extraEnv }, /listening on (http:\/\/\S+)/);
    try {
      return await work((await app.ready)[1]);
    } finally {
      await app.stop();
      errorLines.push(
        ...app
          .output()
          .split('\n')
          .filter((entry) => entry.includes('"level":50')),
      );
    }
  };
  try {
    const tokens = await Promise.all(tenants.map((tenant) => issuer.mint({ sub: `bench-${tenant.code}`, tenantId: tenant.id }, { expiresInSeconds: 3600 })));
    const warmTokens = tokens.slice(0, WARM_TENANTS);
    const login = `tenant\\_%\\_${env.label}\\_app`;
    const results: Record<'fixed' | 'routed' | 'warm', Run[]> = { fixed: [], routed: [], warm: [] };
    for (let round = 1; round <= ROUNDS; round += 1) {
      results.fixed.push(
        await withApp('dist-bench/bench/fixed-orders-app.js', { BENCH_FIXED_DATABASE: tenants[0].target.databaseName }, async (url) => {
          await load(url, tokens.slice(0, 1), 3);
          return load(url, tokens.slice(0, 1), SECONDS);
        }),
      );
      const [routed, warm] = await withApp('dist/apps/sample-business-api/src/main.js', {}, async (url) => {
        // Warm-up: every tenant resolved and its DataSource opened once, as in a service that has run a while.
        await load(url, tokens, Math.max(5, Math.ceil(TENANTS / 150)));
        return [await load(url, tokens, SECONDS, { client: monitor, env, login }), await load(url, warmTokens, SECONDS, { client: monitor, env, login })];
      });
      results.routed.push(routed);
      results.warm.push(warm);
      const [f, r, w] = [results.fixed.at(-1)!, routed, warm];
      process.stdout.write(
        `    round ${round}: fixed ${fmt(f.rps, 0)} req/s, routed over ${TENANTS} ${fmt(r.rps, 0)} req/s, routed over ${WARM_TENANTS} ${fmt(w.rps, 0)} req/s\n`,
      );
    }
    const row = (label: string, runs: Run[], baseline: number) => {
      const rps = median(runs.map((r) => r.rps));
      const extra =
        runs[0].peakConnections === undefined
          ? ''
          : `  peak PG connections ${Math.max(...runs.map((r) => r.peakConnections ?? 0))}, ${fmt(median(runs.map((r) => r.opened ?? 0)), 0)} connections opened/s`;
      return `  ${label.padEnd(34)} ${fmt(rps, 0).padStart(6)} req/s  p50 ${fmt(median(runs.map((r) => r.p50)), 0).padStart(3)} ms  p99 ${fmt(median(runs.map((r) => r.p99)), 0).padStart(4)} ms  errors ${runs.reduce((sum, r) => sum + r.errors, 0)}  ${fmt((rps / baseline) * 100, 1)}% of fixed${extra}\n`;
    };
    const fixedRps = median(results.fixed.map((r) => r.rps));
    process.stdout.write('\n  medians of the rounds:\n');
    process.stdout.write(row('fixed DataSource (baseline)', results.fixed, fixedRps));
    process.stdout.write(row(`routed, ${TENANTS} tenants round-robin`, results.routed, fixedRps));
    process.stdout.write(row(`routed, ${WARM_TENANTS} tenants round-robin`, results.warm, fixedRps));
    const kinds = [
      ...new Set(
        Object.values(results)
          .flat()
          .flatMap((run) => run.errorKinds),
      ),
    ];
    if (kinds.length > 0) process.stdout.write(`  errors seen: ${kinds.join('; ')}\n`);
    for (const entry of errorLines.slice(0, 3)) process.stdout.write(`    logged: ${entry.slice(0, 600)}\n`);
    const ratio = median(results.routed.map((r) => r.rps)) / fixedRps;
    const errors = Object.values(results)
      .flat()
      .reduce((sum, r) => sum + r.errors, 0);
    process.stdout.write(
      `  reach: routed over ${TENANTS} >= 90% of fixed: ${ratio >= 0.9 ? 'met' : 'MISSED'} (${fmt(ratio * 100, 1)}%); zero errors: ${errors === 0 ? 'met' : 'MISSED'} (${errors})\n`,
    );
  } finally {
    await monitor.end();
  }
}

/**
 * What PostgreSQL itself manages here when every transaction needs a connection of its own (pgbench
 * -C), against the same query on a kept connection: the ceiling for a tenant-routed service whose
 * tenants outnumber its connections.
 */
async function connectionCeiling(env: TestEnv, database: string): Promise<void> {
  try {
    const { kept, fresh } = await ordersQueryTps(env.databaseUrl('postgres'), database, CAP);
    process.stdout.write(
      `\n(PostgreSQL alone, pgbench, ${CAP} clients, the orders query) kept connections ${fmt(kept, 0)} tps; a new connection per transaction ${fmt(fresh, 0)} tps (${fmt((fresh / kept) * 100, 1)}%)\n`,
    );
  } catch (error) {
    process.stdout.write(`\n(pgbench not run: ${error instanceof Error ? error.message.split('\n')[0] : String(error)})\n`);
  }
}

async function main(): Promise<void> {
  process.stdout.write(`bench:resolve on ${machine()}; PostgreSQL and Redis on loopback, shared with the load generator\n`);
  const issuer = await LocalIssuer.start({ port: 0 });
  const env = createTestEnv({ LOG_LEVEL: 'warn', AUTH_ISSUER: issuer.issuer });
  try {
    if (PARTS.includes('resolver') || PARTS.includes('http')) {
      process.stdout.write(`setting up ${TENANTS} tenants (database cloned from a template with ${ORDERS_PER_TENANT} orders, own login, protected secret)\n`);
      const tenants = await createOrdersFleet(env, TENANTS, ORDERS_PER_TENANT, { codePrefix: 'r' });
      if (PARTS.includes('resolver')) await resolverAlone(env, tenants);
      if (PARTS.includes('http')) {
        await connectionCeiling(env, tenants[0].target.databaseName);
        await http(env, issuer, tenants);
      }
    }
    if (PARTS.includes('replicas')) await replicaComparison(issuer, ORDERS_PER_TENANT);
  } finally {
    process.stdout.write(`\ncleaning up ${TENANTS} tenant databases...\n`);
    await env.cleanup();
    await issuer.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
