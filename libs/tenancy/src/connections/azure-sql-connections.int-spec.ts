import type { INestApplicationContext } from '@nestjs/common';
import { createTestEnv, waitFor, type TestEnv } from '@tenantry/common/testing';
import { startTdsDouble, type TdsDouble } from '@tenantry/engines/testing';
import { bootWarmTenancy, createTenantLogins, dropTenantLogins, seededLoginSessions, seedTenants, type SeededTenant } from '@tenantry/tenancy/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { TenantContext } from '../context/tenant-context';
import type { TenancyModuleOptions } from '../tenancy-options';
import { TenantConnectionManager } from './tenant-connection-manager';
import { TenantConnectionsExhausted } from './tenant-connections-exhausted.error';

interface Identity {
  login: string;
  db: string;
}

/**
 * Azure SQL tenants under the process-wide connection cap, as PostgreSQL tenants are: a connection
 * takes a slot before it connects and frees it once closed, idle ones close, and a tenant without a
 * connection takes the slot of another's idle one. The SQL Server is the TDS double: it signs each
 * tenant in with its own login on its own database, answers `SELECT DB_NAME(), SUSER_SNAME()` with
 * the session's own, and counts the sessions open at once.
 */
describe('TenantConnectionManager with Azure SQL tenants: small pools under the one cap', () => {
  let env: TestEnv;
  let tds: TdsDouble;
  let azure: SeededTenant[];
  let postgres: SeededTenant[];
  let monitor: Client;
  const apps: INestApplicationContext[] = [];

  // What these tests prove does not depend on how long a query waits for a slot: waits long enough
  // that a loaded machine never turns a slow sign-in into a failure.
  const patient = 120_000;

  /** A business service's tenancy, its routes to `warm` already resolved and kept for the whole test. */
  const boot = async (connections: TenancyModuleOptions['connections'], warm: SeededTenant[]) => {
    const app = await bootWarmTenancy(env, { connections, cache: { localTtlMs: 3_600_000 }, sqlServer: { trustServerCertificate: true } }, warm);
    apps.push(app);
    return { context: app.get(TenantContext), manager: app.get(TenantConnectionManager) };
  };

  const isAzure = (tenant: SeededTenant) => tenant.code.startsWith('a');

  const whoAmI = (context: TenantContext, tenant: SeededTenant) =>
    context.runInTenant(tenant.id, async () => {
      const sql = isAzure(tenant) ? 'SELECT DB_NAME() AS db, SUSER_SNAME() AS login' : 'SELECT current_database() AS db, current_user AS login';
      return (await (await context.dataSource()).query<Identity[]>(sql))[0];
    });

  /** Runs `order` on `workers` loops at once; returns who answered for whom when it was not the tenant itself. */
  const serve = async (context: TenantContext, order: SeededTenant[], workers: number) => {
    const mismatches: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (next < order.length) {
          const tenant = order[next++];
          const identity = await whoAmI(context, tenant);
          if (identity?.login !== tenant.login || identity.db !== tenant.database) mismatches.push(`${tenant.code}: ${JSON.stringify(identity)}`);
        }
      }),
    );
    return mismatches;
  };

  /** The highest of `read` while `work` runs, polled as often as the event loop allows. */
  const peakDuring = async <T>(read: () => number | Promise<number>, work: () => Promise<T>): Promise<{ result: T; peak: number }> => {
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await read());
        await sleep(1);
      }
    })();
    try {
      return { result: await work(), peak };
    } finally {
      sampling = false;
      await sampler;
      peak = Math.max(peak, await read());
    }
  };

  const postgresSessions = () => seededLoginSessions(env, monitor);

  beforeAll(async () => {
    env = createTestEnv();
    tds = await startTdsDouble();
    const server = { engine: 'azure-sql', host: '127.0.0.1', port: tds.port } as const;
    // Each Azure SQL tenant its own database, as in an elastic pool.
    azure = await seedTenants(env, 1_000, { server, codePrefix: 'a', databases: Array.from({ length: 1_000 }, (_, i) => `tenant_a${i}_${env.label}`) });
    postgres = await seedTenants(env, 20, { codePrefix: 'p', databases: [`tenant_mixed_${env.label}`] });
    await createTenantLogins(env, postgres);
    monitor = new Client({ connectionString: env.databaseUrl('postgres') });
    await monitor.connect();
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  afterAll(async () => {
    await monitor?.end();
    if (postgres) await dropTenantLogins(env, postgres);
    await tds?.close();
    await env.cleanup();
  });

  it('serves 1,000 Azure SQL tenants with a cap of 20 and pools of 2, in turn and then at once, never holding more than 20 sessions', async () => {
    const { context, manager } = await boot({ maxConnections: 20, poolSize: 2, maxPools: 1_000, acquireTimeoutMs: patient }, azure);
    tds.resetPeak();
    const inTurn = await peakDuring(
      () => manager.budget.inUse,
      () => serve(context, azure, 1),
    );
    expect(inTurn.result).toEqual([]);
    const inTurnSessions = tds.peakSessions();

    tds.resetPeak();
    const rounds = 2;
    const order = Array.from({ length: rounds * azure.length }, (_, i) => azure[(i * 7) % azure.length]);
    const atOnce = await peakDuring(
      () => manager.budget.inUse,
      () => serve(context, order, 60),
    );
    expect(atOnce.result).toEqual([]);
    const atOnceSessions = tds.peakSessions();

    // Sessions the double saw open at once, counted at the server, and the slots the process held.
    expect(Math.max(inTurnSessions, atOnceSessions)).toBeLessThanOrEqual(20);
    expect(Math.max(inTurn.peak, atOnce.peak)).toBeLessThanOrEqual(20);
    // The load really pressed against the cap: otherwise this test would prove nothing.
    expect(atOnce.peak).toBe(20);
    expect(manager.openPools).toBe(1_000);
    // Every tenant signed in as itself, on its own database.
    const signedIn = new Set(tds.logins.filter((login) => login.refusedWith === 0).map((login) => `${login.user}@${login.database}`));
    expect(azure.every((tenant) => signedIn.has(`${tenant.login}@${tenant.database}`))).toBe(true);
    process.stdout.write(
      `1,000 Azure SQL tenants, cap 20, pools of 2: in turn peak ${inTurnSessions} sessions at the double, at once (60 loops, 2,000 queries) ` +
        `peak ${atOnceSessions} sessions and ${atOnce.peak} permits; ${tds.logins.length} sign-ins in all\n`,
    );
  }, 900_000);

  it('closes idle Azure SQL connections and gives their slots back, keeping the pools', async () => {
    const few = azure.slice(0, 3);
    const { context, manager } = await boot({ maxConnections: 10, poolSize: 2, acquireTimeoutMs: patient, connectionIdleMs: 300, poolIdleMs: 600_000 }, few);
    for (const tenant of few) expect(await whoAmI(context, tenant)).toEqual({ login: tenant.login, db: tenant.database });
    expect(manager.budget.inUse).toBeGreaterThan(0);
    await waitFor(() => manager.budget.inUse === 0);
    await waitFor(() => tds.openSessions() === 0);
    expect(manager.openPools).toBe(3);
    // The pool opens a connection again when it is next needed.
    expect(await whoAmI(context, few[0])).toEqual({ login: few[0].login, db: few[0].database });
    expect(manager.budget.inUse).toBe(1);
  });

  it('frees the slot of a connection the server ended at once, and connects again on the next query', async () => {
    const tenant = azure[5];
    const { context, manager } = await boot({ maxConnections: 10, poolSize: 2, acquireTimeoutMs: patient, connectionIdleMs: 600_000 }, [tenant]);
    expect(await whoAmI(context, tenant)).toEqual({ login: tenant.login, db: tenant.database });
    expect(manager.budget.inUse).toBe(1);
    tds.hangUpAll();
    // The ended connection is still in its pool's idle list (nothing validated or reaped it yet), its slot already free.
    await waitFor(() => manager.budget.inUse === 0);
    expect(await whoAmI(context, tenant)).toEqual({ login: tenant.login, db: tenant.database });
    expect(manager.budget.inUse).toBe(1);
  });

  it('gives back the slot of a sign-in that fails, when a pool opens and when it connects again', async () => {
    const [a, b] = azure.slice(10, 12);
    const { context, manager } = await boot({ maxConnections: 2, poolSize: 1, acquireTimeoutMs: patient, connectionIdleMs: 300 }, [a, b]);
    tds.refuseLogins(18456);
    await expect(whoAmI(context, a)).rejects.toThrow(/Login failed/);
    expect(manager.budget.inUse).toBe(0);
    expect(await whoAmI(context, a)).toEqual({ login: a.login, db: a.database });

    // The open pool's connection closes idle; signing in again is refused, twice over a cap of 2.
    await waitFor(() => manager.budget.inUse === 0);
    tds.refuseLogins(18456, 18456);
    await expect(whoAmI(context, a)).rejects.toThrow(/Login failed/);
    await expect(whoAmI(context, a)).rejects.toThrow(/Login failed/);
    expect(manager.budget.inUse).toBe(0);
    await waitFor(() => tds.openSessions() === 0);
    expect(await whoAmI(context, b)).toEqual({ login: b.login, db: b.database });
    expect(await whoAmI(context, a)).toEqual({ login: a.login, db: a.database });
  });

  it("shares one cap between PostgreSQL and Azure SQL tenants: each takes the slot of the other's idle connection", async () => {
    const [pgTenant, sqlTenant] = [postgres[0], azure[20]];
    // Connections go idle only after ten minutes: a tenant can get the one slot only by a reclaim.
    const single = await boot({ maxConnections: 1, poolSize: 1, acquireTimeoutMs: patient, connectionIdleMs: 600_000 }, [pgTenant, sqlTenant]);
    expect(await whoAmI(single.context, pgTenant)).toEqual({ login: pgTenant.login, db: pgTenant.database });
    expect(await whoAmI(single.context, sqlTenant)).toEqual({ login: sqlTenant.login, db: sqlTenant.database });
    expect(await postgresSessions()).toBe(0);
    expect(tds.openSessions()).toBe(1);
    expect(await whoAmI(single.context, pgTenant)).toEqual({ login: pgTenant.login, db: pgTenant.database });
    await waitFor(() => tds.openSessions() === 0);
    expect(single.manager.budget.inUse).toBe(1);
  });

  it("fails an Azure SQL tenant's query with the cap's 503 when no slot frees in time", async () => {
    const [pgTenant, sqlTenant] = [postgres[1], azure[21]];
    const { context, manager } = await boot({ maxConnections: 1, poolSize: 1, acquireTimeoutMs: 300, connectionIdleMs: 600_000 }, [pgTenant, sqlTenant]);
    expect(await whoAmI(context, sqlTenant)).toEqual({ login: sqlTenant.login, db: sqlTenant.database });
    // The PostgreSQL tenant takes the one slot (the Azure SQL pool's idle connection is closed for it) and keeps it busy.
    const holder = context.runInTenant(pgTenant.id, async () => (await context.dataSource()).query('SELECT pg_sleep(2)'));
    await waitFor(() => manager.budget.inUse === 1 && tds.openSessions() === 0);
    const failure = await whoAmI(context, sqlTenant).then(
      () => undefined,
      (error: unknown) => error,
    );
    // TypeORM wraps what mssql's pool failed with; the one HTTP filter answers the wrapped domain error (a 503).
    expect((failure as { driverError?: unknown }).driverError).toBeInstanceOf(TenantConnectionsExhausted);
    await holder;
    expect(await whoAmI(context, sqlTenant)).toEqual({ login: sqlTenant.login, db: sqlTenant.database });
  });

  it('keeps PostgreSQL and Azure SQL tenants at once under one cap of 8', async () => {
    const mixed = [...postgres, ...azure.slice(100, 140)];
    const { context, manager } = await boot({ maxConnections: 8, poolSize: 2, acquireTimeoutMs: patient }, mixed);
    tds.resetPeak();
    let both = false;
    const order = Array.from({ length: 1_200 }, (_, i) => mixed[(i * 11) % mixed.length]);
    const pgPeak = await peakDuring(postgresSessions, async () => {
      const run = await peakDuring(
        () => {
          const sessions = tds.openSessions();
          both ||= sessions > 0 && sessions < manager.budget.inUse;
          return manager.budget.inUse;
        },
        () => serve(context, order, 24),
      );
      return run;
    });
    expect(pgPeak.result.result).toEqual([]);
    expect(pgPeak.result.peak).toBeLessThanOrEqual(8);
    expect(pgPeak.peak).toBeLessThanOrEqual(8);
    expect(tds.peakSessions()).toBeLessThanOrEqual(8);
    expect(pgPeak.result.peak).toBe(8);
    // Both engines held slots at one moment: they shared the cap rather than taking turns.
    expect(both).toBe(true);
  });
});
