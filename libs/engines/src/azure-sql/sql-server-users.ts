import type { AzureSqlConfig } from '@tenantry/common';
import { type ConnectionPool, NVarChar } from 'mssql';
import { randomBytes } from 'node:crypto';
import type { TenantDatabaseTarget } from '../tenant-database-engine';
import type { SqlServerConnections } from './sql-server-connections';
import { quoteTsqlName, tsqlString } from './tsql';

// Rows in, rows out; no DDL, no EXECUTE, and never db_owner.
const DATA_ROLES = ['db_datareader', 'db_datawriter'] as const;

// 15023: the user already exists (a concurrent ensure won the race).
const USER_EXISTS = 15023;

/**
 * The tenant's own user, inside its database: a contained user with a password, or an Entra
 * principal (FROM EXTERNAL PROVIDER) that signs in with tokens. Either reaches its database only.
 */
export class SqlServerUsers {
  constructor(
    private readonly connections: SqlServerConnections,
    private readonly kind: AzureSqlConfig['tenantUsers'],
  ) {}

  async ensure(target: TenantDatabaseTarget): Promise<void> {
    const user = quoteTsqlName(target.loginName);
    await this.inTenantDatabase(target, async (connection) => {
      // A contained user needs a password to exist; this one is never stored, and setPassword replaces it.
      const source = this.kind === 'entra' ? 'FROM EXTERNAL PROVIDER' : `WITH PASSWORD = ${tsqlString(placeholderPassword())}`;
      try {
        await this.named(connection, target).query(`IF USER_ID(@user) IS NULL CREATE USER ${user} ${source}`);
      } catch (error) {
        if ((error as { number?: number }).number !== USER_EXISTS) throw error;
      }
      for (const role of DATA_ROLES) {
        await this.named(connection, target).query(`IF IS_ROLEMEMBER(N'${role}', @user) = 0 ALTER ROLE ${role} ADD MEMBER ${user}`);
      }
    });
  }

  /** An Entra principal has no password: it signs in with its own tokens, so there is nothing to set. */
  async setPassword(target: TenantDatabaseTarget, password: string): Promise<void> {
    if (this.kind === 'entra') return;
    const user = quoteTsqlName(target.loginName);
    await this.inTenantDatabase(target, (connection) => connection.query(`ALTER USER ${user} WITH PASSWORD = ${tsqlString(password)}`));
  }

  async drop(target: TenantDatabaseTarget): Promise<void> {
    const user = quoteTsqlName(target.loginName);
    await this.inTenantDatabase(target, (connection) => this.named(connection, target).query(`IF USER_ID(@user) IS NOT NULL DROP USER ${user}`));
  }

  private named(connection: ConnectionPool, target: TenantDatabaseTarget) {
    return connection.request().input('user', NVarChar(128), target.loginName);
  }

  private inTenantDatabase<T>(target: TenantDatabaseTarget, work: (connection: ConnectionPool) => Promise<T>): Promise<T> {
    return this.connections.withConnection(target.pool, target.databaseName, work);
  }
}

/** Meets SQL Server's complexity policy (upper, lower, digit, symbol) whatever the random part holds. */
function placeholderPassword(): string {
  return `${randomBytes(24).toString('base64url')}aA1!`;
}
