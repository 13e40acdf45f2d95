import type { AccessToken, TokenCredential } from '@azure/identity';
import { surviveConnectionErrors, type PoolAddress } from '@tenantry/common';
import { TENANT_MSSQL_DRIVER_OPTIONS } from '@tenantry/tenant-schema';
import { ConnectionPool } from 'mssql';
import type { AzureSqlSettings } from '../engines-options';
import type { TenantDatabaseConnection } from '../migration-data-source';
import { assertIdentifier } from '../tenant-names';
import { AZURE_TRANSIENT_RETRY, type RetryAdvice, type TransientRetryOptions, withTransientRetry } from './transient-retry';

// Entra tokens for Azure SQL are issued for this resource, whatever the server's name.
const SQL_TOKEN_SCOPE = 'https://database.windows.net/.default';

const APP_NAME = 'tenantry-engine';

// A token is renewed this long before it expires, so no connection starts with one about to lapse.
const TOKEN_RENEWAL_MARGIN_MS = 5 * 60_000;

/** Microsoft: "We recommend using a connection timeout of at least 30 seconds" (troubleshoot-common-errors-issues). */
const CONNECT_TIMEOUT_MS = 30_000;

/**
 * Error numbers that pass by themselves: Azure SQL's transient list (926, 4060, 40197, 40501, 40613,
 * 49918-49920, 4221, 615; https://learn.microsoft.com/azure/azure-sql/database/troubleshoot-common-errors-issues),
 * with the resource-governance refusals 10928 and 10929 and the deadlock victim 1205 that the same page
 * and Microsoft.Data.SqlClient's default retry set treat alike.
 */
const TRANSIENT_NUMBERS = new Set([615, 926, 1205, 4060, 4221, 10928, 10929, 40197, 40501, 40540, 40613, 49918, 49919, 49920]);

// A connection that broke or never came up (error number 0 on Microsoft's page): retried a bounded number of times.
const CONNECTION_FAULTS = new Set(['ESOCKET', 'ECONNCLOSED', 'ETIMEOUT']);

/**
 * Whether a failed session is worth another after a wait: a transient number (on a statement, as mssql
 * puts it on RequestError.number; at sign-in, as tedious emits it with its errorMessage event, kept on
 * the error as `number` by withConnection), or a connection that broke. A statement that timed out is
 * not: it may be a long one that would time out again.
 */
export function sqlRetryAdvice(error: unknown): RetryAdvice {
  const { number, code, name } = error as { number?: number; code?: string; name?: string };
  if (number !== undefined && TRANSIENT_NUMBERS.has(number)) return 'backoff';
  if (name === 'RequestError' && code === 'ETIMEOUT') return 'give-up';
  return code !== undefined && CONNECTION_FAULTS.has(code) ? 'backoff' : 'give-up';
}

/** Enough for one statement that waits (a lock, a BACKUP, a migration), short enough that a hung server fails the step. */
export const LONG_REQUEST_MS = 30 * 60_000;
const SHORT_REQUEST_MS = 60_000;

type SqlServerAuthentication =
  { type: 'default'; options: { userName: string; password: string } } | { type: 'azure-active-directory-access-token'; options: { token: string } };

export interface SqlServerConnectionsOptions {
  auth: AzureSqlSettings['sqlAuth'];
  credential: TokenCredential;
  trustServerCertificate: boolean;
  /** Waits between sessions after a transient fault; Microsoft's guidance (AZURE_TRANSIENT_RETRY) unless a test shortens it. */
  retry?: TransientRetryOptions;
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
   * idle, so session state such as an application lock stays with it until the end. After a transient
   * fault (sign-in or statement), Microsoft says "Do not immediately retry the command. Instead, after
   * a delay, freshly establish the connection": so the whole session is run again, on a new connection,
   * after the policy's wait. `work` is one engine step, idempotent by the port's contract.
   */
  withConnection<T>(
    server: Pick<PoolAddress, 'host' | 'port'>,
    database: string,
    work: (connection: ConnectionPool) => Promise<T>,
    requestTimeoutMs = SHORT_REQUEST_MS,
  ): Promise<T> {
    return this.retrying(() => this.session(server, database, work, requestTimeoutMs));
  }

  /** As withConnection, signed in as a tenant's contained user with its password instead of the engine's identity. */
  withConnectionAs<T>(
    server: Pick<PoolAddress, 'host' | 'port'>,
    database: string,
    user: { login: string; password: string },
    work: (connection: ConnectionPool) => Promise<T>,
  ): Promise<T> {
    const authentication: SqlServerAuthentication = { type: 'default', options: { userName: user.login, password: user.password } };
    return this.retrying(() => this.session(server, database, work, SHORT_REQUEST_MS, authentication));
  }

  /** Runs `work` (which opens its own connections) again after a transient fault, as withConnection does. */
  retrying<T>(work: () => Promise<T>): Promise<T> {
    const retry = this.options.retry ?? AZURE_TRANSIENT_RETRY;
    return withTransientRetry(retry, (failure) => ('error' in failure ? sqlRetryAdvice(failure.error) : 'give-up'), work);
  }

  private async session<T>(
    server: Pick<PoolAddress, 'host' | 'port'>,
    database: string,
    work: (connection: ConnectionPool) => Promise<T>,
    requestTimeoutMs: number,
    authentication?: SqlServerAuthentication,
  ): Promise<T> {
    // tedious puts a sign-in refusal's error number only on its errorMessage event, not on the error.
    let refusedWith: number | undefined;
    const connection = new ConnectionPool({
      server: server.host,
      ...(await this.signIn(server, database, authentication)),
      pool: { min: 1, max: 1, idleTimeoutMillis: LONG_REQUEST_MS },
      requestTimeout: requestTimeoutMs,
      beforeConnect: (tedious) => tedious.on('errorMessage', (token: { number: number }) => (refusedWith = token.number)),
    });
    surviveConnectionErrors(connection, `SQL Server session on ${database}`);
    try {
      await connection.connect();
    } catch (error) {
      if (refusedWith !== undefined) Object.assign(error as object, { number: refusedWith });
      throw error;
    }
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
  private async signIn(server: Pick<PoolAddress, 'port'>, database: string, authentication?: SqlServerAuthentication) {
    assertIdentifier(database);
    // tedious's own retry of a refused sign-in (3 times, 500 ms apart) is off: the policy above waits as Microsoft says.
    const options = {
      ...TENANT_MSSQL_DRIVER_OPTIONS,
      encrypt: true,
      trustServerCertificate: this.options.trustServerCertificate,
      appName: APP_NAME,
      connectTimeout: CONNECT_TIMEOUT_MS,
      maxRetriesOnTransientErrors: 0,
    };
    return { port: server.port, database, authentication: authentication ?? (await this.authentication()), options };
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
