import { surviveConnectionErrors } from '@tenantry/common';
import { Client, escapeIdentifier } from 'pg';
import { DataSource, type DataSourceOptions, type QueryRunner } from 'typeorm';
import { AuditEventEntity } from './entities/audit-event.entity';
import { DatabasePoolEntity } from './entities/database-pool.entity';
import { DatabaseServerEntity } from './entities/database-server.entity';
import { OperationEntity } from './entities/operation.entity';
import { TenantDatabaseEntity } from './entities/tenant-database.entity';
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
import { TenantDrift1765000400000 } from './migrations/1765000400000-TenantDrift';
import type { AdminDatabaseOptions, RegistryConnectionOptions, RegistryOptions } from './registry-options';

export const REGISTRY_ENTITIES = [DatabaseServerEntity, DatabasePoolEntity, TenantEntity, TenantDatabaseEntity, OperationEntity, AuditEventEntity];
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
  TenantDrift1765000400000,
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

/** Creates the admin database when it does not exist yet (a fresh machine has none). */
export async function ensureAdminDatabase(adminDb: AdminDatabaseOptions): Promise<boolean> {
  const maintenance = new URL(adminDb.url);
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: maintenance.toString() });
  surviveConnectionErrors(client, 'admin database bootstrap session');
  await client.connect();
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
const MIGRATION_CONNECTIONS: RegistryConnectionOptions = { poolSize: 2, waitMs: 5_000 };

// Serialises concurrent migrators (several apps starting at once); TypeORM's own run takes no lock.
const REGISTRY_MIGRATION_LOCK = 7_340_001;

/** Creates the admin database if needed, closes it to PUBLIC and applies pending registry migrations; returns their names. */
export async function migrateRegistry(adminDb: AdminDatabaseOptions): Promise<string[]> {
  await ensureAdminDatabase(adminDb);
  const dataSource = new DataSource(registryDataSourceOptions({ adminDb, connections: MIGRATION_CONNECTIONS }));
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
