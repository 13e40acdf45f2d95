import { type ConnectionPool, DateTime2, NVarChar } from 'mssql';
import { randomBytes } from 'node:crypto';
import type { TenantDatabaseTarget } from '../tenant-database-engine';
import type { SqlServerConnections } from './sql-server-connections';
import { quoteTsqlName, tsqlString } from './tsql';

// Rows in, rows out; no DDL, no EXECUTE, and never db_owner.
const DATA_ROLES = ['db_datareader', 'db_datawriter'] as const;

// 15023: the user already exists (a concurrent ensure won the race).
const USER_EXISTS = 15023;

// The user's sessions in this database, but not the one asking; login_time is on SYSDATETIME's clock.
const SESSIONS_OF_USER = `(login_name = @user OR original_login_name = @user) AND database_id = DB_ID() AND session_id <> @@SPID
  AND (@before IS NULL OR login_time < @before)`;

/**
 * The tenant's own user, inside its database: a contained user with a password, which reaches its
 * database only. (Entra users are refused at start-up: see AZURE_SQL_TENANT_USERS in engines-options.ts.)
 */
export class SqlServerUsers {
  constructor(private readonly connections: SqlServerConnections) {}

  async ensure(target: TenantDatabaseTarget): Promise<void> {
    const user = quoteTsqlName(target.loginName);
    await this.inTenantDatabase(target, async (connection) => {
      // A contained user needs a password to exist; this one is never stored, and setPassword replaces it.
      try {
        await this.named(connection, target).query(`IF USER_ID(@user) IS NULL CREATE USER ${user} WITH PASSWORD = ${tsqlString(placeholderPassword())}`);
      } catch (error) {
        if ((error as { number?: number }).number !== USER_EXISTS) throw error;
      }
      for (const role of DATA_ROLES) {
        await this.named(connection, target).query(`IF IS_ROLEMEMBER(N'${role}', @user) = 0 ALTER ROLE ${role} ADD MEMBER ${user}`);
      }
    });
  }

  /** Returns the server's time after the change, on the clock its sessions' login_time uses. */
  async setPassword(target: TenantDatabaseTarget, password: string): Promise<Date> {
    const user = quoteTsqlName(target.loginName);
    return this.inTenantDatabase(target, async (connection) => {
      await connection.query(`ALTER USER ${user} WITH PASSWORD = ${tsqlString(password)}`);
      const { recordset } = await connection.query<{ at: Date }>('SELECT SYSDATETIME() AS at');
      return recordset[0].at;
    });
  }

  /** A database user cannot be disabled: DENY CONNECT refuses its new sessions, GRANT CONNECT lifts that. */
  async setEnabled(target: TenantDatabaseTarget, enabled: boolean): Promise<void> {
    const user = quoteTsqlName(target.loginName);
    await this.inTenantDatabase(target, (connection) => connection.query(`${enabled ? 'GRANT' : 'DENY'} CONNECT TO ${user}`));
  }

  async countSessions(target: TenantDatabaseTarget, openedBefore?: Date): Promise<number> {
    return this.inTenantDatabase(target, async (connection) => {
      const { recordset } = await this.sessionsOf(connection, target, openedBefore).query<{ sessions: number }>(
        `SELECT count(*) AS sessions FROM sys.dm_exec_sessions WHERE ${SESSIONS_OF_USER}`,
      );
      return recordset[0].sessions;
    });
  }

  /** KILL, one session at a time; a session that ended meanwhile is not counted. */
  async endSessions(target: TenantDatabaseTarget, openedBefore?: Date): Promise<number> {
    return this.inTenantDatabase(target, async (connection) => {
      const { recordset } = await this.sessionsOf(connection, target, openedBefore).query<{ session_id: number }>(
        `SELECT session_id FROM sys.dm_exec_sessions WHERE ${SESSIONS_OF_USER}`,
      );
      let ended = 0;
      for (const { session_id: id } of recordset) {
        try {
          await connection.query(`KILL ${Number(id)}`);
          ended += 1;
        } catch {
          // It ended on its own meanwhile.
        }
      }
      return ended;
    });
  }

  async drop(target: TenantDatabaseTarget): Promise<void> {
    const user = quoteTsqlName(target.loginName);
    await this.inTenantDatabase(target, (connection) => this.named(connection, target).query(`IF USER_ID(@user) IS NOT NULL DROP USER ${user}`));
  }

  private sessionsOf(connection: ConnectionPool, target: TenantDatabaseTarget, openedBefore?: Date) {
    return this.named(connection, target).input('before', DateTime2, openedBefore ?? null);
  }

  private named(connection: ConnectionPool, target: TenantDatabaseTarget) {
    return connection.request().input('user', NVarChar(128), target.loginName);
  }

  private inTenantDatabase<T>(target: TenantDatabaseTarget, work: (connection: ConnectionPool) => Promise<T>): Promise<T> {
    return this.connections.withConnection(target.address, target.databaseName, work);
  }
}

/** Meets SQL Server's complexity policy (upper, lower, digit, symbol) whatever the random part holds. */
function placeholderPassword(): string {
  return `${randomBytes(24).toString('base64url')}aA1!`;
}
