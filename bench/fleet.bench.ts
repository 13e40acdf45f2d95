import { createTestEnv } from '@tenantry/common/testing';
import { LocalIssuer } from '@tenantry/dev-issuer';
import { type ArmSqlDouble, startArmSqlDouble } from '@tenantry/engines/testing';
import { adminDatabaseSettings, migrateRegistry } from '@tenantry/registry';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedLoop, fmt, machine, startApp, type Proc } from './bench-support';

// Tenants through the real admin API and built workers, with the azure-sql engine against the ARM
// double (ARM's throttling modelled, its clock SPEED times faster), over SERVERS logical servers and
// POOLS_PER_SERVER elastic pools each. Only the steps inside a tenant database are stood in for.
const flag = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const [TENANTS, SPEED, WORKERS, CLIENTS] = [flag('BENCH_TENANTS', 10_000), flag('BENCH_ARM_SPEED', 1), flag('BENCH_WORKERS', 2), flag('BENCH_CLIENTS', 16)];
const WORKER_CONCURRENCY = 64;
const SERVERS = 3;
const POOLS_PER_SERVER = 7;
// GP_Gen5 from 6 vCores holds 500 databases (https://learn.microsoft.com/azure/azure-sql/database/resource-limits-vcore-elastic-pools).
const POOL_SKU = { name: 'GP_Gen5', capacity: 6 };
const POOL_MAX = 500;
// A logical server holds 5,000 (https://learn.microsoft.com/azure/azure-sql/database/resource-limits-logical-server).
const SERVER_MAX = 5_000;
// How long a creation in a pool takes on the double's clock; the workers' first poll comes just after it.
const CREATE_SECONDS = flag('BENCH_CREATE_SECONDS', 10);
// ARM's subscription buckets (request-limits-and-throttling): writes 200 at 10/s, reads 250 at 25/s.
const WRITES = { burst: 200, perSecond: 10 };
const READS = { burst: 250, perSecond: 25 };
const STAND_IN = 'mssql stand-in (bench/mssql-stand-in.ts): contained user, password and tenant migrations answered without a SQL Server';
const SUBSCRIPTION = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';

const poolId = (server: number, pool: number) =>
  `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-fleet/providers/Microsoft.Sql/servers/sql-fleet-${server}/elasticPools/pool-${pool}`;

