import {
  type Database,
  type DatabasesExportOptionalParams,
  type ExportDatabaseDefinition,
  SqlManagementClient,
  type SqlManagementClientOptionalParams,
} from '@azure/arm-sql';
import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AzureCapacityRefused,
  DroppedDatabaseGone,
  EngineNotConfigured,
  ExportBlocked,
  RestoreUnsupported,
  TenantDatabaseConflict,
  TenantDatabaseNotReady,
} from '../engine-errors';
import type { AzureSqlExportSettings } from '../engines-options';
import type { StepCheckpoint, TenantDatabaseTarget } from '../tenant-database-engine';
import type { ArmPacer } from './arm-pacer';
import { configureArmPipeline, PLACEHOLDER_PASSWORD, retryAfterMs, SQL_API_VERSION } from './arm-pipeline';
import type { DatabaseLifecycle } from './database-lifecycle';
import { type ElasticPoolRef, parseElasticPoolId, sameResourceId } from './elastic-pool';
import { ExportEndpointApprover } from './export-endpoint-approver';
import { AZURE_TRANSIENT_RETRY, type TransientRetryOptions, withTransientRetry } from './transient-retry';

export interface ArmDatabasesOptions {
  credential: TokenCredential;
  /** The ARM endpoint (https://management.azure.com, or a sovereign cloud's, or a local double). */
  endpoint: string;
  environment: string;
  export?: AzureSqlExportSettings;
  /** Sent as each new database's maxSizeBytes; absent, Azure's default for the pool's tier. */
  databaseMaxSizeBytes?: number;
  /** Merged over the defaults below; tests pass `tlsOptions` to trust a local double. */
  clientOptions?: SqlManagementClientOptionalParams;
  /** Poll interval of long-running operations and of the wait for Online, when ARM asks for no other. */
  pollIntervalMs?: number;
  /** Retries of each ARM request; Microsoft's guidance (AZURE_TRANSIENT_RETRY) unless a test shortens it. */
  retry?: TransientRetryOptions;
  /** How long create() waits for a database that exists to come Online before the step fails (and is tried again). */
  readyTimeoutMs?: number;
  /** How long an export waits for another import or export of the same database to end before it fails (and is tried again). */
  exportQueueTimeoutMs?: number;
  /** The process's one ARM pacer (every engine of the process shares it). */
  pacer: ArmPacer;
}

// Azure SQL answered Retry-After: 0 while a creation took ~53 s (the SDK's recording of a real one):
// without a wait from ARM, poll every 10 s rather than the SDK's 2 s, well inside ARM's read limits.
const POLL_INTERVAL_MS = 10_000;
const READY_TIMEOUT_MS = 10 * 60_000;
const EXPORT_QUEUE_TIMEOUT_MS = 30 * 60_000;

/**
 * Statuses a database leaves for Online by itself (spec DatabaseProperties.status, 2025-01-01);
 * any other but Online (Offline, Inaccessible, Suspect, Disabled, …) needs someone to act.
 */
const COMING_ONLINE = new Set(['Creating', 'Copying', 'Restoring', 'Recovering', 'RecoveryPending', 'Resuming', 'Scaling', 'Starting']);

/**
 * Refusals for want of room (spec Databases.json 2025-01-01, Databases_CreateOrUpdate): the pool is
 * full (400 ElasticPoolDatabaseCountOverLimit, or its vCore/DTU guarantees or storage used up) or a
 * quota is (409 SubscriptionVcoreQuotaExceeded, ServerDtuQuotaExceeded). None passes by retrying.
 */
const POOL_FULL = new Set([
  'ElasticPoolDatabaseCountOverLimit',
  'ElasticPoolInconsistentVcoreGuaranteeSettings',
  'ElasticPoolInconsistentDtuGuaranteeSettings',
  'ElasticPoolOverStorage',
  'ElasticPoolOverFileSpace',
]);
const QUOTA_USED_UP = new Set(['SubscriptionVcoreQuotaExceeded', 'ServerDtuQuotaExceeded']);
/**
 * A logical server holds at most 5,000 databases (https://learn.microsoft.com/azure/azure-sql/database/resource-limits-logical-server),
 * but the spec lists no error code for the 5,001st; so any other create refusal whose code says a
 * count, quota or limit was passed is taken as want of room too (a 429 is never one: it is a 429).
 */
