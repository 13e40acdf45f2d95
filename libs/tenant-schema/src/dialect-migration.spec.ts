import type { QueryRunner } from 'typeorm';
import { DialectMigration, type PerDialect } from './dialect-migration';
import { DialectUnsupported } from './dialect-unsupported.error';
import { serverlessRunner } from './lint/recording-query-runner';

class AddChannel1764000003000 extends DialectMigration {
  readonly phase = 'expand' as const;
  protected readonly upSteps = {
    postgres: [`ALTER TABLE orders ADD COLUMN channel text`, async (q: QueryRunner) => q.query(`SELECT 'pg helper'`)],
    mssql: [`ALTER TABLE orders ADD channel nvarchar(20) NULL`, async (q: QueryRunner) => q.query(`SELECT 'mssql helper'`)],
  };
  protected readonly downSteps = {
    postgres: [`ALTER TABLE orders DROP COLUMN channel`],
    mssql: [`ALTER TABLE orders DROP COLUMN channel`],
  };
}

describe('DialectMigration', () => {
  it.each([
    ['postgres', [`ALTER TABLE orders ADD COLUMN channel text`, `SELECT 'pg helper'`]],
    ['mssql', [`ALTER TABLE orders ADD channel nvarchar(20) NULL`, `SELECT 'mssql helper'`]],
  ] as const)('runs its %s steps, SQL and QueryRunner calls in order, on that QueryRunner', async (dialect, expected) => {
    const sent: string[] = [];
    await new AddChannel1764000003000().up(serverlessRunner(dialect, sent));
    expect(sent).toEqual(expected);
    const reverted: string[] = [];
    await new AddChannel1764000003000().down(serverlessRunner(dialect, reverted));
    expect(reverted).toEqual([`ALTER TABLE orders DROP COLUMN channel`]);
  });

  it('refuses a database that is neither PostgreSQL nor SQL Server', async () => {
    const query = jest.fn();
    const mysql = { connection: { driver: { options: { type: 'mysql' } } }, query } as unknown as QueryRunner;
    await expect(new AddChannel1764000003000().up(mysql)).rejects.toThrow(DialectUnsupported);
    expect(query).not.toHaveBeenCalled();
  });

  it('refuses to run when the steps for the dialect are missing (the type demands them; a cast or plain JS can still drop them)', async () => {
    class PostgresOnly1764000009000 extends DialectMigration {
      readonly phase = 'expand' as const;
      protected readonly upSteps = { postgres: [`CREATE TABLE t (id int)`] } as unknown as PerDialect;
      protected readonly downSteps = { postgres: [], mssql: [] };
    }
    const sent: string[] = [];
    await expect(new PostgresOnly1764000009000().up(serverlessRunner('mssql', sent))).rejects.toMatchObject({
      code: 'TENANT_SCHEMA_DIALECT_UNSUPPORTED',
      message: 'migration PostgresOnly1764000009000 declares no steps for mssql',
    });
    expect(sent).toEqual([]);
  });
});
