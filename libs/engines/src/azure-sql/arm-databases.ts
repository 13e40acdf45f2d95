import { type Database, type ExportDatabaseDefinition, SqlManagementClient, type SqlManagementClientOptionalParams } from '@azure/arm-sql';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import type { AzureSqlExportSettings } from '../engines-options';
import { EngineNotConfigured, TenantDatabaseConflict } from '../engine-errors';
import type { TenantDatabaseTarget } from '../tenant-database-engine';
import type { DatabaseLifecycle } from './database-lifecycle';
import { type ElasticPoolRef, parseElasticPoolId, sameResourceId } from './elastic-pool';
import { ExportEndpointApprover } from './export-endpoint-approver';

export interface ArmDatabasesOptions {
  credential: TokenCredential;
  /** The ARM endpoint (https://management.azure.com, or a sovereign cloud's, or a local double). */
  endpoint: string;
  environment: string;
  export?: AzureSqlExportSettings;
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

/** How often, while an isolated export runs, its pending private endpoints are looked for; they take minutes to appear. */
const APPROVAL_INTERVAL_MS = 15_000;

/** What the Import/Export service is sent: ExportDatabaseDefinition as the 2025-01-01 specification has it. */
export interface ExportRequestBody {
  storageKeyType: 'ManagedIdentity' | 'SharedAccessKey' | 'StorageAccessKey';
  storageKey: string;
  storageUri: string;
  administratorLogin: string;
  administratorLoginPassword?: string;
  authenticationType: 'ManagedIdentity' | 'Sql';
  networkIsolation?: { sqlServerResourceId: string; storageAccountResourceId: string };
}

/**
 * The one place the export request is built (Spec Microsoft.Sql stable/2025-01-01 Databases.json,
 * ExportDatabaseDefinition). With a managed identity its resource id is both the storage key
 * ("If StorageKeyType is ManagedIdentity, this field should specify the Managed Identity's resource
 * ID") and the administrator login (the same for AuthenticationType ManagedIdentity), and no password
 * is sent ("should not be specified"): examples/ExportDatabaseWithManagedIdentity.json. With a storage
 * account id, networkIsolation names it and the server, so that the service reaches both through
 * private endpoints (examples/ExportDatabaseWithNetworkIsolation.json); the server has no public access.
 */
export function exportRequestBody(settings: AzureSqlExportSettings, pool: ElasticPoolRef, storageUri: string): ExportRequestBody {
  const { auth, storageAccountId } = settings;
  const credentials =
    auth.kind === 'managed-identity'
      ? { storageKeyType: 'ManagedIdentity' as const, storageKey: auth.identityId, administratorLogin: auth.identityId, authenticationType: 'ManagedIdentity' as const }
      : {
          storageKeyType: auth.storageKeyType,
          storageKey: auth.storageKey,
          administratorLogin: auth.login,
          administratorLoginPassword: auth.password,
          authenticationType: 'Sql' as const,
        };
  const networkIsolation = storageAccountId ? { sqlServerResourceId: serverResourceId(pool), storageAccountResourceId: storageAccountId } : undefined;
  return { ...credentials, storageUri, ...(networkIsolation && { networkIsolation }) };
}

/**
 * @azure/arm-sql 10 still types the export password as required, and its serializer refuses a body
 * without one (installed src/models/mappers.ts, ExportDatabaseDefinition); with a managed identity the
 * service wants none (400 SQLPasswordSpecifiedWithManagedIdentity, Spec stable/2025-01-01). The SDK is
 * handed an empty placeholder, and this policy takes it off the wire.
 */
const PLACEHOLDER_PASSWORD = '';
const managedIdentityExportPolicy: PipelinePolicy = {
  name: 'tenantryManagedIdentityExport',
  sendRequest(request, next) {
    if (request.method === 'POST' && /\/export$/i.test(new URL(request.url).pathname) && typeof request.body === 'string') {
      const body = JSON.parse(request.body) as Partial<ExportRequestBody>;
      if (body.authenticationType === 'ManagedIdentity' && body.administratorLoginPassword === PLACEHOLDER_PASSWORD) {
        delete body.administratorLoginPassword;
        request.body = JSON.stringify(body);
      }
    }
    return next(request);
  },
};

function sdkExportParameters(body: ExportRequestBody): ExportDatabaseDefinition {
  return { ...body, administratorLoginPassword: body.administratorLoginPassword ?? PLACEHOLDER_PASSWORD };
}

function serverResourceId(pool: ElasticPoolRef): string {
  return `/subscriptions/${pool.subscriptionId}/resourceGroups/${pool.resourceGroup}/providers/Microsoft.Sql/servers/${pool.server}`;
}

function statusCode(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

/** Tenant databases in Azure SQL elastic pools, through Azure Resource Manager (`@azure/arm-sql`). */
export class ArmDatabases implements DatabaseLifecycle {
  // One client per subscription: the SDK binds a client to the subscription it manages.
  private readonly clients = new Map<string, SqlManagementClient>();
  private readonly approver: ExportEndpointApprover;

  constructor(private readonly options: ArmDatabasesOptions) {
    this.approver = new ExportEndpointApprover(options.endpoint, options.pollIntervalMs ?? APPROVAL_INTERVAL_MS);
  }

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

  /** A .bacpac in the configured blob container, written by the Import/Export service; its private endpoints approved while it runs. */
  async export(target: TenantDatabaseTarget, name: string): Promise<string> {
    const settings = this.options.export;
    if (!settings) throw new EngineNotConfigured('exporting an azure-sql database needs AZURE_SQL_EXPORT_URL and its credentials (README, "Azure SQL")');
    const pool = parseElasticPoolId(elasticPoolOf(target).id);
    const storageUri = `${settings.containerUrl}/${encodeURIComponent(name)}.bacpac`;
    const body = exportRequestBody(settings, pool, storageUri);
    const client = this.client(pool);
    const exporting = client.databases.beginExportAndWait(pool.resourceGroup, pool.server, target.databaseName, sdkExportParameters(body), {
      updateIntervalInMs: this.options.pollIntervalMs,
    });
    const isolation = body.networkIsolation;
    await (isolation
      ? this.approver.approveWhile(exporting, (request) => client.sendRequest(request), [isolation.sqlServerResourceId, isolation.storageAccountResourceId], target.tenantId)
      : exporting);
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
        additionalPolicies: [{ policy: managedIdentityExportPolicy, position: 'perCall' }],
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
