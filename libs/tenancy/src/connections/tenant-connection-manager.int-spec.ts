import type { INestApplicationContext } from '@nestjs/common';
import { createTestEnv, type TestEnv } from '@tenantry/common/testing';
import { createSecretProtector, secretsSettings } from '@tenantry/secrets';
import { bootWarmTenancy, createTenantLogins, dropTenantLogins, seededLoginSessions, seedTenants, type SeededTenant } from '@tenantry/tenancy/testing';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { TenantContext } from '../context/tenant-context';
import { TenantResolver } from '../resolution/tenant-resolver';
import type { TenancyModuleOptions } from '../tenancy-options';
import { TenantConnectionManager } from './tenant-connection-manager';
import { TenantConnectionsExhausted } from './tenant-connections-exhausted.error';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Identity {
  login: string;
  db: string;
}

describe("TenantConnectionManager: bounded pools, a global connection cap, never another tenant's connection", () => {
  let env: TestEnv;
  let tenants: SeededTenant[];
  let monitor: Client;
  const apps: INestApplicationContext[] = [];

  // What these tests prove does not depend on how long a query waits for a slot or a connection:
  // waits long enough that a loaded machine never turns a slow connect into a failure.
  const patient = 120_000;

  /** A business service's tenancy, its routes to `warm` already resolved and kept for the whole test. */
  const boot = async (connections: TenancyModuleOptions['connections'], warm: SeededTenant[] = [], route: Pick<TenancyModuleOptions, 'pooler'> = {}) => {
    const app = await bootWarmTenancy(env, { connections, cache: { localTtlMs: 3_600_000 }, ...route }, warm);
    apps.push(app);
    return { context: app.get(TenantContext), manager: app.get(TenantConnectionManager), resolver: app.get(TenantResolver) };
  };

  const whoAmI = (context: TenantContext, tenant: SeededTenant, sql = 'SELECT current_user AS login, current_database() AS db') =>
    context.runInTenant(tenant.id, async () => (await (await context.dataSource()).query<Identity[]>(sql))[0]);

  const tenantConnections = () => seededLoginSessions(env, monitor);

  /** Sessions of `login` waiting for a lock. */
  const waitingOnLock = async (login: string) => {
    const { rows } = await monitor.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'`, [login]);
    return rows[0].n;
  };

  beforeAll(async () => {
    env = createTestEnv();
    const databases = Array.from({ length: 10 }, (_, i) => `tenant_cap${i}_${env.label}`);
    tenants = await seedTenants(env, 1_000, { databases });
    await createTenantLogins(env, tenants);
    monitor = new Client({ connectionString: env.databaseUrl('postgres') });
    await monitor.connect();
  });

  // Each test's apps close with it: their pools hold real connections, and the server has a hundred.
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  afterAll(async () => {
    await monitor?.end();
    if (tenants) await dropTenantLogins(env, tenants);
    await env.cleanup();
  });

  it('with 1,000 tenants and a cap of 50, PostgreSQL never shows more than 50 connections, and each query runs as its tenant', async () => {
    const { context, manager } = await boot({ maxConnections: 50, poolSize: 5, maxPools: 1_000, acquireTimeoutMs: patient }, tenants);
    let peakSeen = 0;
    let peakBudget = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakSeen = Math.max(peakSeen, await tenantConnections());
        peakBudget = Math.max(peakBudget, manager.budget.inUse);
        await sleep(2);
      }
    })();

    const rounds = 2;
    const order = Array.from({ length: rounds * tenants.length }, (_, i) => tenants[i % tenants.length]);
    let next = 0;
    const mismatches: string[] = [];
    try {
      await Promise.all(
        Array.from({ length: 120 }, async () => {
          while (next < order.length) {
            const tenant = order[next++];
            const identity = await whoAmI(context, tenant);
            if (identity.login !== tenant.login || identity.db !== tenant.database) mismatches.push(`${tenant.code}: ${JSON.stringify(identity)}`);
          }
        }),
      );
    } finally {
      // Stopped whatever happened above: it must not outlive the monitor connection it queries.
      sampling = false;
      await sampler;
    }

    expect(mismatches).toEqual([]);
    expect(peakBudget).toBeLessThanOrEqual(50);
    expect(peakSeen).toBeLessThanOrEqual(50);
    // The load really pressed against the cap: otherwise this test would prove nothing.
    expect(peakBudget).toBeGreaterThanOrEqual(45);
    expect(manager.openPools).toBe(1_000);
    process.stdout.write(`1,000 tenants, cap 50: peak ${peakSeen} connections in pg_stat_activity, ${peakBudget} permits\n`);
  }, 600_000);

  it("after pools are evicted and reopened, a query never runs on another tenant's connection", async () => {
    const few = tenants.slice(0, 16);
    const { context, manager } = await boot({ maxConnections: 8, poolSize: 2, maxPools: 4, acquireTimeoutMs: patient }, few);
    const seen = new Map<string, Set<DataSource>>();
    const mismatches: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 800) {
          const tenant = few[(next++ * 7) % few.length];
          await context.runInTenant(tenant.id, async () => {
            const dataSource = await context.dataSource();
            seen.set(tenant.id, (seen.get(tenant.id) ?? new Set()).add(dataSource));
            const [identity] = await dataSource.query<Identity[]>('SELECT current_user AS login, current_database() AS db');
            if (identity.login !== tenant.login || identity.db !== tenant.database) mismatches.push(tenant.code);
          });
        }
      }),
    );
    expect(mismatches).toEqual([]);
    // Pools were really evicted and opened again, many times over.
    expect([...seen.values()].every((dataSources) => dataSources.size > 1)).toBe(true);
    expect(manager.openPools).toBeLessThanOrEqual(4);
    await waitFor(async () => manager.retiringPools === 0);
  });

  it('closes an evicted or invalidated pool only after its in-flight query finishes', async () => {
    const tenant = tenants[20];
    const { context, manager, resolver } = await boot({ maxConnections: 10, acquireTimeoutMs: patient }, [tenant]);
    // The tenant's query waits on a lock this superuser session holds, so it is in flight for exactly as long as the test says.
    const blocker = new Client({ connectionString: env.databaseUrl(tenant.database) });
    await blocker.connect();
    const lock = 0x7e57;
    await blocker.query('SELECT pg_advisory_lock($1)', [lock]);
    try {
      let first: DataSource | undefined;
      let closed!: () => void;
      const afterClose = new Promise<void>((resolve) => (closed = resolve));
      const slow = context.runInTenant(tenant.id, async () => {
        first = await context.dataSource();
        const answer = first.query('SELECT pg_advisory_xact_lock($1), current_user AS login', [lock]);
        await waitFor(async () => (await waitingOnLock(tenant.login)) === 1);
        manager.close(tenant.id);
        closed();
        // Still the same unit of work: it keeps its DataSource after the pool was taken out of service.
        expect(await context.dataSource()).toBe(first);
        return answer;
      });
      await afterClose;
      const second = await manager.lease(await resolver.resolveActive(tenant.id));
      expect(second.dataSource).not.toBe(first);
      second.release();
      // The query is still blocked: the retired pool must still be open under it.
      expect(first?.isInitialized).toBe(true);
      expect(manager.retiringPools).toBe(1);
      await blocker.query('SELECT pg_advisory_unlock($1)', [lock]);
      const [row] = (await slow) as Array<{ login: string }>;
      expect(row.login).toBe(tenant.login);
      await waitFor(async () => first?.isInitialized === false);
    } finally {
      await blocker.end();
    }
  });

  it('makes a query wait for a free slot, and fails it with a 503-category error when none frees in time', async () => {
    const [a, b, c] = tenants.slice(30, 33);
    /** A service whose two slots a and b hold with a two-second query; counts the holders that finished. */
    const holdBoth = async (acquireTimeoutMs: number) => {
      const { context, manager } = await boot({ maxConnections: 2, poolSize: 1, acquireTimeoutMs }, [a, b, c]);
      const held = { context, finished: 0, holders: Promise.resolve([] as Identity[]) };
      held.holders = Promise.all(
        [a, b].map((tenant) => whoAmI(context, tenant, 'SELECT pg_sleep(2), current_user AS login, current_database() AS db').finally(() => (held.finished += 1))),
      );
      await waitFor(async () => manager.budget.inUse === 2);
      return held;
    };

    const waiting = await holdBoth(patient);
    await expect(whoAmI(waiting.context, c)).resolves.toEqual({ login: c.login, db: c.database });
    // Served once a holder let its slot go, not beside them.
    expect(waiting.finished).toBeGreaterThan(0);
    await waiting.holders;

    const hasty = await holdBoth(300);
    await expect(whoAmI(hasty.context, c)).rejects.toBeInstanceOf(TenantConnectionsExhausted);
    // It gave up after its own wait, while both slots were still held.
    expect(hasty.finished).toBe(0);
    await hasty.holders;
  });

  it("frees a slot held by another tenant's idle connection when the cap is reached", async () => {
    // Connections go idle only after ten minutes: b can get the one slot only by a reclaim.
    const [a, b] = tenants.slice(40, 42);
    const { context, manager } = await boot({ maxConnections: 1, poolSize: 1, acquireTimeoutMs: patient, connectionIdleMs: 600_000 }, [a, b]);
    expect(await whoAmI(context, a)).toEqual({ login: a.login, db: a.database });
    expect(await whoAmI(context, b)).toEqual({ login: b.login, db: b.database });
    expect(manager.budget.inUse).toBe(1);
    expect(await whoAmI(context, a)).toEqual({ login: a.login, db: a.database });
  });

  it("closes pools that stay idle, and opens a new pool when the tenant's credentials were rotated", async () => {
    const { context, manager, resolver } = await boot({ poolIdleMs: 500 });
    const tenant = tenants[50];
    const route = await resolver.resolveActive(tenant.id);
    const lease = await manager.lease(route);
    const rotatedSecret = await createSecretProtector(env.settings(secretsSettings)).protect('a-new-password', tenant.id);
    const rotated = await manager.lease({ ...route, database: { ...route.database, secret: rotatedSecret } });
    expect(rotated.dataSource).not.toBe(lease.dataSource);
    lease.release();
    await waitFor(async () => !lease.dataSource.isInitialized);
    rotated.release();
    expect(await whoAmI(context, tenants[51])).toMatchObject({ login: tenants[51].login });
    await waitFor(async () => manager.openPools === 0);
    await waitFor(async () => manager.budget.inUse === 0);
  });

  it('keeps the connections of tenants that fit under the cap: once warm, no connection is opened again', async () => {
    const busy = tenants.slice(100, 120);
    const { context, manager } = await boot({ maxConnections: 50, poolSize: 5, acquireTimeoutMs: patient }, busy);
    // Loop i always asks for tenant i % 20: ten tenants have at most 3 requests in flight, ten have 2,
    // 50 in all, so together they fit under the cap exactly, however the machine schedules them.
    const run = async (queries: number) => {
      await Promise.all(
        Array.from({ length: 50 }, async (_, loop) => {
          for (let i = 0; i < queries / 50; i += 1) await whoAmI(context, busy[loop % busy.length]);
        }),
      );
    };
    await run(2_000);
    // Every connection takes a permit before it connects: counting them counts the connections opened.
    const connects = jest.spyOn(manager.budget, 'acquire');
    await run(2_000);
    // Growing a pool by closing another's connection would reconnect on nearly every request.
    expect(connects.mock.calls.length).toBeLessThanOrEqual(2);
  });

  it("through the pooler, tenants' client connections count under the pooler's cap, not the server cap: each keeps its own, as its own login", async () => {
    const routed = tenants.slice(200, 240);
    const server = new URL(env.databaseUrl('postgres'));
    const address = { host: server.hostname, port: Number(server.port || 5432) };
    // The server stands in for a PgBouncer in front of itself: what is counted is which cap a connection takes, not what answers it.
    const { context, manager } = await boot({ maxConnections: 2, maxPoolerConnections: routed.length, poolSize: 1, acquireTimeoutMs: patient }, routed, {
      pooler: { ...address, serves: address },
    });
    const round = async () => {
      const identities = await Promise.all(routed.map((tenant) => whoAmI(context, tenant)));
      expect(identities).toEqual(routed.map((tenant) => ({ login: tenant.login, db: tenant.database })));
    };
    await round();
    const connects = jest.spyOn(manager.poolerBudget, 'acquire');
    await round();
    expect(manager.budget.inUse).toBe(0);
    expect(manager.poolerBudget.inUse).toBe(routed.length);
    // One client connection per tenant, kept: the second round opened none.
    expect(connects).not.toHaveBeenCalled();
  });
});

/** Waits for an event; the deadline only ends a test whose event never comes. */
async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}
