import {
  CURRENT_TENANT_SCHEMA_VERSION,
  MIGRATIONS_TABLE,
  migrateTenantDatabase,
  pendingMigrations,
  schemaVersion,
  TENANT_MIGRATIONS,
} from '@tenantry/tenant-schema';
import { Client, escapeLiteral, Pool, type PoolClient } from 'pg';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import type { SchemaOutcome, TenantConnectionParams, TenantDatabaseEngine, TenantDatabaseTarget } from '../tenant-database-engine';
import { PostgresTemplates } from './postgres-templates';
import { scramVerifier } from './scram-verifier';
import { assertIdentifier, quoteIdent, tenantDatabaseNames } from '../tenant-names';

// Lost creation races: duplicate_database / duplicate_object, or a unique_violation on the catalog when both committed at once.
const ALREADY_EXISTS = new Set(['42P04', '42710', '23505']);

function alreadyExists(error: unknown): boolean {
  return ALREADY_EXISTS.has((error as { code?: string }).code ?? '');
}

const run = promisify(execFile);

const MIGRATION_LOCK = 'tenantry:tenant-migrations';

async function inTransaction<T>(client: Client | PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/** Two sessions granting on one object at once fail with "tuple concurrently updated": take turns. */
async function serialized<T>(client: Client | PoolClient, key: string, work: () => Promise<T>): Promise<T> {
  return inTransaction(client, async () => {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`tenantry:grants:${key}`]);
    return work();
  });
}


/**
 * Tenant databases on a PostgreSQL server. Every method checks before it acts and treats a lost
 * race (the object appeared meanwhile) as success, so saga steps can be re-run freely.
 */
export class PostgresEngine implements TenantDatabaseEngine {
  readonly kind = 'postgres' as const;
  readonly fastPath: PostgresTemplates;
  private readonly pool: Pool;

  constructor(private readonly options: { adminUrl: string; exportDir: string }) {
    this.pool = new Pool({ connectionString: options.adminUrl, max: 8, idleTimeoutMillis: 10_000 });
    this.fastPath = new PostgresTemplates(
      this.pool,
      async (database) => void (await this.migrate(database)),
      CURRENT_TENANT_SCHEMA_VERSION,
    );
  }

  namesFor(tenantCode: string, env: string) {
    return tenantDatabaseNames(tenantCode, env);
  }

