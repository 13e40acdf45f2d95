import { Logger } from '@nestjs/common';
import { type PoolAddress, surviveConnectionErrors, withPoolClient } from '@tenantry/common';
import {
  CURRENT_TENANT_SCHEMA_VERSION,
  migrateTenantDatabase,
  pendingMigrations,
  SCHEMA_CATALOG_QUERIES,
  schemaVersion,
  snapshotFromCatalog,
  type SchemaReading,
  type SchemaSnapshot,
} from '@tenantry/tenant-schema';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client, type ClientConfig, escapeLiteral, Pool, type PoolClient } from 'pg';
import { DirectoryBackupStore } from '../backups/directory-backup-store';
import { RestoreUnsupported, UnsupportedMove } from '../engine-errors';
import type { PostgresEngineOptions } from '../engines-options';
import { type TenantDatabaseConnection, withMigrationDataSource } from '../migration-data-source';
import { onSameServer } from '../same-server';
import { BACKUP_MODES, type RestoreSource, type SchemaOutcome, type TenantDatabaseEngine, type TenantDatabaseTarget } from '../tenant-database-engine';
import { assertIdentifier, quoteIdent } from '../tenant-names';
import { pipe } from './client-pipe';
import { lockHolders, MigrationTimeouts } from './migration-timeouts';
import { onceUntilFailure } from './once-until-failure';
import { pacedStream } from './paced-stream';
import { withPasswordFile } from './pg-dump-files';
import { PgBouncerConsole } from './pgbouncer-console';
import { POOLER_LOOKUP_ROLE, PoolerAuthLookup } from './pooler-auth-lookup';
import { databasesToClose } from './pooler-budget';
import { PostgresRelocation } from './postgres-relocation';
import { PostgresTemplates } from './postgres-templates';
import { scramVerifier } from './scram-verifier';
import { TenantOwnership } from './tenant-ownership';

// Lost creation races: duplicate_object, or a unique_violation on the catalog when both committed at once.
const ALREADY_EXISTS = new Set(['42710', '23505']);

/**
 * The restore's session on the server. No parallel index build: with a worker beside the leader a
 * CREATE INDEX takes two cores, all of them here, from the neighbours for the length of the build.
 */
const RESTORE_SESSION = { PGOPTIONS: '-c max_parallel_maintenance_workers=0', PGAPPNAME: 'tenantry-restore' };

function alreadyExists(error: unknown): boolean {
  return ALREADY_EXISTS.has((error as { code?: string }).code ?? '');
}

const run = promisify(execFile);

const MIGRATION_LOCK = 'tenantry:tenant-migrations';

// A schema read is one catalog query: an unreachable or stuck database is `unknown` after this, not a hung scan.
const SCHEMA_READ_SESSION: ClientConfig = { connectionTimeoutMillis: 10_000, query_timeout: 30_000 };

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
 * race with itself as success, so saga steps can be re-run freely; a database or login of a
 * tenant's name that this control plane did not make for that tenant is refused (TenantOwnership).
 */
export class PostgresEngine implements TenantDatabaseEngine {
  readonly kind = 'postgres' as const;
  readonly fastPath: PostgresTemplates;
  readonly relocation: PostgresRelocation;
  private readonly pool: Pool;
  private readonly timeouts: MigrationTimeouts;
  private readonly ownership: TenantOwnership;
  private readonly poolerLookup?: PoolerAuthLookup;
  private readonly poolerConsole?: PgBouncerConsole;
  private readonly logger = new Logger(PostgresEngine.name);

  constructor(private readonly options: PostgresEngineOptions) {
    this.timeouts = new MigrationTimeouts(options.migrationTimeouts);
    this.pool = new Pool({ connectionString: options.adminUrl, max: 8, idleTimeoutMillis: 10_000 });
    surviveConnectionErrors(this.pool, 'tenant server pool');
    this.ownership = new TenantOwnership(this.pool);
    if (options.pooler?.authLookup) this.poolerLookup = new PoolerAuthLookup(this.pool);
    if (options.pooler?.adminUrl) this.poolerConsole = new PgBouncerConsole(options.pooler.adminUrl);
    this.relocation = new PostgresRelocation(
      this.pool,
      (database) => this.urlFor(database),
      (target, work) => this.inTenantDatabase(target, work),
    );
    this.fastPath = new PostgresTemplates(this.pool, this.ownership, async (database) => void (await this.migrate(database)), CURRENT_TENANT_SCHEMA_VERSION);
  }