const SOME_LIMIT_PASSED = /(Quota|Limit)(Exceeded|Reached)$|OverLimit$|CountExceeded$/;

function isWantOfRoom(code: string): boolean {
  return POOL_FULL.has(code) || QUOTA_USED_UP.has(code) || SOME_LIMIT_PASSED.test(code);
}

/**
 * The SDK's poller resumes from its own serialized state (@azure/core-lro 2.x, `poller.toString()`);
 * this is that state for an operation followed by its Location, as the poller makes it from a 202
 * that carries only a Location (http/operation.js inferLroMode, mode ResourceLocation).
 */
function pollerStateAt(location: string): string {
  return JSON.stringify({ state: { status: 'running', config: { metadata: { mode: 'ResourceLocation' }, operationLocation: location } } });
}

/** An import/export service verdict that the export is done (the spec's example says "Completed", Microsoft's docs "Succeeded"). */
const EXPORT_DONE = new Set(['completed', 'succeeded']);

// Each raw response of an operation, as the SDK hands it to `onResponse` (the type is declared by its core-client dependency).
type RawResponse = Parameters<NonNullable<DatabasesExportOptionalParams['onResponse']>>[0];

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

function sdkExportParameters(body: ExportRequestBody): ExportDatabaseDefinition {
  return { ...body, administratorLoginPassword: body.administratorLoginPassword ?? PLACEHOLDER_PASSWORD };
}

export function serverResourceId(pool: ElasticPoolRef): string {
  return `/subscriptions/${pool.subscriptionId}/resourceGroups/${pool.resourceGroup}/providers/Microsoft.Sql/servers/${pool.server}`;
}

/** An ARM error answer as the SDK would throw it: its status, and the code and message of its body (common-types ErrorResponse). */
function armFailure(response: PipelineResponse): Error {
  let error: { code?: string; message?: string } | undefined;
  try {
    error = (JSON.parse(response.bodyAsText ?? '{}') as { error?: { code?: string; message?: string } }).error;
  } catch {
    error = undefined;
  }
  return Object.assign(new Error(error?.message ?? `ARM answered ${response.status}`), { statusCode: response.status, code: error?.code });
}

/** The parts of a database resource (spec Database) the engine reads. */
function databaseOf(text: string | null | undefined): Database {
  const resource = JSON.parse(text ?? '{}') as { location: string; properties?: { status?: string; elasticPoolId?: string } };
  return { location: resource.location, status: resource.properties?.status, elasticPoolId: resource.properties?.elasticPoolId };
}

