import { DataSource, type DataSourceOptions } from 'typeorm';
import { TENANT_MSSQL_DRIVER_OPTIONS } from './tenant-schema';

export type SqlServerConnection = Pick<Extract<DataSourceOptions, { type: 'mssql' }>, 'type' | 'host' | 'port' | 'username' | 'password' | 'database' | 'options'>;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * DataSource options from `mssql://user:password@host[:port][/database][?encrypt=&trustServerCertificate=]`
 * (user and password URL-encoded). Traffic is encrypted; the certificate is verified except on a
 * loopback host, where the SQL Server container of docker-compose presents a self-signed one.
 */
export function sqlServerConnection(url: string, database?: string): SqlServerConnection {
  const parsed = new URL(url);
  const flag = (name: string, fallback: boolean) => (parsed.searchParams.has(name) ? parsed.searchParams.get(name) === 'true' : fallback);
  return {
    type: 'mssql',
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(parsed.port || 1433),
    username: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: database ?? (decodeURIComponent(parsed.pathname.slice(1)) || 'master'),
    options: {
      ...TENANT_MSSQL_DRIVER_OPTIONS,
      encrypt: flag('encrypt', true),
      trustServerCertificate: flag('trustServerCertificate', LOOPBACK.has(parsed.hostname)),
    },
  };
}

export interface ScratchSqlServerDatabase {
  connection: SqlServerConnection;
  drop(): Promise<void>;
}

/** Creates an empty database on the SQL Server of `url`; `drop()` removes it, closing whatever sessions it still has. */
export async function createScratchSqlServerDatabase(url: string, name: string): Promise<ScratchSqlServerDatabase> {
  if (!/^[a-z][a-z0-9_]{0,100}$/.test(name)) throw new Error(`scratch database name ${JSON.stringify(name)} is not a plain identifier`);
  const master = await new DataSource({ ...sqlServerConnection(url, 'master'), logging: false }).initialize();
  try {
    await master.query(`CREATE DATABASE [${name}]`);
  } catch (error) {
    await master.destroy();
    throw error;
  }
  return {
    connection: sqlServerConnection(url, name),
    async drop() {
      try {
        await master.query(`IF DB_ID(N'${name}') IS NOT NULL ALTER DATABASE [${name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE`);
        await master.query(`DROP DATABASE IF EXISTS [${name}]`);
      } finally {
        await master.destroy();
      }
    },
  };
}
