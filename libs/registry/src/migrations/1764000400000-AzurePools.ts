import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An Azure SQL pool is an elastic pool: its ARM resource id and region, both or neither (a plain
 * SQL Server pool has neither). Each tenant database keeps the ones it was created with, as it
 * keeps its host and port.
 */
export class AzurePools1764000400000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    for (const table of ['database_pools', 'tenant_databases']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN elastic_pool_id text, ADD COLUMN location text`);
      await q.query(`
        ALTER TABLE ${table} ADD CONSTRAINT ${table}_elastic_pool CHECK (
          (elastic_pool_id IS NULL AND location IS NULL)
          OR (elastic_pool_id IS NOT NULL AND location IS NOT NULL AND engine = 'azure-sql')
        )`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['database_pools', 'tenant_databases']) {
      await q.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_elastic_pool, DROP COLUMN elastic_pool_id, DROP COLUMN location`);
    }
  }
}
