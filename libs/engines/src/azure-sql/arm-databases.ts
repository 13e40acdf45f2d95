import { type Database, SqlManagementClient, type SqlManagementClientOptionalParams } from '@azure/arm-sql';
import type { TokenCredential } from '@azure/identity';
import { EngineNotConfigured, TenantDatabaseConflict } from '../engine-errors';
import type { AzureSqlSettings } from '../engines-options';
import type { TenantDatabaseTarget } from '../tenant-database-engine';
import type { DatabaseLifecycle } from './database-lifecycle';
import { type ElasticPoolRef, parseElasticPoolId, sameResourceId } from './elastic-pool';

export interface ArmDatabasesOptions {
  credential: TokenCredential;
  /** The ARM endpoint (https://management.azure.com, or a sovereign cloud's, or a local double). */
  endpoint: string;
  environment: string;
  export?: AzureSqlSettings['export'];
  /** Merged over the defaults below; tests pass `tlsOptions` to trust a local double. */
  clientOptions?: SqlManagementClientOptionalParams;
  /** Poll interval of long-running operations when ARM sends no Retry-After; the SDK's default (2 s) when absent. */
  pollIntervalMs?: number;
}

/**
 * The SDK's pipeline already retries what ARM asks to be retried: its throttling strategy waits
 * exactly Retry-After (or retry-after-ms) on a 429 or 503, and its exponential strategy covers other
 * 5xx and dropped connections, on every request including each poll of a long-running operation.
 * Its default gives up after 3 retries; ARM throttles per subscription and region in windows of
 * seconds to minutes, so a few more are allowed before the saga's own backoff takes over.
 */
const RETRY_OPTIONS = { maxRetries: 6, retryDelayInMs: 1_000, maxRetryDelayInMs: 30_000 };

function statusCode(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

/** Tenant databases in Azure SQL elastic pools, through Azure Resource Manager (`@azure/arm-sql`). */
export class ArmDatabases implements DatabaseLifecycle {
  // One client per subscription: the SDK binds a client to the subscription it manages.
  private readonly clients = new Map<string, SqlManagementClient>();

  constructor(private readonly options: ArmDatabasesOptions) {}

  async exists(target: TenantDatabaseTarget): Promise<boolean> {
    return (await this.find(target)) !== undefined;
  }

  /**
   * Creates the database in its elastic pool and follows the operation to its end. One that already
   * exists in the same pool is done; one in another pool is refused, never moved.
   */
  async create(target: TenantDatabaseTarget): Promise<void> {
    const { id, location } = elasticPoolOf(target);
    const existing = await this.find(target);
    if (existing) return assertInPool(target, existing);
    const pool = parseElasticPoolId(id);
    const database: Database = {
      location,
      elasticPoolId: id,
      tags: { tenant: target.tenantCode, environment: this.options.environment },
    };
    try {
      await this.client(pool).databases.beginCreateOrUpdateAndWait(pool.resourceGroup, pool.server, target.databaseName, database, {
        updateIntervalInMs: this.options.pollIntervalMs,
      });
    } catch (error) {
      // ARM answers 409 while another creator's operation on the same database runs: that one wins.
      if (statusCode(error) !== 409) throw error;
      const raced = await this.find(target);
      if (!raced) throw error;
      assertInPool(target, raced);
    }
  }

  async drop(target: TenantDatabaseTarget): Promise<void> {
    const pool = parseElasticPoolId(elasticPoolOf(target).id);
    try {
      await this.client(pool).databases.beginDeleteAndWait(pool.resourceGroup, pool.server, target.databaseName, {
        updateIntervalInMs: this.options.pollIntervalMs,
      });
    } catch (error) {
      if (statusCode(error) !== 404) throw error;
    }
  }

  /** A .bacpac in the configured blob container, written by the Import/Export service. */
  async export(target: TenantDatabaseTarget, name: string): Promise<string> {
    const settings = this.options.export;
    if (!settings) throw new EngineNotConfigured('exporting an azure-sql database needs AZURE_SQL_EXPORT_URL and its storage key');
    const pool = parseElasticPoolId(elasticPoolOf(target).id);
    const storageUri = `${settings.containerUrl}/${encodeURIComponent(name)}.bacpac`;
    await this.client(pool).databases.beginExportAndWait(
      pool.resourceGroup,
      pool.server,
      target.databaseName,
      {
        storageKeyType: settings.storageKeyType,
        storageKey: settings.storageKey,
        storageUri,
        administratorLogin: settings.adminLogin,
        administratorLoginPassword: settings.adminPassword,
        authenticationType: 'Sql',
      },
      { updateIntervalInMs: this.options.pollIntervalMs },
    );
    return storageUri;
  }

  private async find(target: TenantDatabaseTarget): Promise<Database | undefined> {
    const pool = parseElasticPoolId(elasticPoolOf(target).id);
    try {
      return await this.client(pool).databases.get(pool.resourceGroup, pool.server, target.databaseName);
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      throw error;
    }
  }

  private client(pool: ElasticPoolRef): SqlManagementClient {
    let client = this.clients.get(pool.subscriptionId);
    if (!client) {
      const { endpoint, clientOptions } = this.options;
      // $host is where requests go; endpoint is what the token is scoped to (`<endpoint>/.default`).
      client = new SqlManagementClient(this.options.credential, pool.subscriptionId, {
        $host: endpoint,
        endpoint,
        retryOptions: RETRY_OPTIONS,
        ...clientOptions,
      });
      this.clients.set(pool.subscriptionId, client);
    }
    return client;
  }
}

function elasticPoolOf({ address, databaseName }: TenantDatabaseTarget): { id: string; location: string } {
  const { elasticPoolId: id, location } = address;
  if (!id || !location) throw new Error(`database ${databaseName} is not placed in an elastic pool`);
  return { id, location };
}

function assertInPool(target: TenantDatabaseTarget, database: Database): void {
  const wanted = elasticPoolOf(target).id;
  if (!database.elasticPoolId || !sameResourceId(database.elasticPoolId, wanted)) {
    throw new TenantDatabaseConflict(
      `database ${target.databaseName} already exists ${database.elasticPoolId ? `in elastic pool ${database.elasticPoolId}` : 'outside any elastic pool'}, not in ${wanted}`,
      { databaseName: target.databaseName },
    );
  }
}
