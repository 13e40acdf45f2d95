import { serverlessRunner } from './lint/recording-query-runner';
import { TENANT_DIALECTS, type TenantDialect } from './tenant-dialect';
import { MIGRATIONS_TABLE, schemaVersion, TENANT_MIGRATIONS } from './tenant-schema';

// Words that belong to one dialect only: seeing one in the other's SQL means a step was pasted across.
const FOREIGN: Record<TenantDialect, RegExp> = {
  postgres: /NEWID|SYSDATETIMEOFFSET|datetimeoffset|nvarchar|uniqueidentifier|IDENTITY\(|\[/i,
  mssql: /gen_random_uuid|timestamptz|\bnow\(\)|GENERATED\s+ALWAYS|\btext\b|\buuid\b|\$\d/i,
};

describe('TENANT_MIGRATIONS', () => {
  it.each(TENANT_DIALECTS.flatMap((dialect) => TENANT_MIGRATIONS.map((migration) => [migration.name, dialect] as const)))(
    '%s has its own %s SQL, up and down',
    async (name, dialect) => {
      const Migration = TENANT_MIGRATIONS.find((migration) => migration.name === name)!;
      for (const direction of ['up', 'down'] as const) {
        const sent: string[] = [];
        await new Migration()[direction](serverlessRunner(dialect, sent));
        expect(sent.length).toBeGreaterThan(0);
        for (const sql of sent) expect(sql).not.toMatch(FOREIGN[dialect]);
      }
    },
  );
});

describe('schemaVersion', () => {
  /** A RowQuery over a pretend database: answers the version queries from a table that is or is not there. */
  const database = (recorded: string[] | null) => {
    const sent: string[] = [];
    const query = async (sql: string, params?: unknown[]) => {
      sent.push(sql);
      expect(params).toBeUndefined();
      if (/to_regclass|OBJECT_ID/.test(sql)) return [{ present: recorded !== null }];
      return recorded?.length ? [{ name: recorded[recorded.length - 1] }] : [];
    };
    return { sent, query };
  };

  it('reads SQL Server through OBJECT_ID and TOP (1), with no parameter placeholders', async () => {
    const empty = database(null);
    expect(await schemaVersion(empty.query, 'mssql')).toBeNull();
    expect(empty.sent).toEqual([expect.stringContaining(`OBJECT_ID(N'${MIGRATIONS_TABLE}', N'U')`)]);

    const migrated = database(['CreateCustomers1764000000000', 'CreateOrders1764000001000']);
    expect(await schemaVersion(migrated.query, 'mssql')).toBe('CreateOrders1764000001000');
    expect(migrated.sent[1]).toBe(`SELECT TOP (1) name FROM ${MIGRATIONS_TABLE} ORDER BY [timestamp] DESC, id DESC`);
  });

  it('reads PostgreSQL through to_regclass by default, as the PostgreSQL engine calls it', async () => {
    const migrated = database(['CreateCustomers1764000000000']);
    expect(await schemaVersion(migrated.query)).toBe('CreateCustomers1764000000000');
    expect(migrated.sent[0]).toContain(`to_regclass('${MIGRATIONS_TABLE}')`);
    expect(migrated.sent[1]).toContain('LIMIT 1');
  });
});
