import { createTestEnv, type TestEnv } from '@tenantry/common/testing';
import { Client } from 'pg';
import { DataSource, type QueryRunner } from 'typeorm';
import type { TenantMigration } from './migration-phase';
import { MIGRATIONS_TABLE, migrateTenantDatabase, TENANT_MIGRATIONS } from './tenant-schema';

// The benchmark's expand migration: a nullable column and an index, as a new app version would add them.
class AddChannel1764000003000 implements TenantMigration {
  readonly phase = 'expand' as const;
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders ADD COLUMN channel text`);
    await q.query(`CREATE INDEX orders_channel ON orders (channel)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX orders_channel`);
    await q.query(`ALTER TABLE orders DROP COLUMN channel`);
  }
}

describe('an expand migration keeps the previous app version working', () => {
  let env: TestEnv;
  const database = () => `expand_${env.label}`;
  const dataSource = (migrations: Array<new () => TenantMigration>) =>
    new DataSource({
      type: 'postgres',
      url: env.databaseUrl(database()),
      migrations,
      migrationsTableName: MIGRATIONS_TABLE,
      logging: false,
    });

  beforeAll(async () => {
    env = createTestEnv();
    await env.sql(`CREATE DATABASE ${database()}`);
    const current = await dataSource(TENANT_MIGRATIONS).initialize();
    await migrateTenantDatabase(current);
    await current.destroy();
  });

  afterAll(async () => {
    await env.cleanup();
  });

  it("serves the old version's reads and writes during and after the migration", async () => {
    const oldApp = new Client({ connectionString: env.databaseUrl(database()) });
    await oldApp.connect();
    const errors: unknown[] = [];
    let queries = 0;
    let migrating = true;
    // The previous version names its columns and inserts without the new one.
    const oldVersion = (async () => {
      while (migrating) {
        try {
          await oldApp.query(`INSERT INTO orders (status, total_cents) VALUES ('open', 100)`);
          await oldApp.query(`SELECT id, number, status, total_cents, created_at FROM orders ORDER BY created_at DESC LIMIT 5`);
          queries += 2;
        } catch (error) {
          errors.push(error);
        }
      }
    })();
    const next = await dataSource([...TENANT_MIGRATIONS, AddChannel1764000003000]).initialize();
    const outcome = await migrateTenantDatabase(next);
    await new Promise((resolve) => setTimeout(resolve, 100));
    migrating = false;
    await oldVersion;
    await next.destroy();

    expect(outcome.applied).toEqual(['AddChannel1764000003000']);
    expect(errors).toEqual([]);
    expect(queries).toBeGreaterThan(2);
    const after = await oldApp.query(`SELECT id, status, total_cents FROM orders LIMIT 1`);
    expect(after.rows).toHaveLength(1);
    await oldApp.end();
  });
});