  async databaseExists(target: TenantDatabaseTarget): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [target.databaseName]);
    return rowCount === 1;
  }

  async loginExists(target: TenantDatabaseTarget): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [target.loginName]);
    return rowCount === 1;
  }

  /** Puts in place the database a fast path staged, else a plain one; TenantDatabaseConflict when its name is someone else's. */
  async createDatabase(target: TenantDatabaseTarget): Promise<void> {
    const database = quoteIdent(target.databaseName);
    await this.ownership.publish(target, async (db, staging) => void (await db.query(`CREATE DATABASE ${quoteIdent(staging)}`)));
    await this.onMaintenanceDatabase((client) =>
      serialized(client, target.databaseName, () => client.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${database} FROM PUBLIC`)),
    );
  }

  /**
   * PUBLIC may connect to and make temporary tables in every database by default: taken away on the
   * maintenance database and template1 (a session there would also stop every CREATE DATABASE that
   * copies it). Once per process, and again after a failure.
   */
  readonly secureServer = onceUntilFailure(() => this.revokePublicAccess());

  async ensureLogin(target: TenantDatabaseTarget): Promise<void> {
    await this.secureServer();
    const login = quoteIdent(target.loginName);
    if (!(await this.loginExists(target))) {
      try {
        await this.onMaintenanceDatabase((client) =>
          inTransaction(client, async () => {
            await client.query(`CREATE ROLE ${login} LOGIN NOINHERIT`);
            await this.ownership.markLogin(client, target);
          }),
        );
      } catch (error) {
        if (!alreadyExists(error)) throw error;
      }
    }
    await this.ownership.assertOwnLogin(target);
    await this.grantConnect(target, login);
    await this.inTenantDatabase(target, async (client) => {
      await this.grantDataAccess(client, login);
      await this.installPoolerLookup(target, client);
    });
  }

  private grantConnect(target: TenantDatabaseTarget, roles: string): Promise<unknown> {
    return this.onMaintenanceDatabase((client) =>
      serialized(client, target.databaseName, () => client.query(`GRANT CONNECT ON DATABASE ${quoteIdent(target.databaseName)} TO ${roles}`)),
    );
  }

  /** What PgBouncer's auth_query needs in this database (pooler-auth-lookup.ts): its lookup role may connect and call the lookup function. */
  private async installPoolerLookup(target: TenantDatabaseTarget, client: Client): Promise<void> {
    const lookup = this.poolerLookup;
    if (!lookup) return;
    await lookup.ensureRole();
    await this.grantConnect(target, quoteIdent(POOLER_LOOKUP_ROLE));
    await serialized(client, `${target.databaseName}:pooler`, () => lookup.install(client));
  }

  async setLoginPassword(target: TenantDatabaseTarget, password: string): Promise<Date> {
    const changedAt = await this.onMaintenanceDatabase(async (client) => {
      // Only the SCRAM verifier reaches the server, so no log setting can ever record the password itself.
      await client.query(`ALTER ROLE ${quoteIdent(target.loginName)} WITH PASSWORD ${escapeLiteral(scramVerifier(password))}`);
      const { rows } = await client.query<{ at: Date }>('SELECT clock_timestamp() AS at');
      return rows[0].at;
    });
    if (this.options.pooler?.authLookup) await this.renewPoolerKeys(target, password);
    return changedAt;
  }

  /**
   * Sessions still on the old password keep being served at the pooler only once its keys are the
   * new ones. Not a reason to fail the change: a login the pooler cannot take (a database it has no
   * lookup in yet, a pooler that is down) has no pooled session to keep either.
   */
  private async renewPoolerKeys(target: TenantDatabaseTarget, password: string): Promise<void> {
    try {
      await this.poolerConsole?.renewLoginKeys(target.databaseName, target.loginName, password);
    } catch (error) {
      this.logger.warn(
        { tenant_id: target.tenantId, err: error },
        'the pooler did not take a login with the new password; its sessions on the old one wait for the next login to renew its keys',
      );
    }
  }

  async setLoginEnabled(target: TenantDatabaseTarget, enabled: boolean): Promise<void> {
    await this.pool.query(`ALTER ROLE ${quoteIdent(target.loginName)} ${enabled ? 'LOGIN' : 'NOLOGIN'}`);
  }

  async countSessions(target: TenantDatabaseTarget, openedBefore?: Date): Promise<number> {
    const { rows } = await this.pool.query<{ sessions: number }>(
      `SELECT count(*)::int AS sessions FROM pg_stat_activity WHERE usename = $1 AND ($2::timestamptz IS NULL OR backend_start < $2)`,
      [target.loginName, openedBefore ?? null],
    );
    return rows[0].sessions;
  }

  /**
   * Brings the pooler's server connections back under `budget` once they pass it, closing those of
   * the least recently used databases (pooler-budget.ts); the databases closed. Nothing without a
   * pooler console.
   */
  async holdPoolerBudget(budget: number): Promise<string[]> {
    if (!this.poolerConsole) return [];
    const closing = databasesToClose(await this.poolerConsole.servers(), budget);
    if (closing.length > 0) await this.poolerConsole.reconnect(...closing);
    return closing;
  }

  /** The pooler closes the database's server connections as each transaction ends, so a drain is not held up by idle pooled ones. */
  async releasePooledSessions(target: TenantDatabaseTarget): Promise<void> {
    await this.poolerConsole?.reconnect(target.databaseName);
  }

  /** At the pooler too: its client connections go with the server ones, so none goes on with a login that changed. */
  async endSessions(target: TenantDatabaseTarget, openedBefore?: Date): Promise<number> {
    await this.poolerConsole?.kill(target.databaseName);
    const { rows } = await this.pool.query<{ ended: number }>(
      `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS ended FROM pg_stat_activity
        WHERE usename = $1 AND ($2::timestamptz IS NULL OR backend_start < $2)`,
      [target.loginName, openedBefore ?? null],
    );
    return rows[0].ended;
  }

  /**
   * Migrates under a session advisory lock held in the tenant database (TypeORM's own run takes
   * none), so two runners, or a runner and a provisioning step, never migrate one database at once:
   * the second waits, then finds it current. Every wait is bounded by the migration timeouts (the
   * lock wait too), so a locked or unreachable tenant fails with the reason instead of hanging.
   */
  async applySchema(target: TenantDatabaseTarget): Promise<SchemaOutcome> {
    return this.timeouts.explained(target.databaseName, () =>
      this.inTenantDatabase(target, (client) => this.migrateUnderLock(target, client), this.timeouts.sessionConfig()),
    );
  }

  private async migrateUnderLock(target: TenantDatabaseTarget, client: Client): Promise<SchemaOutcome> {
    const database = target.databaseName;
    await this.timeouts.explained(database, () => client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [MIGRATION_LOCK]), {
      migrationLock: true,
      holders: () => lockHolders(client, 'advisory'),
    });
    try {
      // Tenants provisioned before the pooler get its lookup with the next fleet run, current or not.
      const hasLogin = await this.loginExists(target);
      if (hasLogin && this.poolerLookup && !(await this.poolerLookup.installed(client))) await this.installPoolerLookup(target, client);
      // A clone of the current template is already there: one query instead of a migration run.
      const current = await schemaVersion(async (sql, params) => (await client.query<Record<string, unknown>>(sql, params)).rows);
      if (current === CURRENT_TENANT_SCHEMA_VERSION) return { applied: [], version: current };
      const outcome = await this.timeouts.explained(database, () => this.migrate(database), { holders: () => lockHolders(client, 'table') });
      // Grants again, so the login can use the new tables whatever order the steps ran in.
      if (hasLogin) await this.grantDataAccess(client, quoteIdent(target.loginName));
      return outcome;
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [MIGRATION_LOCK]);
    }
  }

  async pendingMigrations(target: TenantDatabaseTarget): Promise<string[]> {
    return this.timeouts.explained(target.databaseName, () =>
      withMigrationDataSource(this.migrationConnection(target.databaseName), (dataSource) => pendingMigrations(dataSource)),
    );
  }

  private migrate(database: string, upTo?: string): Promise<SchemaOutcome> {
    return withMigrationDataSource(this.migrationConnection(database), (dataSource) => migrateTenantDatabase(dataSource), upTo);
  }

  async readSchema(target: TenantDatabaseTarget): Promise<SchemaReading> {
    return this.inTenantDatabase(
      target,
      async (client) => {
        const query = async (sql: string) => (await client.query<Record<string, unknown>>(sql)).rows;
        // One snapshot for the catalog and the migrations table: a migration committing in between would otherwise read as drift.
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const reading = { snapshot: snapshotFromCatalog((await query(SCHEMA_CATALOG_QUERIES.postgres))[0]), version: await schemaVersion(query) };
        await client.query('COMMIT');
        return reading;
      },
      SCHEMA_READ_SESSION,
    );
  }

  /** On this engine's server (beside is on it by construction); the scratch database's name is random, so two builders never meet. */
  async expectedSchema(version: string, beside: TenantDatabaseTarget, env: string): Promise<SchemaSnapshot> {
    const scratch = `tenantry_drift_${env}_${randomBytes(6).toString('hex')}`;
    const target = { ...beside, databaseName: scratch };
    await this.pool.query(`CREATE DATABASE ${quoteIdent(scratch)}`);
    try {
      await this.migrate(scratch, version);
      return (await this.readSchema(target)).snapshot;
    } finally {
      await this.pool.query(`DROP DATABASE IF EXISTS ${quoteIdent(scratch)} WITH (FORCE)`);
    }
  }

  private migrationConnection(database: string): TenantDatabaseConnection {
    return { type: 'postgres', url: this.urlFor(database), extra: { max: 1, ...this.timeouts.sessionConfig() } };
  }

  /** pg_dump in custom format under the export directory (its files 0600, the directory 0700); a file under the final name is complete. */
  async exportDatabase(target: TenantDatabaseTarget, name: string): Promise<string> {
    const destination = resolve(this.options.exportDir, `${name}.dump`);
    if (existsSync(destination)) return destination;
    return (await new DirectoryBackupStore(this.options.exportDir).save(`${name}.dump`, (file) => this.dumpDatabase(target, file))).location;
  }

  readonly backupMode = BACKUP_MODES.postgres;

  async dumpDatabase(target: TenantDatabaseTarget, file: string): Promise<void> {
    await this.client('pg_dump', ['--format=custom', '--no-owner', '--no-acl', '--file', file], target.databaseName);
  }

  /**
   * pg_restore into a database made for it (REVOKE CONNECT from PUBLIC, as every tenant database).
   * Owner and grants are not restored: the objects belong to this engine's role, as migrations made
   * them, and ensureLogin grants the tenant's login its rights on them.
   */
  async restoreDatabase(target: TenantDatabaseTarget, source: RestoreSource): Promise<void> {
    if (!('file' in source)) throw new RestoreUnsupported('PostgreSQL keeps no point-in-time history here: restore a tenant from one of its backups');
    const database = quoteIdent(target.databaseName);
    await this.ownership.recreate(target, async (db) => {
      await db.query(`CREATE DATABASE ${database}`);
      await serialized(db, target.databaseName, () => db.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${database} FROM PUBLIC`));
    });
    const args = ['--no-owner', '--no-acl', '--exit-on-error', source.file];
    const pace = source.maxBytesPerSecond;
    if (pace === undefined) {
      await this.client('pg_restore', [`--jobs=${source.jobs}`, ...args], target.databaseName, RESTORE_SESSION);
    } else {
      // Paced, the restore is one stream of SQL (pg_restore's --jobs needs its own connections), which psql runs as pg_restore would.
      if (source.jobs !== 1) throw new RangeError(`a paced restore runs one pg_restore job, not ${source.jobs}`);
      await withPasswordFile(this.urlFor(target.databaseName), (url) =>
        pipe(['pg_restore', ...args, '--file=-'], ['psql', '--quiet', '--no-psqlrc', '-v', 'ON_ERROR_STOP=1', '--dbname', url], {
          through: pacedStream(pace),
          env: RESTORE_SESSION,
        }),
      );
    }
    // A backup taken while the tenant was being moved holds that move's checksum ledger: the restored database is no move's.
    await this.relocation.dropLedger(target);
  }

  async schemaVersionAsTenant(target: TenantDatabaseTarget, password: string): Promise<string | null> {
    const server = new URL(this.options.adminUrl);
    const client = new Client({
      host: server.hostname,
      port: Number(server.port || 5432),
      database: target.databaseName,
      user: target.loginName,
      password,
      application_name: 'tenantry-restore-check',
    });
    surviveConnectionErrors(client, `tenant login session on ${target.databaseName}`, { tenant_id: target.tenantId });
    await client.connect();
    try {
      return await schemaVersion(async (sql, params) => (await client.query<Record<string, unknown>>(sql, params)).rows);
    } finally {
      await client.end();
    }
  }

  async closeDatabase(target: TenantDatabaseTarget): Promise<number> {
    const login = quoteIdent(target.loginName);
    await this.onMaintenanceDatabase((client) =>
      serialized(client, target.databaseName, () => client.query(`REVOKE CONNECT ON DATABASE ${quoteIdent(target.databaseName)} FROM ${login}`)),
    );
    await this.poolerConsole?.kill(target.databaseName);
    const { rows } = await this.pool.query<{ ended: number }>(
      `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS ended FROM pg_stat_activity WHERE usename = $1 AND datname = $2`,
      [target.loginName, target.databaseName],
    );
    return rows[0].ended;
  }

  /** pg_dump or pg_restore on `database`, the password in a file (withPasswordFile), failing with what the client said. */
  private async client(program: 'pg_dump' | 'pg_restore', args: string[], database: string, env?: NodeJS.ProcessEnv): Promise<void> {
    try {
      await withPasswordFile(this.urlFor(database), (url) =>
        run(program, [...args, '--dbname', url], { maxBuffer: 16 * 1024 * 1024, env: env && { ...process.env, ...env } }),
      );
    } catch (error) {
      const missing = (error as { code?: string }).code === 'ENOENT';
      throw new Error(
        missing
          ? `${program} is not installed here (Debian: apt-get install postgresql-client)`
          : `${program} failed: ${(error as { stderr?: string }).stderr ?? String(error)}`,
        { cause: error },
      );
    }
  }

  /** The pooler's connections to it go first; its pool there is freed after autodb_idle_timeout (scripts/pgbouncer/pgbouncer.ini). */
  async dropDatabase(target: TenantDatabaseTarget): Promise<void> {
    await this.poolerConsole?.kill(target.databaseName);
    await this.ownership.dropDatabases(target);
  }

  /**
   * A PostgreSQL pool is the registry's share of a server, not a place on it: between pools of one
   * server the database stays where it is, and only the registry moves it. PostgreSQL has no
   * in-place move to another server: the move copies it there (logical replication, or a dump).
   */
  async moveToPool(target: TenantDatabaseTarget, to: PoolAddress): Promise<void> {
    if (onSameServer(target.address, to)) return;
    throw new UnsupportedMove(
      `PostgreSQL cannot move database ${target.databaseName} in place from ${target.address.host}:${target.address.port} to ${to.host}:${to.port}: a move to another server copies it`,
      { databaseName: target.databaseName },
    );
  }

  async dropLogin(target: TenantDatabaseTarget): Promise<void> {
    if (await this.ownership.isDroppableLogin(target)) await this.pool.query(`DROP ROLE IF EXISTS ${quoteIdent(target.loginName)}`);
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

  /** The role running this keeps its own grant first, so an owner that is not a superuser never locks itself out. */
  private async revokePublicAccess(): Promise<void> {
    await this.onMaintenanceDatabase(async (client) => {
      const { rows } = await client.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datallowconn AND datname IN (current_database(), 'postgres', 'template1') ORDER BY datname`,
      );
      for (const { datname } of rows) {
        const database = quoteIdent(datname);
        await serialized(client, datname, async () => {
          await client.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO CURRENT_USER`);
          await client.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${database} FROM PUBLIC`);
        });
      }
    });
  }

  private onMaintenanceDatabase<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return withPoolClient(this.pool, 'tenant server session', work);
  }

  private async inTenantDatabase<T>(target: TenantDatabaseTarget, work: (client: Client) => Promise<T>, session: ClientConfig = {}): Promise<T> {
    const client = new Client({ connectionString: this.urlFor(target.databaseName), application_name: 'tenantry-engine', ...session });
    surviveConnectionErrors(client, `session on ${target.databaseName}`, { tenant_id: target.tenantId });
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
