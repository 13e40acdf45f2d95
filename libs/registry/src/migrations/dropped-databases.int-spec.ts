import { createTestEnv, type TestEnv } from '@tenantry/common/testing';
import { DataSource } from 'typeorm';
import { ensureAdminDatabase, registryDataSourceOptions, REGISTRY_MIGRATIONS } from '../registry-data-source';
import { adminDatabaseSettings, registrySettings } from '../registry-options';
import { DroppedDatabases1764000620000 } from './1764000620000-DroppedDatabases';

/** An admin database that already held offboarded tenants when DroppedDatabases came. */
describe('DroppedDatabases migration', () => {
  let env: TestEnv;

  beforeAll(() => {
    env = createTestEnv();
  });

  afterAll(async () => {
    await env.cleanup();
  });

  const migrate = async (migrations: typeof REGISTRY_MIGRATIONS) => {
    const registry = env.settings(registrySettings);
    const dataSource = await new DataSource({ ...registryDataSourceOptions({ ...registry, connections: { ...registry.connections, poolSize: 1 } }), migrations }).initialize();
    try {
      await dataSource.runMigrations({ transaction: 'all' });
    } finally {
      await dataSource.destroy();
    }
  };
  const sql = <T extends Record<string, unknown>>(text: string, params: unknown[] = []) => env.sql<T>(text, params, env.adminDatabase);

  it('marks the databases of tenants deleted before it as dropped when their tenant was deleted; a present one must keep its pool', async () => {
    await ensureAdminDatabase(env.settings(adminDatabaseSettings));
    await migrate(REGISTRY_MIGRATIONS.slice(0, REGISTRY_MIGRATIONS.indexOf(DroppedDatabases1764000620000)));
    const [pool] = await sql<{ id: string }>(`INSERT INTO database_pools (name, engine, host, port, max_databases) VALUES ('p', 'postgres', 'h', 5432, 5) RETURNING id`);
    const deletedAt = new Date('2026-10-01T12:00:00Z');
    const [gone] = await sql<{ id: string }>(
      `INSERT INTO tenants (code, name, plan, region, status, deleted_at) VALUES ('gone', 'gone', 'standard', 'local', 'deleted', $1) RETURNING id`,
      [deletedAt],
    );
    const [kept] = await sql<{ id: string }>(`INSERT INTO tenants (code, name, plan, region, status) VALUES ('kept', 'kept', 'standard', 'local', 'active') RETURNING id`);
    for (const tenant of [gone, kept]) {
      await sql(`INSERT INTO tenant_databases (tenant_id, pool_id, engine, host, port, database_name, login_name) VALUES ($1, $2, 'postgres', 'h', 5432, $3, $3)`, [
        tenant.id,
        pool.id,
        `tenant_${tenant.id}`,
      ]);
    }

    await migrate(REGISTRY_MIGRATIONS);
    const rows = await sql<{ tenant_id: string; dropped_at: Date | null }>(`SELECT tenant_id, dropped_at FROM tenant_databases`);
    expect(Object.fromEntries(rows.map((row) => [row.tenant_id, row.dropped_at]))).toEqual({ [gone.id]: deletedAt, [kept.id]: null });
    await expect(sql(`UPDATE tenant_databases SET pool_id = NULL WHERE tenant_id = $1`, [kept.id])).rejects.toThrow(/tenant_databases_pool_until_dropped/);
    await sql(`UPDATE tenant_databases SET pool_id = NULL WHERE tenant_id = $1`, [gone.id]);
  });
});
