import {
  CURRENT_TENANT_SCHEMA_VERSION,
  pendingMigrations,
  SCHEMA_CATALOG_QUERIES,
  schemaVersion,
  snapshotFromCatalog,
  type SchemaReading,
} from '@tenantry/tenant-schema';
import { Int, NVarChar } from 'mssql';
import { withMigrationDataSource } from '../migration-data-source';
import type { SchemaOutcome, TenantDatabaseTarget } from '../tenant-database-engine';
import { LONG_REQUEST_MS, type SqlServerConnections } from './sql-server-connections';

const MIGRATION_LOCK = 'tenantry:tenant-migrations';
const LOCK_WAIT_MS = 10 * 60_000;

/**
 * Tenant migrations on SQL Server, through a TypeORM `mssql` data source, under an exclusive
 * application lock held by a session of its own in the tenant database (the SQL Server twin of the
 * PostgreSQL engine's advisory lock): a second runner waits, then finds the database current.
 */
export class SqlServerMigrations {
  constructor(private readonly connections: SqlServerConnections) {}

  pending(target: TenantDatabaseTarget): Promise<string[]> {
    return this.connections.retrying(async () => {
      const connection = await this.connections.migrationConnection(target.address, target.databaseName);
      return withMigrationDataSource(connection, (dataSource) => pendingMigrations(dataSource));
    });
  }

  async apply(target: TenantDatabaseTarget): Promise<SchemaOutcome> {
    return this.connections.withConnection(
      target.address,
      target.databaseName,
      async (lock) => {
        const { recordset } = await lock.request().input('resource', NVarChar(255), MIGRATION_LOCK).input('wait', Int, LOCK_WAIT_MS).query<{
          granted: number;
        }>(`DECLARE @granted int;
            EXEC @granted = sp_getapplock @Resource = @resource, @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = @wait;
            SELECT @granted AS granted`);
        const { granted } = recordset[0];
        if (granted < 0) throw new Error(`could not take the migration lock on ${target.databaseName} (sp_getapplock returned ${granted})`);
        try {
          const connection = await this.connections.migrationConnection(target.address, target.databaseName);
          return await withMigrationDataSource(connection, async (dataSource) => {
            if ((await pendingMigrations(dataSource)).length === 0) return { applied: [], version: CURRENT_TENANT_SCHEMA_VERSION };
            // runMigrations applies every pending migration or throws, so afterwards the database is at the newest this code knows.
            const applied = await dataSource.runMigrations({ transaction: 'each' });
            return { applied: applied.map((migration) => migration.name), version: CURRENT_TENANT_SCHEMA_VERSION };
          });
        } finally {
          await lock.request().input('resource', NVarChar(255), MIGRATION_LOCK).query(`EXEC sp_releaseapplock @Resource = @resource, @LockOwner = 'Session'`);
        }
      },
      LOCK_WAIT_MS + LONG_REQUEST_MS,
    );
  }

  /** The schema as sys.* says it is: one batch (SCHEMA_CATALOG_QUERIES.mssql); then the version the database records. */
  readSchema(target: TenantDatabaseTarget): Promise<SchemaReading> {
    return this.connections.withConnection(target.address, target.databaseName, async (connection) => {
      const query = async (sql: string) => (await connection.request().query<Record<string, unknown>>(sql)).recordset;
      return { snapshot: snapshotFromCatalog((await query(SCHEMA_CATALOG_QUERIES.mssql))[0]), version: await schemaVersion(query, 'mssql') };
    });
  }

  /** Migrates a scratch database to `version` exactly (no lock: nobody else knows its name). */
  async migrateTo(target: TenantDatabaseTarget, version: string): Promise<void> {
    await this.connections.retrying(async () => {
      const connection = await this.connections.migrationConnection(target.address, target.databaseName);
      await withMigrationDataSource(connection, (dataSource) => dataSource.runMigrations({ transaction: 'each' }), version);
    });
  }
}
