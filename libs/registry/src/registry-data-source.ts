import { DependencyUnavailable, isConnectionFailure, surviveConnectionErrors } from '@tenantry/common';
import { Client, escapeIdentifier } from 'pg';
import { DataSource, type DataSourceOptions, type QueryRunner } from 'typeorm';
import { AuditEventEntity } from './entities/audit-event.entity';
import { DatabasePoolEntity } from './entities/database-pool.entity';
import { DatabaseServerEntity } from './entities/database-server.entity';
import { OperationEntity } from './entities/operation.entity';
import { RetiredDatabaseEntity } from './entities/retired-database.entity';
import { TenantBackupEntity } from './entities/tenant-backup.entity';
import { TenantDatabaseEntity } from './entities/tenant-database.entity';
import { TenantRestoreEntity } from './entities/tenant-restore.entity';
import { TenantEntity } from './entities/tenant.entity';
import { InitialRegistry1764000000000 } from './migrations/1764000000000-InitialRegistry';
import { DedicatedPools1764000100000 } from './migrations/1764000100000-DedicatedPools';
import { MigrationRuns1764000200000 } from './migrations/1764000200000-MigrationRuns';
import { CredentialRotation1764000300000 } from './migrations/1764000300000-CredentialRotation';
import { AzurePools1764000400000 } from './migrations/1764000400000-AzurePools';
import { MigrationRunLeases1764000510000 } from './migrations/1764000510000-MigrationRunLeases';
import { LoginOperations1764000540000 } from './migrations/1764000540000-LoginOperations';
import { PoolSlots1764000550000 } from './migrations/1764000550000-PoolSlots';
import { DroppedDatabases1764000620000 } from './migrations/1764000620000-DroppedDatabases';
import { OperationCheckpoints1764000700000 } from './migrations/1764000700000-OperationCheckpoints';
import { DataKeys1764000800000 } from './migrations/1764000800000-DataKeys';
import { DatabaseServers1764000900000 } from './migrations/1764000900000-DatabaseServers';
import { TenantMoves1765000200000 } from './migrations/1765000200000-TenantMoves';
import { TenantDrift1765000400000 } from './migrations/1765000400000-TenantDrift';
import { TenantBackups1765000500000 } from './migrations/1765000500000-TenantBackups';
import { ServerPoolers1765000600000 } from './migrations/1765000600000-ServerPoolers';
import { DEFAULT_ADMIN_DB_CONNECTION_WAIT_MS, type AdminDatabaseOptions, type RegistryOptions } from './registry-options';

export const REGISTRY_ENTITIES = [
  DatabaseServerEntity,
  DatabasePoolEntity,
  TenantEntity,
  TenantDatabaseEntity,
  OperationEntity,
  AuditEventEntity,
  RetiredDatabaseEntity,
  TenantBackupEntity,
  TenantRestoreEntity,
];
export const REGISTRY_MIGRATIONS = [
  InitialRegistry1764000000000,
  DedicatedPools1764000100000,
  MigrationRuns1764000200000,
  CredentialRotation1764000300000,
  AzurePools1764000400000,
  MigrationRunLeases1764000510000,
  LoginOperations1764000540000,
  PoolSlots1764000550000,
  DroppedDatabases1764000620000,
  OperationCheckpoints1764000700000,
  DataKeys1764000800000,
  DatabaseServers1764000900000,
  TenantMoves1765000200000,
  TenantDrift1765000400000,
  TenantBackups1765000500000,
  ServerPoolers1765000600000,
];

export function registryDataSourceOptions({ adminDb, connections }: Pick<RegistryOptions, 'adminDb' | 'connections'>): DataSourceOptions {
  return {
    type: 'postgres',
    url: adminDb.url,
    entities: REGISTRY_ENTITIES,
    migrations: REGISTRY_MIGRATIONS,
    migrationsTableName: 'registry_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: { max: connections.poolSize, connectionTimeoutMillis: connections.waitMs },
  };
}

// Between tries while the admin database's server takes no connection yet.
const CONNECT_RETRY_MS = 250;

/**
 * A session on `url` once its server takes one: while it is unreachable or still starting (a
 * connection failure: refused, 57P03, ...) it is tried again until `waitMs` has passed, then the
 * error says how long it waited and the last failure. Any other failure (a wrong password) is at once.
 */
async function connectWhenReady(url: string, waitMs: number): Promise<Client> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: Math.max(deadline - Date.now(), CONNECT_RETRY_MS) });
    surviveConnectionErrors(client, 'admin database bootstrap session');
    try {
      await client.connect();
      return client;
    } catch (error) {
      if (!isConnectionFailure(error)) throw error;
      if (Date.now() + CONNECT_RETRY_MS >= deadline) {
        const { hostname, port } = new URL(url);
        throw new DependencyUnavailable(
          `the admin database's server ${hostname}:${port || 5432} accepted no connection within ${waitMs} ms (ADMIN_DB_CONNECTION_WAIT_MS): ${(error as Error).message}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, CONNECT_RETRY_MS));
    }
  }
}

/** Creates the admin database when it does not exist yet (a fresh machine has none), once its server takes a connection. */
export async function ensureAdminDatabase(adminDb: AdminDatabaseOptions, waitMs = DEFAULT_ADMIN_DB_CONNECTION_WAIT_MS): Promise<boolean> {
  const maintenance = new URL(adminDb.url);
  maintenance.pathname = '/postgres';
  const client = await connectWhenReady(maintenance.toString(), waitMs);
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [adminDb.name]);
    if (rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(adminDb.name)}`);
    } catch (error) {
      if ((error as { code?: string }).code !== '42P04') throw error;
    }
    return true;
  } finally {
    await client.end();
  }
}

/**
 * Every role may connect to a new database: tenant logins, on the same server where it is the
 * tenant server too, could read the registry's catalog and hold sessions in it. Only this role
 * (granted first, in case it is not the owner) and superusers keep access; business services read
 * the registry with the same role.
 */
async function closeToPublic(runner: QueryRunner, name: string): Promise<void> {
  const database = escapeIdentifier(name);
  await runner.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO CURRENT_USER`);
  await runner.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${database} FROM PUBLIC`);
}

// Migrating holds one session of its own; nothing else queues for these connections.
const MIGRATION_POOL_SIZE = 2;

// Serialises concurrent migrators (several apps starting at once); TypeORM's own run takes no lock.
const REGISTRY_MIGRATION_LOCK = 7_340_001;

/**
 * Creates the admin database if needed, closes it to PUBLIC and applies pending registry migrations; returns their names.
 * `waitMs`: how long its server may take to accept a connection (ADMIN_DB_CONNECTION_WAIT_MS).
 */
export async function migrateRegistry(adminDb: AdminDatabaseOptions, waitMs = DEFAULT_ADMIN_DB_CONNECTION_WAIT_MS): Promise<string[]> {
  await ensureAdminDatabase(adminDb, waitMs);
  const dataSource = new DataSource(registryDataSourceOptions({ adminDb, connections: { poolSize: MIGRATION_POOL_SIZE, waitMs } }));
  await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [REGISTRY_MIGRATION_LOCK]);
    await closeToPublic(runner, adminDb.name);
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    return applied.map((migration) => migration.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [REGISTRY_MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
    await dataSource.destroy();
  }
}
