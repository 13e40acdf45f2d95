import { createTestEnv, type TestEnv, TEST_MSSQL_URL } from '@tenantry/common/testing';
import type { QueryRunner } from 'typeorm';
import { DialectMigration } from '../dialect-migration';
import { TENANT_MIGRATIONS } from '../tenant-schema';
import { lintMigrations, type LintTargets } from './lint-migrations';

// Opt-in: with a SQL Server the T-SQL runs on a scratch database there, otherwise it is recorded.
const MSSQL_URL = TEST_MSSQL_URL;

class AddChannel1764000003000 extends DialectMigration {
  readonly phase = 'expand' as const;
  protected readonly upSteps = {
    postgres: [`ALTER TABLE orders ADD COLUMN channel text`, `CREATE INDEX orders_channel ON orders (channel)`],
    mssql: [`ALTER TABLE orders ADD channel nvarchar(20) NULL`, `CREATE INDEX orders_channel ON orders (channel)`],
  };
  protected readonly downSteps = { postgres: [], mssql: [] };
}

class DropStatus1764000004000 extends DialectMigration {
  readonly phase = 'expand' as const;
  protected readonly upSteps = {
    // Through a QueryRunner helper, not raw SQL: the lint sees what it really executes.
    postgres: [(q: QueryRunner) => q.dropColumn('orders', 'status')],
    // On SQL Server the default is a constraint of its own, dropped before the column.
    mssql: [`ALTER TABLE orders DROP CONSTRAINT DF_orders_status`, `ALTER TABLE orders DROP COLUMN status`],
  };
  protected readonly downSteps = { postgres: [], mssql: [] };
}

class DropStatusLater1764000005000 extends DialectMigration {
  readonly phase = 'contract' as const;
  readonly dependsOn = 'AddChannel1764000003000';
  protected readonly upSteps = {
    postgres: [`ALTER TABLE orders DROP COLUMN status`],
    mssql: [`ALTER TABLE orders DROP CONSTRAINT DF_orders_status`, `ALTER TABLE orders DROP COLUMN status`],
  };
  protected readonly downSteps = { postgres: [], mssql: [] };
}

// The PostgreSQL side is additive; its T-SQL twin forgot the default, which breaks old inserts there only.
class AddSource1764000006000 extends DialectMigration {
  readonly phase = 'expand' as const;
  protected readonly upSteps = {
    postgres: [`ALTER TABLE orders ADD COLUMN source text NOT NULL DEFAULT 'web'`],
    mssql: [`ALTER TABLE orders ADD source nvarchar(20) NOT NULL`],
  };
  protected readonly downSteps = { postgres: [], mssql: [] };
}

describe('lint of tenant migrations (on the SQL they send, in both dialects)', () => {
  let env: TestEnv;
  let targets: LintTargets;

  beforeAll(() => {
    env = createTestEnv();
    targets = { postgresUrl: env.databaseUrl('postgres'), mssqlUrl: MSSQL_URL };
    if (!MSSQL_URL) console.warn('lint int-spec: MSSQL_URL is not set, so the T-SQL is recorded without a SQL Server instead of run on one');
  });

  afterAll(async () => {
    await env.cleanup();
  });

  it('passes the real tenant migrations on both dialects, saying how each one was checked', async () => {
    const { findings, runs } = await lintMigrations(targets, TENANT_MIGRATIONS);
    expect(findings).toEqual([]);
    expect(runs.map(({ dialect, mode }) => ({ dialect, mode }))).toEqual([
      { dialect: 'postgres', mode: 'executed' },
      { dialect: 'mssql', mode: MSSQL_URL ? 'executed' : 'recorded' },
    ]);
    for (const run of runs) expect(Object.keys(run.executed)).toEqual(TENANT_MIGRATIONS.map((migration) => migration.name));
    const [postgres, mssql] = runs;
    expect(postgres.executed.CreateOrders1764000001000.join('\n')).toMatch(/GENERATED ALWAYS AS IDENTITY/);
    expect(mssql.executed.CreateOrders1764000001000.join('\n')).toMatch(/bigint IDENTITY\(1, 1\)/);
    expect(mssql.executed.CreateCustomers1764000000000.join('\n')).toMatch(/DEFAULT NEWID\(\)[\s\S]*datetimeoffset/);
  });

  it('refuses DROP COLUMN in an expand migration on each dialect, naming the dialect, file and statement; allows it in a contract one', async () => {
    const { findings } = await lintMigrations(targets, [...TENANT_MIGRATIONS, AddChannel1764000003000, DropStatus1764000004000]);
    const file = 'libs/tenant-schema/src/migrations/1764000004000-DropStatus.ts';
    expect(findings).toEqual([
      { dialect: 'postgres', migration: 'DropStatus1764000004000', file, reason: 'drops a column', statement: expect.stringMatching(/ALTER TABLE "orders" DROP COLUMN "status"/) },
      { dialect: 'mssql', migration: 'DropStatus1764000004000', file, reason: expect.stringContaining('drops a default'), statement: 'ALTER TABLE orders DROP CONSTRAINT DF_orders_status' },
      { dialect: 'mssql', migration: 'DropStatus1764000004000', file, reason: 'drops a column', statement: 'ALTER TABLE orders DROP COLUMN status' },
    ]);
    const contract = await lintMigrations(targets, [...TENANT_MIGRATIONS, AddChannel1764000003000, DropStatusLater1764000005000]);
    expect(contract.findings).toEqual([]);
    const scratch = await env.sql(`SELECT 1 FROM pg_database WHERE datname LIKE 'tenantry_lint_%'`);
    expect(scratch).toHaveLength(0);
  });

  it('refuses a T-SQL side that breaks old inserts even when the PostgreSQL side is additive', async () => {
    const { findings } = await lintMigrations(targets, [...TENANT_MIGRATIONS, AddSource1764000006000]);
    expect(findings).toEqual([
      {
        dialect: 'mssql',
        migration: 'AddSource1764000006000',
        file: 'libs/tenant-schema/src/migrations/1764000006000-AddSource.ts',
        reason: 'adds a NOT NULL column without a default (old inserts would fail)',
        statement: 'ALTER TABLE orders ADD source nvarchar(20) NOT NULL',
      },
    ]);
  });

  (MSSQL_URL ? it.skip : it)('without a SQL Server, says so when a QueryRunner helper needs to read the schema', async () => {
    class DropWithHelper1764000007000 extends DialectMigration {
      readonly phase = 'contract' as const;
      readonly dependsOn = 'CreateOrders1764000001000';
      protected readonly upSteps = {
        postgres: [],
        mssql: [(q: QueryRunner) => q.dropColumn('orders', 'status')],
      };
      protected readonly downSteps = { postgres: [], mssql: [] };
    }
    await expect(lintMigrations(targets, [...TENANT_MIGRATIONS, DropWithHelper1764000007000])).rejects.toThrow(/set MSSQL_URL/);
  });
});
