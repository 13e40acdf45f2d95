import { startThrowawayPgBouncer, waitFor, type ThrowawayPgBouncer } from '@tenantry/common/testing';
import { provisionTenant, usePostgresEngine } from '@tenantry/engines/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { enginesSettings } from '../engines-options';
import type { TenantDatabaseTarget } from '../tenant-database-engine';
import { BUDGET_LOW } from './pooler-budget';
import { PostgresEngine } from './postgres.engine';

/**
 * The server-wide cap on a real PgBouncer (a long server_idle_timeout, so only the cap closes
 * anything): three groups of tenants used a second apart (the console's request_time has 1 s
 * resolution); the least recently used give their server connections back, a tenant in a
 * transaction never does, and a closed tenant's next query simply opens a new one.
 */
describe('PostgresEngine.holdPoolerBudget (real server, real pooler)', () => {
  const fixture = usePostgresEngine();
  let pooler: ThrowawayPgBouncer;
  let engine: PostgresEngine;
  const clients: Client[] = [];
  const groups: Record<'a' | 'b' | 'c', Array<{ t: TenantDatabaseTarget; client: Client }>> = { a: [], b: [], c: [] };

  beforeAll(async () => {
    const env = fixture.env();
    pooler = await startThrowawayPgBouncer(env.databaseUrl('postgres'), { poolSize: 1, serverIdleTimeoutSeconds: 600 });
    const { adminUrl, exportDir } = env.settings(enginesSettings).postgres;
    engine = new PostgresEngine({ adminUrl, exportDir, pooler: { authLookup: true, adminUrl: pooler.adminUrl } });
    for (const group of ['a', 'b', 'c'] as const) {
      for (const n of [0, 1, 2]) {
        const t = fixture.target(`${group}${n}`);
        await provisionTenant(engine, t, `pw-${group}${n}`);
        groups[group].push({ t, client: await viaPooler(t, `pw-${group}${n}`) });
      }
    }
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    await engine?.close();
    await pooler?.cleanup();
  });

  async function viaPooler(t: TenantDatabaseTarget, password: string): Promise<Client> {
    const client = new Client({ host: '127.0.0.1', port: pooler.port, user: t.loginName, password, database: t.databaseName, application_name: 'pooler-budget-test' });
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  }

  const servers = () => pooler.console<{ database: string; state: string }>('SHOW SERVERS');
  const held = async (t: TenantDatabaseTarget) => (await servers()).filter((server) => server.database === t.databaseName).length;

  it('closes the least recently used databases down to 95 % of the budget, never one in a transaction, and their tenants go on', async () => {
    const [oldest, ...rest] = groups.a;
    await oldest.client.query('BEGIN');
    await oldest.client.query('SELECT 1');
    for (const { client } of rest) await client.query('SELECT 1');
    await sleep(1_100);
    for (const { client } of groups.b) await client.query('SELECT 1');
    await sleep(1_100);
    for (const { client } of groups.c) await client.query('SELECT 1');
    for (const { t } of [...groups.a, ...groups.b, ...groups.c]) expect(await held(t)).toBeGreaterThan(0);

    const before = (await servers()).length;
    expect(await engine.holdPoolerBudget(before + 10)).toEqual([]);
    const budget = before - 1;
    const closed = await engine.holdPoolerBudget(budget);

    expect(closed.length).toBeGreaterThan(0);
    expect(closed).not.toContain(oldest.t.databaseName);
    const order = [...rest, ...groups.b, ...groups.c].map(({ t }) => t.databaseName);
    expect(closed).toEqual(order.slice(0, closed.length));
    await waitFor(async () => (await servers()).length <= Math.floor(budget * BUDGET_LOW), 5_000);
    for (const { t } of groups.c) expect(await held(t)).toBeGreaterThan(0);
    expect(await held(oldest.t)).toBeGreaterThan(0);

    await oldest.client.query('COMMIT');
    for (const { client } of rest) expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });
});
