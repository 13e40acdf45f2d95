import { surviveConnectionErrors } from '@tenantry/common';
import { createTestEnv, startThrowawayPgBouncer, startThrowawayPostgres, type ThrowawayPgBouncer, type ThrowawayPostgres } from '@tenantry/common/testing';
import type { LocalIssuer } from '@tenantry/dev-issuer';
import { PostgresEngine } from '@tenantry/engines';
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { fmt, median, ordersQueryTps, startApp, type Proc } from './bench-support';
import { cpuPerRequest, cpuSharesReadable, cpuSnapshot, postmasterPid, type CpuParts, type CpuSnapshot } from './cpu-shares';
import { createOrdersFleet, type FleetTenant } from './fleet';

// (3) of bench:resolve (issue 15): two business-service replicas loaded at once, against fixed,
// routed direct and routed through PgBouncer, on a PostgreSQL cluster of the bench's own whose
// max_connections is the budget every side gets.
const BUDGET = Number(process.env.BENCH_BUDGET ?? 1000);
const UNIFORM_TENANTS = Number(process.env.BENCH_UNIFORM_TENANTS ?? 1000);
const ZIPF_TENANTS = Number(process.env.BENCH_ZIPF_TENANTS ?? 2000);
const ZIPF_S = 1.1;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_REPLICA_ROUNDS ?? 2);
const WARM_PASSES = Number(process.env.BENCH_WARM_PASSES ?? 5);
const WARM_BACKENDS_PER_REQUEST = 0.02;
const PER_REPLICA_HTTP = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 50);
const FIXED_POOL = 50;
// The README's arithmetic with B = the budget: M x P <= B for the uniform run's M = 1,000 hot tenants
// gives P = 1, and server_idle_timeout must outlast one turn over them (1,000 requests: 10 s at
// 100 req/s) or each request starts a backend, yet close the Zipf tail's in time: Zipf(1.1) over
// 2,000 draws about 790 distinct tenants in 4,000 requests and 970 in 6,000 (10 s at 600 req/s).
// With the worker's budget keeper (BENCH_POOLER_KEEPER, on by default) the cap holds the budget, so
// the idle timeout can be long enough to keep every tenant the budget has room for warm.
const POOLER_POOL_SIZE = Number(process.env.BENCH_POOLER_POOL_SIZE ?? 1);
const POOLER_KEEPER = process.env.BENCH_POOLER_KEEPER !== '0';
const POOLER_IDLE_SECONDS = Number(process.env.BENCH_POOLER_IDLE_SECONDS ?? (POOLER_KEEPER ? 300 : 10));
const KEEPER_INTERVAL_MS = 250;
const LOOKUP_ROLE = 'tenantry_pooler_lookup';
// Above the budget: the registry readers (4 per replica), the monitor, pgbench's -C clients and superuser_reserved_connections.
const HEADROOM = 70;

type Route = 'fixed' | 'direct' | 'pooler';
type Shape = 'uniform' | 'zipf';

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  kinds: string[];
  /** Backends of tenant traffic (tenant logins, the pooler's lookup): what the budget bounds. */
  peak: number;
  /** Every client backend, the registry readers included. */
  peakAll: number;
  startedPerSecond: number;
  /** Where the machine's CPU went during the run, per request (Linux only). */
  cpu?: string;
}

