import { createTestEnv, type TestEnv } from '@tenantry/common/testing';
import { DataSource } from 'typeorm';
import { ensureAdminDatabase, registryDataSourceOptions, REGISTRY_MIGRATIONS } from '../registry-data-source';
import { adminDatabaseSettings, registrySettings } from '../registry-options';
import { DatabaseServers1764000900000 } from './1764000900000-DatabaseServers';

/** An admin database that already held pools on two PostgreSQL servers and an elastic pool when DatabaseServers came. */
describe('DatabaseServers migration', () => {
  let env: TestEnv;

  beforeAll(() => {
    env = createTestEnv();
  });

  afterAll(async () => {
    await env.cleanup();
  });

  const migrate = async (migrations: typeof REGISTRY_MIGRATIONS) => {
    const registry = env.settings(registrySettings);
    const dataSource = await new DataSource({
      ...registryDataSourceOptions({ ...registry, connections: { ...registry.connections, poolSize: 1 } }),
      migrations,
    }).initialize();
    try {
      await dataSource.runMigrations({ transaction: 'all' });
    } finally {
      await dataSource.destroy();
    }
  };
  const sql = <T extends Record<string, unknown>>(text: string, params: unknown[] = []) => env.sql<T>(text, params, env.adminDatabase);

  it('puts every pool on one server per address, named after its oldest pool, with room for all its pools', async () => {
    await ensureAdminDatabase(env.settings(adminDatabaseSettings));
    await migrate(REGISTRY_MIGRATIONS.slice(0, REGISTRY_MIGRATIONS.indexOf(DatabaseServers1764000900000)));
    const elastic = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-weu-1/elasticPools/pool-a';
    await sql(
      `INSERT INTO database_pools (name, engine, host, port, max_databases, created_at) VALUES ('local-pg', 'postgres', 'h', 5432, 500, now() - interval '1 day')`,
    );
    await sql(`INSERT INTO database_pools (name, engine, host, port, max_databases, dedicated) VALUES ('acme-own', 'postgres', 'h', 5432, 4800, true)`);
    await sql(`INSERT INTO database_pools (name, engine, host, port, max_databases) VALUES ('other-pg', 'postgres', 'h2', 5432, 10)`);
    await sql(
      `INSERT INTO database_pools (name, engine, host, port, max_databases, elastic_pool_id, location) VALUES ('weu-a', 'azure-sql', 'sql-weu-1.database.windows.net', 1433, 500, $1, 'westeurope')`,
      [elastic],
    );

    await migrate(REGISTRY_MIGRATIONS);
    const servers = await sql(`SELECT name, engine, host, port, region, max_databases, credential_kind, draining FROM database_servers ORDER BY name`);
    expect(servers).toEqual([
      { name: 'local-pg', engine: 'postgres', host: 'h', port: 5432, region: 'local', max_databases: 5300, credential_kind: 'configured', draining: false },
      { name: 'other-pg', engine: 'postgres', host: 'h2', port: 5432, region: 'local', max_databases: 5000, credential_kind: 'configured', draining: false },
      {
        name: 'weu-a',
        engine: 'azure-sql',
        host: 'sql-weu-1.database.windows.net',
        port: 1433,
        region: 'westeurope',
        max_databases: 5000,
        credential_kind: 'managed-identity',
        draining: false,
      },
    ]);
    const pools = await sql(`SELECT p.name, s.name AS server FROM database_pools p JOIN database_servers s ON s.id = p.server_id ORDER BY p.name`);
    expect(pools).toEqual([
      { name: 'acme-own', server: 'local-pg' },
      { name: 'local-pg', server: 'local-pg' },
      { name: 'other-pg', server: 'other-pg' },
      { name: 'weu-a', server: 'weu-a' },
    ]);
    await expect(sql(`INSERT INTO database_pools (name, engine, host, port, max_databases) VALUES ('orphan', 'postgres', 'h', 5432, 1)`)).rejects.toThrow(/server_id/);
  });
});