/** App Service's managed-identity endpoint (IDENTITY_ENDPOINT/IDENTITY_HEADER), which DefaultAzureCredential in the worker asks for its ARM token. */
async function startIdentityEndpoint(): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    const resource = new URL(request.url ?? '/', 'http://x').searchParams.get('resource') ?? '';
    response.end(JSON.stringify({ access_token: 'bench-token', expires_on: String(Math.floor(Date.now() / 1000) + 3600), resource, token_type: 'Bearer' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/msi/token`, server };
}

/** The bucket limits a worker paces to: ARM's on the double's clock, each worker its share of the subscription's buckets. */
function workerRateLimits(): string {
  const share = (limit: { burst: number; perSecond: number }) => `${Math.max(1, Math.floor(limit.burst / WORKERS))}/${(limit.perSecond * SPEED) / WORKERS}`;
  return `reads=${share(READS)},writes=${share(WRITES)},deletes=${share(WRITES)}`;
}

function armCounts(arm: ArmSqlDouble) {
  let reads = 0;
  let writes = 0;
  let throttled = 0;
  for (const call of arm.calls) {
    if (call.method === 'GET') reads += 1;
    else writes += 1;
    if (call.status === 429) throttled += 1;
  }
  const byPool = new Map<string, number>();
  const byServer = new Map<string, number>();
  for (const database of arm.databases.values()) {
    const pool = database.elasticPoolId?.toLowerCase() ?? '?';
    byPool.set(pool, (byPool.get(pool) ?? 0) + 1);
    const server = /\/servers\/([^/]+)\//i.exec(database.id)?.[1] ?? '?';
    byServer.set(server, (byServer.get(server) ?? 0) + 1);
  }
  const fullest = (counts: Map<string, number>) => [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? ['none', 0];
  return { reads, writes, throttled, calls: arm.calls.length, fullestPool: fullest(byPool), fullestServer: fullest(byServer), byPool, byServer };
}

async function main(): Promise<void> {
  const arm = await startArmSqlDouble({
    throttling: { speed: SPEED, limits: { reads: READS, writes: WRITES, deletes: WRITES } },
    operationSeconds: CREATE_SECONDS,
  });
  const identity = await startIdentityEndpoint();
  const caFile = join(tmpdir(), `arm-double-${process.pid}.pem`);
  writeFileSync(caFile, arm.ca);
  const issuer = await LocalIssuer.start({ port: 0 });
  const env = createTestEnv({
    AUTH_ISSUER: issuer.issuer,
    LOG_LEVEL: 'warn',
    ADMIN_API_PORT: '0',
    WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
    WORKER_METRICS_PORT: '0',
    TEMPLATE_ENABLED: 'false',
    // Only the elastic pools take tenants: the zero-configuration PostgreSQL pool is not registered.
    TENANT_PG_POOL_REGISTER: 'false',
    // Each saga holds a pinned registry connection for its tenant lock, plus one for its writes.
    ADMIN_DB_POOL_SIZE: String(Math.min(100, WORKER_CONCURRENCY + 20)),
    AZURE_SQL_AUTH: 'sql',
    AZURE_SQL_ADMIN_LOGIN: 'sqladmin',
    AZURE_SQL_ADMIN_PASSWORD: 'never-used-by-the-stand-in',
    AZURE_ARM_ENDPOINT: arm.url,
    AZURE_ARM_RATE_LIMITS: workerRateLimits(),
    // The first poll of a creation comes once it is done on the double's clock: one read for it.
    AZURE_ARM_POLL_INTERVAL_MS: String(Math.ceil(((CREATE_SECONDS * 1000) / SPEED) * 1.05)),
    IDENTITY_ENDPOINT: identity.url,
    IDENTITY_HEADER: 'bench',
    NODE_EXTRA_CA_CERTS: caFile,
  });
  const procs: Proc[] = [];
  process.stdout.write(
    `bench:fleet: ${TENANTS} tenants, POST /tenants (${CLIENTS} clients) -> admin API -> BullMQ -> ${WORKERS} worker processes x concurrency ${WORKER_CONCURRENCY}\n` +
      `azure-sql engine through @azure/arm-sql against the ARM double: ${SERVERS} logical servers x ${POOLS_PER_SERVER} elastic pools (${POOL_SKU.name} ${POOL_SKU.capacity} vCores, ${POOL_MAX} databases each)\n` +
      `ARM throttling modelled: writes ${WRITES.burst} burst at ${WRITES.perSecond}/s, reads ${READS.burst} at ${READS.perSecond}/s, 429 + Retry-After beyond; ` +
      `double's clock x${SPEED} (a creation takes ${CREATE_SECONDS} s of it); each worker paces to ${workerRateLimits()}\n` +
      `${STAND_IN}\nmachine: ${machine()}\n\n`,
  );
  try {
    await migrateRegistry(env.settings(adminDatabaseSettings));
    const workerEnv = { ...env.rawEnv, NODE_OPTIONS: `--require ${join(__dirname, 'mssql-stand-in.js')}` };
    const adminApi = await startApp('dist/apps/admin-api/src/main.js', env.rawEnv, /admin-api listening on (http:\/\/\S+)\s/);
    procs.push(adminApi);
    for (let i = 0; i < WORKERS; i += 1) procs.push(await startApp('dist/apps/provisioning-worker/src/main.js', workerEnv, /consuming tenant-operations/));
    const token = await issuer.mint({ sub: 'bench', roles: ['platform-admin'] }, { expiresInSeconds: 6 * 3600 });
    const [, api] = await adminApi.ready;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

    for (let server = 1; server <= SERVERS; server += 1) {
      // A logical server is registered before its pools, with Azure's 5,000 databases as its limit; tenants come in the default region.
      const serverName = `sql-fleet-${server}`;
      const logicalServer = { engine: 'azure-sql', host: `${serverName}.database.windows.net`, region: 'local', maxDatabases: SERVER_MAX, managedIdentity: true };
      const serverRegistered = await fetch(`${api}/servers/${serverName}`, { method: 'PUT', headers, body: JSON.stringify(logicalServer) });
      if (!serverRegistered.ok) throw new Error(`PUT /servers/${serverName}: ${serverRegistered.status} ${await serverRegistered.text()}`);
      for (let pool = 1; pool <= POOLS_PER_SERVER; pool += 1) {
        const id = poolId(server, pool);
        arm.limitPool(id, POOL_MAX);
        const registered = await fetch(`${api}/pools/s${server}-p${pool}`, {
          method: 'PUT',
          headers,
          body: JSON.stringify({ engine: 'azure-sql', elasticPoolId: id, location: 'westeurope', sku: POOL_SKU, maxDatabases: POOL_MAX }),
        });
        if (!registered.ok) throw new Error(`PUT /pools s${server}-p${pool}: ${registered.status} ${await registered.text()}`);
      }
    }

    const started = Date.now();
    let posted = 0;
    let unavailable = 0;
    const poster = closedLoop(
      Array.from({ length: TENANTS }, (_, i) => `fleet_${i}`),
      CLIENTS,
      async (code) => {
        for (;;) {
          const created = await fetch(`${api}/tenants`, { method: 'POST', headers, body: JSON.stringify({ code, name: code }) });
          if (created.status === 202) break;
          // A 503 says "try again shortly" with its Retry-After, as a client should.
          if (created.status !== 503) throw new Error(`POST /tenants ${code}: ${created.status} ${await created.text()}`);
          unavailable += 1;
          await new Promise((resolve) => setTimeout(resolve, Number(created.headers.get('retry-after') ?? 1) * 1000));
        }
        posted += 1;
      },
    );
    let posting: Error | undefined;
    poster.catch((error: Error) => {
      posting = error;
    });
    const admin = env.adminDatabase;
    let done = { succeeded: 0, failed: 0 };
    const count = async () => {
      const rows = await env.sql<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM operations GROUP BY status`, [], admin);
      const of = (status: string) => Number(rows.find((row) => row.status === status)?.n ?? 0);
      return { succeeded: of('succeeded'), failed: of('failed') };
    };
    let lastReport = 0;
    while (done.succeeded + done.failed < TENANTS) {
      if (posting) throw posting;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      done = await count();
      if (Date.now() - lastReport > 60_000) {
        lastReport = Date.now();
        const c = armCounts(arm);
        process.stdout.write(
          `  ${fmt((Date.now() - started) / 1000, 0)} s: posted ${posted} (${unavailable} answered 503 and posted again), succeeded ${done.succeeded}, failed ${done.failed}; ARM ${c.writes} writes, ${c.reads} reads, ${c.throttled} answered 429\n`,
        );
      }
    }
    await poster;
    const wallS = (Date.now() - started) / 1000;

    const c = armCounts(arm);
    const [tenantRows] = await env.sql<{ active: string; total: string }>(
      `SELECT count(*) FILTER (WHERE status = 'active') AS active, count(*) AS total FROM tenants`,
      [],
      admin,
    );
    const [slots] = await env.sql<{ over: string }>(`SELECT count(*) AS over FROM database_pools WHERE used_slots > max_databases`, [], admin);
    const writesPerTenant = c.writes / TENANTS;
    const readsPerTenant = c.reads / TENANTS;
    // ARM's write bucket sets the floor: every write past the burst waits its refill (on the double's clock here).
    const floorS = Math.max(0, c.writes - WRITES.burst) / (WRITES.perSecond * SPEED);
    const floorRealS = Math.max(0, c.writes - WRITES.burst) / WRITES.perSecond;
    const overPools = [...c.byPool.values()].filter((n) => n > POOL_MAX).length;
    const overServers = [...c.byServer.values()].filter((n) => n > SERVER_MAX).length;
    const lost = TENANTS - Number(tenantRows.active);
    const share429 = (c.throttled / c.calls) * 100;
    process.stdout.write(
      `\nwall ${fmt(wallS)} s on the double's clock x${SPEED}; ${fmt(TENANTS / wallS)} tenants/s\n` +
        `ARM: ${fmt(writesPerTenant, 2)} writes and ${fmt(readsPerTenant, 2)} reads per tenant (${c.writes} writes, ${c.reads} reads); ` +
        `${c.throttled} answered 429 (${fmt(share429, 2)} % of ${c.calls} requests)\n` +
        `fullest pool ${c.fullestPool[0].split('/servers/')[1] ?? c.fullestPool[0]}: ${c.fullestPool[1]}/${POOL_MAX}; fullest server ${c.fullestServer[0]}: ${c.fullestServer[1]}/${SERVER_MAX}\n` +
        `write-rate floor at x${SPEED}: ${fmt(floorS)} s (real ARM: ${fmt(floorRealS)} s); wall / floor ${fmt(wallS / floorS, 2)}; ` +
        `projected real-time wall ${fmt((wallS / floorS) * floorRealS)} s\n` +
        `tenants active ${tenantRows.active}/${TENANTS}, operations failed ${done.failed}; POST /tenants answered 503 (and posted again) ${unavailable} times\n` +
        `targets: 0 over capacity: ${overPools + overServers + Number(slots.over) === 0 ? 'met' : 'MISSED'} (${overPools} pools, ${overServers} servers over, ${slots.over} registry pools over); ` +
        `0 lost or failed: ${lost === 0 && done.failed === 0 ? 'met' : 'MISSED'} (${lost}); ` +
        `<= 3 ARM reads per tenant: ${readsPerTenant <= 3 ? 'met' : 'MISSED'}; <= 1 % answered 429: ${share429 <= 1 ? 'met' : 'MISSED'}; ` +
        `wall <= 1.2x the write floor: ${wallS <= 1.2 * floorS ? 'met' : 'MISSED'}\n`,
    );
  } finally {
    for (const proc of procs.reverse()) await proc.stop();
    await issuer.stop();
    await env.cleanup();
    await arm.close();
    identity.server.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
