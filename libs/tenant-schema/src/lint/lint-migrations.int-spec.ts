import { createTestEnv, type TestEnv } from '@tenantry/testing';
import type { QueryRunner } from 'typeorm';
import { TENANT_MIGRATIONS } from '../tenant-schema';
import type { TenantMigration } from '../migration-phase';
import { lintMigrations } from './lint-migrations';

class AddChannel1764000003000 implements TenantMigration {
  readonly phase = 'expand' as const;
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders ADD COLUMN channel text`);
    await q.query(`CREATE INDEX orders_channel ON orders (channel)`);
  }
  async down(): Promise<void> {}
}

class DropStatus1764000004000 implements TenantMigration {
  readonly phase = 'expand' as const;
  async up(q: QueryRunner): Promise<void> {
    // Through a QueryRunner helper, not raw SQL: the lint sees what it really executes.
    await q.dropColumn('orders', 'status');
  }
  async down(): Promise<void> {}
}

class DropStatusLater1764000005000 implements TenantMigration {
  readonly phase = 'contract' as const;
  readonly dependsOn = 'AddChannel1764000003000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders DROP COLUMN status`);
  }
  async down(): Promise<void> {}
}

describe('lint of tenant migrations (on the SQL they execute on a scratch database)', () => {
  let env: TestEnv;

  beforeAll(() => {
    env = createTestEnv();
  });

  afterAll(async () => {
    await env.cleanup();
  });

  it('passes the real tenant migrations', async () => {
    const { findings, executed } = await lintMigrations(env.config.tenantServer.adminUrl, TENANT_MIGRATIONS);
    expect(findings).toEqual([]);
    expect(Object.keys(executed)).toHaveLength(TENANT_MIGRATIONS.length);
  });

  it('refuses DROP COLUMN in an expand migration, naming the file and the statement; allows it in a contract one', async () => {
    const { findings } = await lintMigrations(env.config.tenantServer.adminUrl, [
      ...TENANT_MIGRATIONS,
      AddChannel1764000003000,
      DropStatus1764000004000,
    ]);
    expect(findings).toEqual([
      {
        migration: 'DropStatus1764000004000',
        file: 'libs/tenant-schema/src/migrations/1764000004000-DropStatus.ts',
        reason: 'drops a column',
        statement: expect.stringMatching(/ALTER TABLE "orders" DROP COLUMN "status"/),
      },
    ]);
    const contract = await lintMigrations(env.config.tenantServer.adminUrl, [...TENANT_MIGRATIONS, AddChannel1764000003000, DropStatusLater1764000005000]);
    expect(contract.findings).toEqual([]);
    const scratch = await env.sql(`SELECT 1 FROM pg_database WHERE datname LIKE 'tenantry_lint_%'`);
    expect(scratch).toHaveLength(0);
  });
});
