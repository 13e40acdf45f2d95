import { migrationsUpTo, MIGRATIONS_TABLE, TENANT_MIGRATIONS } from '@tenantry/tenant-schema';
import { DataSource, type DataSourceOptions, type Logger as TypeOrmLogger } from 'typeorm';

// TypeORM prints its migration lines on stdout whatever `logging` says; the caller reports each outcome itself.
const QUIET: TypeOrmLogger = { logQuery() {}, logQueryError() {}, logQuerySlow() {}, logSchemaBuild() {}, logMigration() {}, log() {} };

type Fixed = 'migrations' | 'migrationsTableName' | 'synchronize' | 'logger' | 'logging';

/** How an engine reaches one tenant database as its own admin identity: server, credentials, driver options. */
export type TenantDatabaseConnection = Omit<Extract<DataSourceOptions, { type: 'postgres' }>, Fixed> | Omit<Extract<DataSourceOptions, { type: 'mssql' }>, Fixed>;

/**
 * A TypeORM data source on one tenant database that knows the tenant migrations (those up to
 * `upTo` only, when given: a scratch database built at an older version), open for the duration of `work`.
 */
export async function withMigrationDataSource<T>(connection: TenantDatabaseConnection, work: (dataSource: DataSource) => Promise<T>, upTo?: string): Promise<T> {
  const dataSource = new DataSource({
    ...connection,
    migrations: upTo === undefined ? TENANT_MIGRATIONS : migrationsUpTo(upTo),
    migrationsTableName: MIGRATIONS_TABLE,
    synchronize: false,
    logger: QUIET,
  });
  await dataSource.initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}