  async databaseExists(target: TenantDatabaseTarget): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [target.databaseName]);
    return rowCount === 1;
  }

  async loginExists(target: TenantDatabaseTarget): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [target.loginName]);
    return rowCount === 1;
  }

  async createDatabase(target: TenantDatabaseTarget): Promise<void> {
    const database = quoteIdent(target.databaseName);
    if (!(await this.databaseExists(target))) {
      try {
        await this.pool.query(`CREATE DATABASE ${database}`);
      } catch (error) {
        if (!alreadyExists(error)) throw error;
      }
    }
    await this.onMaintenanceDatabase((client) =>
      serialized(client, target.databaseName, () => client.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${database} FROM PUBLIC`)),
    );
  }

  async ensureLogin(target: TenantDatabaseTarget): Promise<void> {
    const login = quoteIdent(target.loginName);
    if (!(await this.loginExists(target))) {
      try {
        await this.pool.query(`CREATE ROLE ${login} LOGIN NOINHERIT`);
      } catch (error) {
        if (!alreadyExists(error)) throw error;
      }
    }
    await this.onMaintenanceDatabase((client) =>
      serialized(client, target.databaseName, () => client.query(`GRANT CONNECT ON DATABASE ${quoteIdent(target.databaseName)} TO ${login}`)),
    );
    await this.inTenantDatabase(target, (client) => this.grantDataAccess(client, login));
  }

  async setLoginPassword(target: TenantDatabaseTarget, password: string): Promise<void> {
    // Only the SCRAM verifier reaches the server, so no log setting can ever record the password itself.
    await this.pool.query(`ALTER ROLE ${quoteIdent(target.loginName)} WITH LOGIN PASSWORD ${escapeLiteral(scramVerifier(password))}`);
  }

  connectionParams(target: TenantDatabaseTarget, password: string): TenantConnectionParams {
    const { host, port } = target.pool;
    return { engine: this.kind, host, port, database: target.databaseName, username: target.loginName, password };
  }

  /**
   * Migrates under a session advisory lock held in the tenant database (TypeORM's own run takes
   * none), so two runners, or a runner and a provisioning step, never migrate one database at once:
   * the second waits, then finds it current.
   */
  async applySchema(target: TenantDatabaseTarget): Promise<SchemaOutcome> {
    return this.inTenantDatabase(target, async (client) => {
      await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [MIGRATION_LOCK]);
      try {
        // A clone of the current template is already there: one query instead of a migration run.
        const current = await schemaVersion(async (sql, params) => (await client.query(sql, params)).rows);
        if (current === CURRENT_TENANT_SCHEMA_VERSION) return { applied: [], version: current };
        const outcome = await this.migrate(target.databaseName);
        // Grants again, so the login can use the new tables whatever order the steps ran in.
        if (await this.loginExists(target)) await this.grantDataAccess(client, quoteIdent(target.loginName));
        return outcome;
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [MIGRATION_LOCK]);
      }
    });
  }

  async pendingMigrations(target: TenantDatabaseTarget): Promise<string[]> {
    return this.withMigrationDataSource(target.databaseName, (dataSource) => pendingMigrations(dataSource));
  }

  private migrate(database: string): Promise<SchemaOutcome> {
    return this.withMigrationDataSource(database, (dataSource) => migrateTenantDatabase(dataSource));
  }

  private async withMigrationDataSource<T>(database: string, work: (dataSource: DataSource) => Promise<T>): Promise<T> {
    const dataSource = new DataSource({
      type: 'postgres',
      url: this.urlFor(database),
      migrations: TENANT_MIGRATIONS,
      migrationsTableName: MIGRATIONS_TABLE,
      synchronize: false,
      logging: false,
      extra: { max: 1 },
    });
    await dataSource.initialize();
    try {
      return await work(dataSource);
    } finally {
      await dataSource.destroy();
    }
  }

  /** pg_dump in custom format under the export directory; written beside its final name and renamed, so a file that exists is complete. */
  async exportDatabase(target: TenantDatabaseTarget, name: string): Promise<string> {
    const destination = resolve(this.options.exportDir, `${name}.dump`);
    if (existsSync(destination)) return destination;
    await mkdir(dirname(destination), { recursive: true });
    const partial = `${destination}.partial`;
    try {
      await run('pg_dump', ['--format=custom', '--no-owner', '--no-acl', '--file', partial, '--dbname', this.urlFor(target.databaseName)]);
    } catch (error) {
      const missing = (error as { code?: string }).code === 'ENOENT';
      throw new Error(missing ? 'pg_dump is not installed here (Debian: apt-get install postgresql-client)' : `pg_dump failed: ${(error as { stderr?: string }).stderr ?? String(error)}`);
    }
    await rename(partial, destination);
    return destination;
  }

  async dropDatabase(target: TenantDatabaseTarget): Promise<void> {
    await this.pool.query(`DROP DATABASE IF EXISTS ${quoteIdent(target.databaseName)} WITH (FORCE)`);
  }

  async dropLogin(target: TenantDatabaseTarget): Promise<void> {
    await this.pool.query(`DROP ROLE IF EXISTS ${quoteIdent(target.loginName)}`);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Data rights only: the tenant login reads and writes rows but cannot change the schema. */
  private async grantDataAccess(client: Client, login: string): Promise<void> {
    await serialized(client, login, async () => {
      await client.query(`GRANT USAGE ON SCHEMA public TO ${login}`);
      await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${login}`);
      await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${login}`);
      await client.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${login}`);
      await client.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${login}`);
    });
  }

  private async onMaintenanceDatabase<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await work(client);
    } finally {
      client.release();
    }
  }

  private async inTenantDatabase<T>(target: TenantDatabaseTarget, work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: this.urlFor(target.databaseName), application_name: 'tenantry-engine' });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  private urlFor(database: string): string {
    assertIdentifier(database);
    const url = new URL(this.options.adminUrl);
    url.pathname = `/${database}`;
    return url.toString();
  }
}