/** Deterministic draws (mulberry32), so every side sees the same request sequence. */
function draws(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Tenant indexes in request order: round-robin over `n`, or Zipf(s) over `n` (rank 1 the hottest). */
function sequence(shape: Shape, n: number, length: number, seed = 15): number[] {
  if (shape === 'uniform') return Array.from({ length }, (_, i) => i % n);
  const weights = Array.from({ length: n }, (_, k) => 1 / (k + 1) ** ZIPF_S);
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let sum = 0;
  for (const weight of weights) cdf.push((sum += weight / total));
  const random = draws(seed);
  return Array.from({ length }, () => {
    const u = random();
    let [lo, hi] = [0, n - 1];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  });
}

/** Client backends on the server (of tenant traffic, and all but this one), and sessions ever started on it (pg_stat_database.sessions). */
async function serverCounts(monitor: Client): Promise<{ tenantBackends: number; backends: number; sessions: number }> {
  const { rows } = await monitor.query<{ tenant_backends: number; backends: number; sessions: string }>(
    `SELECT count(*) FILTER (WHERE usename LIKE 'tenant\\_%' OR usename = $1)::int AS tenant_backends, count(*)::int AS backends,
            (SELECT coalesce(sum(sessions), 0) FROM pg_stat_database) AS sessions
       FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    [LOOKUP_ROLE],
  );
  return { tenantBackends: rows[0].tenant_backends, backends: rows[0].backends, sessions: Number(rows[0].sessions) };
}

/**
 * Loads every replica at once, each with its own HTTP connections, all drawing from one request
 * sequence: for `length.seconds`, or until each replica has answered `length.requests`.
 */
async function loadReplicas(
  urls: string[],
  tokens: string[],
  order: number[],
  length: { seconds: number } | { requests: number },
  monitor: Client,
  parts?: CpuParts,
): Promise<Measured> {
  let next = 0;
  let peak = 0;
  let peakAll = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const counts = await serverCounts(monitor);
      peak = Math.max(peak, counts.tenantBackends);
      peakAll = Math.max(peakAll, counts.backends);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  const started = performance.now();
  const failures = new Map<number, string>();
  let before: number;
  let cpuBefore: CpuSnapshot | undefined;
  let cpuAfter: CpuSnapshot | undefined;
  let results: autocannon.Result[];
  try {
    before = (await serverCounts(monitor)).sessions;
    cpuBefore = parts && cpuSnapshot(parts);
    results = await Promise.all(
      urls.map((url) =>
        autocannon({
          url,
          connections: PER_REPLICA_HTTP,
          ...('seconds' in length ? { duration: length.seconds } : { amount: length.requests }),
          requests: [
            {
              method: 'GET',
              path: '/orders',
              setupRequest: (request) => ({ ...request, headers: { ...request.headers, authorization: `Bearer ${tokens[order[next++ % order.length]]}` } }),
              onResponse: (status, body) => {
                if (status >= 300 && !failures.has(status)) failures.set(status, body.slice(0, 200));
              },
            },
          ],
        }),
      ),
    );
    cpuAfter = parts && cpuSnapshot(parts);
  } finally {
    // Stopped before a failure leaves here, so the monitor session is not closed under it.
    sampling = false;
    await sampler;
  }
  const after = (await serverCounts(monitor)).sessions;
  const seconds = (performance.now() - started) / 1000;
  const connectionErrors = results.reduce((sum, r) => sum + r.errors, 0);
  return {
    rps: results.reduce((sum, r) => sum + r.requests.average, 0),
    p50: results.reduce((sum, r) => sum + r.latency.p50, 0) / results.length,
    p99: Math.max(...results.map((r) => r.latency.p99)),
    errors: results.reduce((sum, r) => sum + r.errors + r.timeouts + r.non2xx, 0),
    kinds: [...(connectionErrors > 0 ? [`${connectionErrors} connection errors`] : []), ...[...failures].map(([status, body]) => `HTTP ${status}: ${body}`)],
    peak,
    peakAll,
    startedPerSecond: (after - before) / seconds,
    cpu:
      cpuBefore && cpuAfter
        ? cpuPerRequest(
            cpuBefore,
            cpuAfter,
            results.reduce((sum, r) => sum + r.requests.total, 0),
          )
        : undefined,
  };
}

/** The worker's PoolerBudgetKeeper, as it runs: one look every KEEPER_INTERVAL_MS, never two at once. */
function keepBudget(engine: PostgresEngine): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await engine.holdPoolerBudget(BUDGET).catch((error: unknown) => process.stdout.write(`    budget keeper: ${String(error)}\n`));
      await new Promise((resolve) => setTimeout(resolve, KEEPER_INTERVAL_MS));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/**
 * Warm-up, as in a service that has run a while: passes of as many requests per replica as the
 * distribution has tenants (in number, not in time: a route whose cold tenants are slow would
 * otherwise be measured cold), until a pass starts a backend for fewer than WARM_BACKENDS_PER_REQUEST
 * of its requests, or WARM_PASSES passes. A single pass can itself outlast the pooler's
 * server_idle_timeout at the pace of backend starts, leaving the tenants it warmed first cold again.
 * A route whose budget cannot keep its tenants warm never gets there, and is measured as it is.
 */
async function warmUp(urls: string[], tokens: string[], order: number[], tenants: number, monitor: Client): Promise<string> {
  let share = Number.NaN;
  for (let pass = 1; pass <= WARM_PASSES; pass += 1) {
    const measured = await loadReplicas(urls, tokens, order, { requests: Math.max(tenants, PER_REPLICA_HTTP) }, monitor);
    share = measured.startedPerSecond / measured.rps;
    if (share < WARM_BACKENDS_PER_REQUEST) return `warm after ${pass} pass(es): ${fmt(share * 100, 1)} % of the last pass's requests started a backend`;
  }
  return `not warm after ${WARM_PASSES} passes: ${fmt(share * 100, 1)} % of the last pass's requests started a backend`;
}

async function floor(server: ThrowawayPostgres, database: string, clients: number): Promise<string> {
  try {
    const { kept, fresh } = await ordersQueryTps(server.url, database, clients);
    return `pgbench, ${clients} clients, the orders query: kept connections ${fmt(kept, 0)} tps; a new connection per transaction (-C, the floor) ${fmt(fresh, 0)} tps`;
  } catch (error) {
    return `pgbench not run: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  }
}

export async function replicaComparison(issuer: LocalIssuer, ordersPerTenant: number): Promise<void> {
  const perReplicaCap = Math.floor(BUDGET / 2);
  // Through the pooler the process cap bounds client connections, which cost the server nothing: one per tenant, so none is closed to open another.
  const poolerClientCap = Number(process.env.BENCH_POOLER_CLIENT_CAP ?? Math.max(UNIFORM_TENANTS, ZIPF_TENANTS));
  process.stdout.write(
    `\n(3) two replicas loaded at once (issue 15): a PostgreSQL 15 cluster of this bench's own, max_connections = ${BUDGET + HEADROOM}` +
      ` (budget ${BUDGET} server connections for tenant traffic, ${HEADROOM} for registry readers, monitor, pgbench and superusers)\n` +
      `    fixed:  2 x fixed-orders-app, one DataSource of ${FIXED_POOL} each\n` +
      `    direct: 2 x sample service, TENANCY_PG_ROUTE=direct, TENANT_MAX_CONNECTIONS=${perReplicaCap} each (2 x ${perReplicaCap} = the budget)\n` +
      `    pooler: 2 x sample service through one PgBouncer 1.18 (transaction pooling, ${POOLER_POOL_SIZE} server connections per tenant database,` +
      ` server_idle_timeout ${POOLER_IDLE_SECONDS} s), TENANT_POOLER_MAX_CONNECTIONS=${poolerClientCap} client connections each;` +
      (POOLER_KEEPER
        ? ` the worker's budget keeper (TENANT_PG_POOLER_SERVER_BUDGET=${BUDGET}), in this process, looks every ${KEEPER_INTERVAL_MS} ms\n`
        : ' no budget keeper (BENCH_POOLER_KEEPER=0)\n') +
      `    autocannon, ${PER_REPLICA_HTTP} HTTP connections per replica, ${SECONDS} s per run, ${ROUNDS} rounds; uniform: round-robin over ${UNIFORM_TENANTS} tenants;` +
      ` zipf: Zipf(s = ${ZIPF_S}) over ${ZIPF_TENANTS}\n` +
      `    before each run, warm-up passes (as many requests per replica as tenants) until one starts a backend for under ${WARM_BACKENDS_PER_REQUEST * 100} % of its requests, at most ${WARM_PASSES}\n`,
  );
  let server: ThrowawayPostgres | undefined;
  let pooler: ThrowawayPgBouncer | undefined;
  let keeperEngine: PostgresEngine | undefined;
  const monitor: { client?: Client } = {};
  try {
    server = await startThrowawayPostgres({ maxConnections: BUDGET + HEADROOM, settings: { shared_buffers: "'256MB'" } });
    pooler = await startThrowawayPgBouncer(server.url, {
      poolSize: POOLER_POOL_SIZE,
      maxClientConn: 2 * poolerClientCap + 500,
      serverIdleTimeoutSeconds: POOLER_IDLE_SECONDS,
    });
    const env = createTestEnv({ DATABASE_URL: server.url, LOG_LEVEL: 'warn', AUTH_ISSUER: issuer.issuer });
    const tenantCount = Math.max(UNIFORM_TENANTS, ZIPF_TENANTS);
    process.stdout.write(`    setting up ${tenantCount} tenants there\n`);
    const tenants: FleetTenant[] = await createOrdersFleet(env, tenantCount, ordersPerTenant, { codePrefix: 'z', poolerLookup: true });
    process.stdout.write(`    ${await floor(server, tenants[0].target.databaseName, PER_REPLICA_HTTP * 2)}\n`);
    const client = new Client({ connectionString: server.url });
    surviveConnectionErrors(client, 'bench monitor session');
    await client.connect();
    monitor.client = client;
    const tokens = await Promise.all(tenants.map((tenant) => issuer.mint({ sub: `bench-${tenant.code}`, tenantId: tenant.id }, { expiresInSeconds: 7200 })));
    const orders: Record<Shape, number[]> = { uniform: sequence('uniform', UNIFORM_TENANTS, 200_000), zipf: sequence('zipf', ZIPF_TENANTS, 200_000) };
    // The warm-up draws from the same distribution but not the same sequence: it must not warm exactly the tenants the run will ask for.
    const warmOrders: Record<Shape, number[]> = { uniform: orders.uniform, zipf: sequence('zipf', ZIPF_TENANTS, 200_000, 16) };
    const appEnv = { ...env.rawEnv, LOG_LEVEL: 'warn', BUSINESS_API_PORT: '0', TENANT_MAX_POOLS: String(tenantCount) };
    const routeEnv: Record<Route, Record<string, string>> = {
      fixed: { TENANT_MAX_CONNECTIONS: String(FIXED_POOL), BENCH_FIXED_DATABASE: tenants[0].target.databaseName },
      direct: { TENANCY_PG_ROUTE: 'direct', TENANT_MAX_CONNECTIONS: String(perReplicaCap) },
      pooler: { TENANCY_PG_ROUTE: 'pooler', TENANCY_PG_POOLER_URL: pooler.url, TENANT_POOLER_MAX_CONNECTIONS: String(poolerClientCap) },
    };
    const results = new Map<string, Measured[]>();
    const keep = (key: string, measured: Measured) => results.set(key, [...(results.get(key) ?? []), measured]);
    const budgetEngine = new PostgresEngine({ adminUrl: server.url, exportDir: tmpdir(), pooler: { authLookup: false, adminUrl: pooler.adminUrl } });
    keeperEngine = budgetEngine;
    const poolerPid = Number(readFileSync(join(pooler.dir, 'pgbouncer.pid'), 'utf8').trim());
    const serverPid = postmasterPid(server.dataDir);
    const withReplicas = async (route: Route, work: (urls: string[], parts: CpuParts | undefined) => Promise<void>) => {
      const entry = route === 'fixed' ? 'dist-bench/bench/fixed-orders-app.js' : 'dist/apps/sample-business-api/src/main.js';
      const apps: Proc[] = await Promise.all([0, 1].map(() => startApp(entry, { ...appEnv, ...routeEnv[route] }, /listening on (http:\/\/\S+)/)));
      const parts = cpuSharesReadable() ? { postmasterPid: serverPid, poolerPid, replicaPids: apps.map((app) => app.child.pid!) } : undefined;
      const keeper = route === 'pooler' && POOLER_KEEPER ? keepBudget(budgetEngine) : undefined;
      try {
        await work(await Promise.all(apps.map(async (app) => (await app.ready)[1])), parts);
      } finally {
        await keeper?.stop();
        await Promise.all(apps.map((app) => app.stop()));
      }
    };
    for (let round = 1; round <= ROUNDS; round += 1) {
      await withReplicas('fixed', async (urls, parts) => {
        await loadReplicas(urls, tokens, [0], { seconds: 3 }, client);
        keep('fixed', await loadReplicas(urls, tokens, [0], { seconds: SECONDS }, client, parts));
      });
      for (const route of ['direct', 'pooler'] as const) {
        await withReplicas(route, async (urls, parts) => {
          for (const shape of ['uniform', 'zipf'] as const) {
            const warm = await warmUp(urls, tokens, warmOrders[shape], shape === 'uniform' ? UNIFORM_TENANTS : ZIPF_TENANTS, client);
            process.stdout.write(`    warm-up ${route} ${shape}: ${warm}\n`);
            keep(`${route} ${shape}`, await loadReplicas(urls, tokens, orders[shape], { seconds: SECONDS }, client, parts));
          }
        });
      }
      const rps = (key: string) => fmt(results.get(key)!.at(-1)!.rps, 0);
      process.stdout.write(
        `    round ${round}: fixed ${rps('fixed')}; direct uniform ${rps('direct uniform')}, zipf ${rps('direct zipf')}; pooler uniform ${rps('pooler uniform')}, zipf ${rps('pooler zipf')} req/s\n`,
      );
    }
    const fixedRps = median(results.get('fixed')!.map((m) => m.rps));
    process.stdout.write('\n  medians of the rounds (req/s of both replicas together; p50 their mean, p99 the worse):\n');
    for (const [key, runs] of results) {
      const rps = median(runs.map((m) => m.rps));
      process.stdout.write(
        `  ${key.padEnd(16)} ${fmt(rps, 0).padStart(6)} req/s  p50 ${fmt(median(runs.map((m) => m.p50)), 0).padStart(4)} ms  p99 ${fmt(median(runs.map((m) => m.p99)), 0).padStart(5)} ms` +
          `  errors ${runs.reduce((sum, m) => sum + m.errors, 0)}  ${fmt((rps / fixedRps) * 100, 1).padStart(5)}% of fixed` +
          `  tenant server connections at peak ${Math.max(...runs.map((m) => m.peak))} (budget ${BUDGET}; all client backends ${Math.max(...runs.map((m) => m.peakAll))})` +
          `  backends started ${fmt(median(runs.map((m) => m.startedPerSecond)), 0)}/s\n`,
      );
      runs.forEach((m, round) => m.cpu && process.stdout.write(`      CPU per request, round ${round + 1}: ${m.cpu}\n`));
    }
    const kinds = [...new Set([...results.values()].flat().flatMap((m) => m.kinds))];
    if (kinds.length > 0) process.stdout.write(`  errors seen: ${kinds.slice(0, 4).join('; ')}\n`);
    const ratio = (key: string) => median(results.get(key)!.map((m) => m.rps)) / fixedRps;
    const errors = [...results.values()].flat().reduce((sum, m) => sum + m.errors, 0);
    const peak = Math.max(...[...results.values()].flat().map((m) => m.peak));
    const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
    process.stdout.write(
      `  reach: pooler uniform >= 80% of fixed: ${verdict(ratio('pooler uniform') >= 0.8)} (${fmt(ratio('pooler uniform') * 100, 1)}%);` +
        ` pooler zipf >= 90%: ${verdict(ratio('pooler zipf') >= 0.9)} (${fmt(ratio('pooler zipf') * 100, 1)}%);` +
        ` zero errors: ${verdict(errors === 0)} (${errors}); never above the budget: ${verdict(peak <= BUDGET)} (peak ${peak})\n`,
    );
  } finally {
    await monitor.client?.end();
    await keeperEngine?.close();
    await pooler?.cleanup();
    await server?.cleanup();
  }
}