export function statusCode(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

/**
 * ARM's error code: a RestError carries it from the response body; a long-running operation that
 * ended Failed comes from the SDK's poller as "The long-running operation has failed. <code>. <message>"
 * (@azure/core-lro, poller/operation.js processOperationStatus).
 */
function armErrorCode(error: unknown): string | undefined {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return code;
  return typeof message === 'string' ? /^The long-running operation has failed\. (\w+)\./.exec(message)?.[1] : undefined;
}

/** Tenant databases in Azure SQL elastic pools, through Azure Resource Manager (`@azure/arm-sql`). */
export class ArmDatabases implements DatabaseLifecycle {
  // One client per subscription: the SDK binds a client to the subscription it manages.
  private readonly clients = new Map<string, SqlManagementClient>();
  private readonly approver: ExportEndpointApprover;
  private readonly pacer: ArmPacer;

  constructor(private readonly options: ArmDatabasesOptions) {
    this.pacer = options.pacer;
    this.approver = new ExportEndpointApprover(options.endpoint, options.pollIntervalMs ?? APPROVAL_INTERVAL_MS);
  }

  async exists(target: TenantDatabaseTarget): Promise<boolean> {
    return (await this.find(target)) !== undefined;
  }

  /**
   * Creates the database in its elastic pool, unless it exists there already (one in another pool is
   * refused, never moved), and returns once it is Online: a database that exists is not yet one a login
   * can reach (Azure answers error 40613 while it is Creating), as after a worker died mid-creation.
   * ARM reads are what a fleet runs out of first (ARM_RATE_LIMITS), so a new database costs one GET to
   * look, the PUT, and the polls of its operation only, spaced so that the first usually finds it done.
   */
  async create(target: TenantDatabaseTarget): Promise<void> {
    await this.createAs(target, {});
  }

  /**
   * A copy of database `from` as it was at `at`, made by Azure from its own backups into the target's
   * elastic pool (spec example CreateDatabasePITRMode: createMode PointInTimeRestore, sourceDatabaseId,
   * restorePointInTime). Idempotent as create is: a restore already made or under way is waited for.
   */
  async restoreToPointInTime(target: TenantDatabaseTarget, from: TenantDatabaseTarget, at: Date): Promise<void> {
    await this.createAs(target, { createMode: 'PointInTimeRestore', sourceDatabaseId: databaseResourceId(from), restorePointInTime: at.toISOString() });
  }

  /**
   * Creates `replica` as the active geo-replication secondary of `source` (createMode Secondary, in
   * the replica's elastic pool, on its server), unless it exists there already, and returns once it
   * is Online; its seeding goes on after that (its replication link says how far).
   */
  async createSecondary(replica: TenantDatabaseTarget, source: TenantDatabaseTarget): Promise<void> {
    await this.createAs(replica, { createMode: 'Secondary', sourceDatabaseId: databaseResourceId(source) });
  }

  /**
   * The tenant's database as Azure kept it when it was dropped, restored into the target's elastic
   * pool: the newest restorable dropped database of its name on its server (RestorableDroppedDatabases -
   * List By Server), created with createMode Restore, the dropped database's own id as sourceDatabaseId
   * and its deletionDate as sourceDatabaseDeletionDate (Databases.json 2025-01-01,
   * DatabaseProperties.createMode). Azure restores a dropped database on its own server only. None
   * restorable (the server's backup retention passed) is DroppedDatabaseGone. Idempotent as create is:
   * a restore already made or under way is waited for.
   */
  async restoreDropped(target: TenantDatabaseTarget, dropped: TenantDatabaseTarget): Promise<void> {
    await this.createAs(target, async () => {
      const server = parseElasticPoolId(elasticPoolOf(dropped).id);
      if (!sameResourceId(serverResourceId(server), serverResourceId(parseElasticPoolId(elasticPoolOf(target).id)))) {
        throw new RestoreUnsupported(
          `Azure restores dropped database ${dropped.databaseName} on its own server ${server.server} only, not into ${elasticPoolOf(target).id}`,
        );
      }
      let deletedAt: Date | undefined;
      for await (const kept of this.client(server).restorableDroppedDatabases.listByServer(server.resourceGroup, server.server)) {
        const at = kept.deletionDate;
        if (at && kept.databaseName?.toLowerCase() === dropped.databaseName.toLowerCase() && (!deletedAt || at > deletedAt)) deletedAt = at;
      }
      if (!deletedAt) {
        throw new DroppedDatabaseGone(
          `Azure keeps no dropped database ${dropped.databaseName} on server ${server.server} to restore any more: its backup retention has passed`,
          { databaseName: dropped.databaseName },
        );
      }
      return { createMode: 'Restore', sourceDatabaseId: databaseResourceId(dropped), sourceDatabaseDeletionDate: deletedAt.toISOString() };
    });
  }

  /** Create, restore and secondary alike: a database of that name already in the pool is waited for, not made again (nor `creation` worked out). */
  private async createAs(target: TenantDatabaseTarget, creation: Record<string, string> | (() => Promise<Record<string, string>>)): Promise<void> {
    const existing = await this.find(target);
    if (existing) assertInPool(target, existing);
    await this.waitOnline(target, existing ?? (await this.put(target, typeof creation === 'function' ? await creation() : creation)));
  }

  async drop(target: TenantDatabaseTarget): Promise<void> {
    const pool = parseElasticPoolId(elasticPoolOf(target).id);
    try {
      await this.client(pool).databases.beginDeleteAndWait(pool.resourceGroup, pool.server, target.databaseName, {
        updateIntervalInMs: this.pollIntervalMs,
      });
    } catch (error) {
      if (statusCode(error) !== 404) throw error;
    }
  }

  /**
   * A .bacpac in the configured blob container, written by the Import/Export service. The export is a
   * POST, not idempotent, and runs for minutes to hours: its Location is saved in `checkpoint` as soon
   * as ARM answers 202, before any poll, so a later attempt follows the same export instead of starting
   * another. With network isolation its private endpoints are approved for as long as it is followed,
   * a resumed export's as well as a new one's (it is on hold until they are).
   */
  async export(target: TenantDatabaseTarget, name: string, checkpoint?: StepCheckpoint): Promise<string> {
    const settings = this.options.export;
    if (!settings) throw new EngineNotConfigured('exporting an azure-sql database needs AZURE_SQL_EXPORT_URL and its credentials (README, "Azure SQL")');
    const pool = parseElasticPoolId(elasticPoolOf(target).id);
    const storageUri = `${settings.containerUrl}/${encodeURIComponent(name)}.bacpac`;
    const body = exportRequestBody(settings, pool, storageUri);
    const client = this.client(pool);
    const exporting = this.followExport(client, pool, target, body, checkpoint);
    const isolation = body.networkIsolation;
    await (isolation
      ? this.approver.approveWhile(
          exporting,
          (request) => client.sendRequest(request),
          [isolation.sqlServerResourceId, isolation.storageAccountResourceId],
          target.tenantId,
        )
      : exporting);
    return storageUri;
  }

  /** Starts the export, or resumes the one `checkpoint` holds, and polls it to its end. */
  private async followExport(
    client: SqlManagementClient,
    pool: ElasticPoolRef,
    target: TenantDatabaseTarget,
    body: ExportRequestBody,
    checkpoint?: StepCheckpoint,
  ): Promise<void> {
    const { storageUri } = body;
    const begin = (options: { resumeFrom?: string; onResponse?: (response: RawResponse) => void }) =>
      client.databases.beginExport(pool.resourceGroup, pool.server, target.databaseName, sdkExportParameters(body), {
        ...options,
        updateIntervalInMs: this.pollIntervalMs,
      });

    let poller: Awaited<ReturnType<typeof begin>> | undefined;
    if (checkpoint?.saved) {
      try {
        poller = await begin({ resumeFrom: pollerStateAt(checkpoint.saved) });
      } catch (error) {
        // ARM no longer knows that operation: start again (an export that did finish shows as BlobAlreadyExist).
        if (statusCode(error) !== 404) throw await this.forgetFailedExport(error, checkpoint);
        await checkpoint.save(null);
      }
    }
    if (!poller) {
      let saving: Promise<void> | undefined;
      const keepLocation = (response: RawResponse) => {
        const location = response.request.method === 'POST' && response.status === 202 ? response.headers.get('location') : undefined;
        if (location && checkpoint) saving = checkpoint.save(location);
      };
      try {
        poller = await this.startExport(target, storageUri, () => begin({ onResponse: keepLocation }));
      } finally {
        await saving;
      }
    }

    let result;
    try {
      result = await poller.pollUntilDone();
    } catch (error) {
      throw await this.forgetFailedExport(error, checkpoint);
    }
    if (!EXPORT_DONE.has(String(result.status).toLowerCase())) {
      await checkpoint?.save(null);
      throw new Error(`the export of ${target.databaseName} to ${storageUri} ended ${result.status}: ${result.errorMessage ?? 'no reason given'}`);
    }
  }

  /**
   * POSTs the export. A 409 ImportExportOperationInProgress started nothing: another export of this
   * database runs (an earlier attempt's whose Location was never saved, or someone's by hand), so the
   * POST is sent again once it may have ended. A 400 BlobAlreadyExist means an earlier attempt of this
   * very operation wrote the blob (its name is the operation's): whether that export completed is not
   * known here, so the operation stops rather than drop the database on an unchecked copy.
   */
  private async startExport<T>(target: TenantDatabaseTarget, storageUri: string, post: () => Promise<T>): Promise<T> {
    const wait = { ...this.retry, budgetMs: this.options.exportQueueTimeoutMs ?? EXPORT_QUEUE_TIMEOUT_MS };
    try {
      return await withTransientRetry(
        wait,
        (failure) => ('error' in failure && armErrorCode(failure.error) === 'ImportExportOperationInProgress' ? 'backoff' : 'give-up'),
        post,
      );
    } catch (error) {
      if (armErrorCode(error) !== 'BlobAlreadyExist') throw error;
      throw new ExportBlocked(
        `the export blob ${storageUri} already exists: an earlier attempt of this operation wrote it, and whether that export completed is not known; check the blob, delete it and retry the operation to export again`,
        { databaseName: target.databaseName, storageUri },
      );
    }
  }

  /** An export the service answered with an error (a 4xx from its Location) is over: the next attempt starts a new one. */
  private async forgetFailedExport(error: unknown, checkpoint?: StepCheckpoint): Promise<unknown> {
    const status = statusCode(error);
    if (status !== undefined && status >= 400 && status < 500 && status !== 429) await checkpoint?.save(null);
    return error;
  }

  /**
   * PUT of the database, followed to the end of its operation through its Azure-AsyncOperation (RPC:
   * Succeeded, Failed or Canceled with the error), polled no sooner than Retry-After or the poll
   * interval. Succeeded means Online, so the database itself is not read again. The PUT goes through
   * the SDK client's pipeline (token, retries, pacer, API version) but not its poller, which polls once
   * the moment the PUT is answered: a read spent on an operation that has only just started. A 409
   * means another creator's operation on it runs (a worker that died, or a second one): that database
   * is taken if it is in the same pool.
   */
  private async put(target: TenantDatabaseTarget, creation: Record<string, string>): Promise<Database> {
    const { id, location } = elasticPoolOf(target);
    const pool = parseElasticPoolId(id);
    const body = {
      location,
      tags: { tenant: target.tenantCode, environment: this.options.environment },
      properties: {
        ...creation,
        elasticPoolId: id,
        // A geo-secondary takes its size from its primary.
        ...(creation.createMode !== 'Secondary' && this.options.databaseMaxSizeBytes !== undefined && { maxSizeBytes: this.options.databaseMaxSizeBytes }),
      },
    };
    try {
      const response = await this.client(pool).sendRequest(
        createPipelineRequest({
          url: `${this.options.endpoint}${serverResourceId(pool)}/databases/${encodeURIComponent(target.databaseName)}?api-version=${SQL_API_VERSION}`,
          method: 'PUT',
          headers: createHttpHeaders({ 'content-type': 'application/json' }),
          body: JSON.stringify(body),
        }),
      );
      if (response.status === 200 || response.status === 201) return databaseOf(response.bodyAsText);
      if (response.status !== 202) throw armFailure(response);
      const operation = response.headers.get('azure-asyncoperation');
      // The spec declares only Location on this 202: without Azure-AsyncOperation the database itself is read until Online (waitOnline).
      if (!operation) return { location, elasticPoolId: id, status: 'Creating' };
      await this.followOperation(pool, target, operation, retryAfterMs(response) ?? 0);
      return { location, elasticPoolId: id, status: 'Online' };
    } catch (error) {
      refuseForWantOfRoom(target, id, error);
      if (statusCode(error) !== 409) throw error;
      const raced = await this.find(target);
      if (!raced) throw error;
      assertInPool(target, raced);
      return raced;
    }
  }

  /** Polls an Azure-AsyncOperation until it ends; Failed or Canceled throws with ARM's code, as the SDK's poller words it. */
  private async followOperation(pool: ElasticPoolRef, target: TenantDatabaseTarget, url: string, firstWaitMs: number): Promise<void> {
    const deadline = Date.now() + this.readyTimeoutMs;
    let waitMs = Math.max(firstWaitMs, this.pollIntervalMs);
    for (;;) {
      await sleep(waitMs);
      const response = await this.client(pool).sendRequest(createPipelineRequest({ url, method: 'GET' }));
      if (response.status !== 200) throw armFailure(response);
      const body = JSON.parse(response.bodyAsText ?? '{}') as { status?: string; error?: { code?: string; message?: string } };
      if (body.status === 'Succeeded') return;
      if (body.status === 'Failed' || body.status === 'Canceled') {
        const verb = body.status === 'Failed' ? 'failed' : 'been canceled';
        throw Object.assign(new Error(`The long-running operation has ${verb}. ${body.error?.code ?? 'NoCode'}. ${body.error?.message ?? ''}`), {
          code: body.error?.code,
        });
      }
      if (Date.now() >= deadline) {
        throw new TenantDatabaseNotReady(`database ${target.databaseName} is still being created in Azure; the step is tried again later`, {
          databaseName: target.databaseName,
          status: 'Creating',
        });
      }
      waitMs = Math.max(retryAfterMs(response) ?? 0, this.pollIntervalMs);
    }
  }

  /** GETs the database until it is Online, for at most readyTimeoutMs; a status it does not leave by itself fails at once. */
  private async waitOnline(target: TenantDatabaseTarget, database: Database): Promise<void> {
    const deadline = Date.now() + this.readyTimeoutMs;
    let current: Database | undefined = database;
    while (current.status !== 'Online') {
      const status = current.status ?? 'without a status';
      if (!COMING_ONLINE.has(status)) {
        throw new TenantDatabaseNotReady(`database ${target.databaseName} is ${status} in Azure, not Online: it does not come Online by itself`, {
          databaseName: target.databaseName,
          status,
        });
      }
      if (Date.now() >= deadline) {
        throw new TenantDatabaseNotReady(`database ${target.databaseName} is still ${status} in Azure; the step is tried again later`, {
          databaseName: target.databaseName,
          status,
        });
      }
      await sleep(this.pollIntervalMs);
      current = await this.find(target);
      if (!current) throw new TenantDatabaseNotReady(`database ${target.databaseName} disappeared while ${status}`, { databaseName: target.databaseName });
    }
  }

  async find(target: TenantDatabaseTarget): Promise<Database | undefined> {
    const pool = parseElasticPoolId(elasticPoolOf(target).id);
    try {
      return await this.client(pool).databases.get(pool.resourceGroup, pool.server, target.databaseName);
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      throw error;
    }
  }

  /** How long a wait for Azure (a database coming Online) lasts before the step fails and is tried again. */
  get readyTimeoutMs(): number {
    return this.options.readyTimeoutMs ?? READY_TIMEOUT_MS;
  }

  get pollIntervalMs(): number {
    return this.options.pollIntervalMs ?? POLL_INTERVAL_MS;
  }

  private get retry(): TransientRetryOptions {
    return this.options.retry ?? AZURE_TRANSIENT_RETRY;
  }

  /** The process's ARM client for the pool's subscription: the engine's pipeline (retries, pacer, API version) on every request. */
  client(pool: ElasticPoolRef): SqlManagementClient {
    let client = this.clients.get(pool.subscriptionId);
    if (!client) {
      const { endpoint, clientOptions } = this.options;
      // $host is where requests go; endpoint is what the token is scoped to (`<endpoint>/.default`).
      client = new SqlManagementClient(this.options.credential, pool.subscriptionId, { $host: endpoint, endpoint, ...clientOptions });
      configureArmPipeline(client, this.retry, this.pacer);
      this.clients.set(pool.subscriptionId, client);
    }
    return client;
  }
}

/** A refusal for want of room in elastic pool `pool`, as AzureCapacityRefused with what to do about it; anything else passes through. */
export function refuseForWantOfRoom(target: TenantDatabaseTarget, pool: string, error: unknown): void {
  const code = armErrorCode(error);
  if (!code || statusCode(error) === 429 || !isWantOfRoom(code)) return;
  const reason = (error as Error).message;
  const advice = POOL_FULL.has(code)
    ? `elastic pool ${pool} has no room for database ${target.databaseName}; its registered maxDatabases is more than it holds: lower it (PUT /pools/:name) or give the pool more`
    : QUOTA_USED_UP.has(code)
      ? `Azure's quota is used up for database ${target.databaseName} in ${pool}; raise it (a quota request) and retry the operation`
      : `Azure refused database ${target.databaseName} in ${pool} for a limit it passed (a logical server holds at most 5,000 databases): place the tenant on another server or pool`;
  throw new AzureCapacityRefused(`${advice} (${code}: ${reason})`, { databaseName: target.databaseName, elasticPoolId: pool, azureCode: code });
}

export function databaseResourceId(target: TenantDatabaseTarget): string {
  return `${serverResourceId(parseElasticPoolId(elasticPoolOf(target).id))}/databases/${target.databaseName}`;
}

export function elasticPoolOf({ address, databaseName }: TenantDatabaseTarget): { id: string; location: string } {
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
