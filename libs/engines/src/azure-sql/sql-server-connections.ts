import type { AccessToken, TokenCredential } from '@azure/identity';
import { surviveConnectionErrors, type PoolAddress } from '@tenantry/common';
import { TENANT_MSSQL_DRIVER_OPTIONS } from '@tenantry/tenant-schema';
import { ConnectionPool } from 'mssql';
import type { AzureSqlSettings } from '../engines-options';
import type { TenantDatabaseConnection } from '../migration-data-source';
import { assertIdentifier } from '../tenant-names';

// Entra tokens for Azure SQL are issued for this resource, whatever the server's name.
const SQL_TOKEN_SCOPE = 'https://database.windows.net/.default';

const APP_NAME = 'tenantry-engine';

// A token is renewed this long before it expires, so no connection starts with one about to lapse.
const TOKEN_RENEWAL_MARGIN_MS = 5 * 60_000;

/** Enough for one statement that waits (a lock, a BACKUP, a migration), short enough that a hung server fails the step. */
export const LONG_REQUEST_MS = 30 * 60_000;
const SHORT_REQUEST_MS = 60_000;

type SqlServerAuthentication =
  { type: 'default'; options: { userName: string; password: string } } | { type: 'azure-active-directory-access-token'; options: { token: string } };

export interface SqlServerConnectionsOptions {
  auth: AzureSqlSettings['sqlAuth'];
  credential: TokenCredential;
  trustServerCertificate: boolean;
}

/**
 * Opens connections to a SQL Server (Azure SQL or a plain one) as the engine's admin identity: an
 * Entra token from the credential, or the configured admin login. Each call has its own connection,
 * closed afterwards.
 */
export class SqlServerConnections {
  // Kept between calls: some credentials in DefaultAzureCredential's chain (the Azure CLI) cache nothing.
  private token: AccessToken | null = null;

  constructor(private readonly options: SqlServerConnectionsOptions) {}

  /**
   * One connection, open for the duration of `work`: a pool of exactly one that never reaps it when
   * idle, so session state such as an application lock stays with it until the end.
   */
  async withConnection<T>(
    server: Pick<PoolAddress, 'host' | 'port'>,
    database: string,
    work: (connection: ConnectionPool) => Promise<T>,
    requestTimeoutMs = SHORT_REQUEST_MS,
  ): Promise<T> {
    const connection = new ConnectionPool({
      server: server.host,
      ...(await this.signIn(server, database)),
      pool: { min: 1, max: 1, idleTimeoutMillis: LONG_REQUEST_MS },
      requestTimeout: requestTimeoutMs,
    });
    surviveConnectionErrors(connection, `SQL Server session on ${database}`);
    await connection.connect();
    try {
      return await work(connection);
    } finally {
      await connection.close();
    }
  }

  /** How a TypeORM data source reaches `database` as the engine's identity, for withMigrationDataSource. */
  async migrationConnection(server: Pick<PoolAddress, 'host' | 'port'>, database: string): Promise<TenantDatabaseConnection> {
    return { type: 'mssql', host: server.host, ...(await this.signIn(server, database)), requestTimeout: LONG_REQUEST_MS, pool: { max: 1 } };
  }

  /** What both drivers (mssql, and TypeORM's mssql driver) take to reach one database as the engine's identity. */
  private async signIn(server: Pick<PoolAddress, 'port'>, database: string) {
    assertIdentifier(database);
    const options = { ...TENANT_MSSQL_DRIVER_OPTIONS, encrypt: true, trustServerCertificate: this.options.trustServerCertificate, appName: APP_NAME };
    return { port: server.port, database, authentication: await this.authentication(), options };
  }

  private async authentication(): Promise<SqlServerAuthentication> {
    const { auth, credential } = this.options;
    if (auth.kind === 'sql') return { type: 'default', options: { userName: auth.login, password: auth.password } };
    if (!this.token || this.token.expiresOnTimestamp - Date.now() < TOKEN_RENEWAL_MARGIN_MS) {
      this.token = await credential.getToken(SQL_TOKEN_SCOPE);
      if (!this.token) throw new Error(`no Entra token for ${SQL_TOKEN_SCOPE}: the credential returned none`);
    }
    return { type: 'azure-active-directory-access-token', options: { token: this.token.token } };
  }
}
