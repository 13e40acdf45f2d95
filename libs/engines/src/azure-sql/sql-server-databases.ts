import { type ConnectionPool, NVarChar } from 'mssql';
import type { TenantDatabaseTarget } from '../tenant-database-engine';
import type { DatabaseLifecycle } from './database-lifecycle';
import { LONG_REQUEST_MS, type SqlServerConnections } from './sql-server-connections';
import { quoteTsqlName } from './tsql';

// 1801: database already exists (a concurrent creator won the race).
const DATABASE_EXISTS = 1801;

/**
 * Tenant databases on a plain SQL Server (docker-compose's, or any server without ARM), made with
 * T-SQL on master. They are partially contained, so the tenant's user lives in its database as it
 * does in Azure SQL.
 */
export class SqlServerDatabases implements DatabaseLifecycle {
  constructor(private readonly connections: SqlServerConnections) {}

  async exists(target: TenantDatabaseTarget): Promise<boolean> {
    return this.onMaster(target, async (connection) => {
      const { recordset } = await connection.request().input('name', NVarChar(128), target.databaseName).query<{ id: number | null }>('SELECT DB_ID(@name) AS id');
      return recordset[0].id !== null;
    });
  }

  async create(target: TenantDatabaseTarget): Promise<void> {
    const database = quoteTsqlName(target.databaseName);
    await this.onMaster(target, async (connection) => {
      // Contained users need the server option; it is off on a fresh SQL Server.
      await connection.query(`
        IF EXISTS (SELECT 1 FROM sys.configurations WHERE name = N'contained database authentication' AND value_in_use = 0)
        BEGIN
          EXEC sp_configure N'contained database authentication', 1;
          RECONFIGURE;
        END`);
      try {
        await connection.request().input('name', NVarChar(128), target.databaseName).query(`IF DB_ID(@name) IS NULL CREATE DATABASE ${database} CONTAINMENT = PARTIAL`);
      } catch (error) {
        if ((error as { number?: number }).number !== DATABASE_EXISTS) throw error;
      }
    });
  }

  /** Closes the tenant's sessions first: a database in use cannot be dropped. */
  async drop(target: TenantDatabaseTarget): Promise<void> {
    const database = quoteTsqlName(target.databaseName);
    await this.onMaster(target, (connection) =>
      connection.request().input('name', NVarChar(128), target.databaseName).query(`
        IF DB_ID(@name) IS NOT NULL
        BEGIN
          ALTER DATABASE ${database} SET SINGLE_USER WITH ROLLBACK IMMEDIATE;
          DROP DATABASE ${database};
        END`),
    );
  }

  /** A copy-only backup (.bak) in the server's default backup directory; its path on the server is returned. */
  async export(target: TenantDatabaseTarget, name: string): Promise<string> {
    const database = quoteTsqlName(target.databaseName);
    return this.onMaster(
      target,
      async (connection) => {
        const { recordset } = await connection.request().input('file', NVarChar(255), `${name}.bak`).query<{ path: string }>(`
          DECLARE @dir nvarchar(4000) = CAST(SERVERPROPERTY('InstanceDefaultBackupPath') AS nvarchar(4000));
          DECLARE @separator nchar(1) = CASE WHEN CHARINDEX(N'/', @dir) > 0 THEN N'/' ELSE N'\\' END;
          DECLARE @path nvarchar(4000) = @dir + CASE WHEN RIGHT(@dir, 1) IN (N'/', N'\\') THEN N'' ELSE @separator END + @file;
          BACKUP DATABASE ${database} TO DISK = @path WITH COPY_ONLY, INIT;
          SELECT @path AS path;`);
        return recordset[0].path;
      },
      LONG_REQUEST_MS,
    );
  }

  private onMaster<T>(target: TenantDatabaseTarget, work: (connection: ConnectionPool) => Promise<T>, timeoutMs?: number): Promise<T> {
    return this.connections.withConnection(target.address, 'master', work, timeoutMs);
  }
}
