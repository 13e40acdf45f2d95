/**
 * What Azure Resource Manager answers for Microsoft.Sql/servers/databases, written from Microsoft's
 * published material, each answer beside the file it comes from. "Spec" is the REST specification,
 * https://github.com/Azure/azure-rest-api-specs, under
 * specification/sql/resource-manager/Microsoft.Sql/stable/2025-01-01/ (Databases.json and examples/);
 * "RPC" is ARM's contract for asynchronous operations, Azure/azure-resource-manager-rpc
 * v1.0/async-api-reference.md; "recording" is the Azure SDK's recording of a real creation and
 * deletion (Azure/azure-sdk-for-js sdk/sql/arm-sql/recordings/node/sql_test/recording_databases_create_test.js
 * and recording_databases_delete_test.js).
 */

/** The spec's version (its info.version and every example's api-version); the double accepts no other. */
export const SPEC_API_VERSION = '2025-01-01';

export interface ArmAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** An ARM error body: `{ error: { code, message } }` (common-types resource-management v5 ErrorResponse, the schema of every default response in the spec). */
export const armError = (status: number, code: string, message: string, headers?: Record<string, string>): ArmAnswer => ({
  status,
  headers,
  body: { error: { code, message } },
});

/** Codes and messages as the spec's error lists give them (Databases.json, default responses of Databases_CreateOrUpdate and Databases_Export). */
export const SPEC_ERRORS = {
  // Databases_CreateOrUpdate
  ElasticPoolDatabaseCountOverLimit: [400, 'Attempting to create or add database to elastic pool when the database count limit of the elastic pool has been reached.'],
  SubscriptionVcoreQuotaExceeded: [409, 'Could not perform the operation because subscription would exceed the allowed vCore quota.'],
  ServerDtuQuotaExceeded: [409, 'Could not perform the operation because server would exceed the allowed Database Throughput Unit quota.'],
  ConflictingDatabaseOperation: [409, 'There is already some operation on the database and the current operation should wait till it is done.'],
  OperationCancelled: [409, 'The operation has been cancelled by user.'],
  OperationTimedOut: [500, 'The operation timed out and automatically rolled back. Please retry the operation.'],
  SubscriptionTooManyCreateUpdateRequests: [429, 'Requests beyond max requests that can be processed by available resources.'],
  SubscriptionTooManyRequests: [429, 'Requests beyond max requests that can be processed by available resources.'],
  TooManyRequests: [503, 'Requests beyond max requests that can be processed by available resources.'],
  // Databases_Get: "404 ResourceNotFound - The requested resource was not found."
  ResourceNotFound: [404, 'The requested resource was not found.'],
  // Databases_Export
  ImportExportOperationInProgress: [409, 'There is an import or export operation in progress on the database.'],
  BlobAlreadyExist: [400, 'ImportExport operation failed because the storage blob is already exists'],
  ImportExportJobError: [400, 'The ImportExport operation has failed.'],
  DatabaseDoesNotExist: [404, 'User has specified a database name that does not exist on this server instance.'],
  // Databases_CreateOrUpdate with createMode Secondary (active geo-replication)
  SourceDatabaseNotFound: [400, 'The source database does not exist.'],
  ReplicationSourceAndTargetMustHaveSameName: [400, 'The replication source and target databases must have the same name.'],
  ReplicationSourceAndTargetMustBeInDifferentServers: [400, 'The replication source and target databases must be in different logical servers.'],
  RemoteDatabaseExists: [409, 'The destination database name already exists on the destination server.'],
  UpdateNotAllowedIfGeoDrOperationInProgress: [400, 'The operation is disallowed because copy or failover operation for the database is currently in progress.'],
  // ReplicationLinks.json: ReplicationLinks_Failover and _Delete
  GeoReplicationDatabaseNotSecondary: [400, 'The operation expects the database to be a replication target.'],
  IncorrectReplicationLinkState: [400, 'The operation expects the database to be in an expected state on the replication link.'],
} as const satisfies Record<string, readonly [number, string]>;

export type SpecErrorCode = keyof typeof SPEC_ERRORS;

/**
 * The 5,001st database of a logical server (https://learn.microsoft.com/azure/azure-sql/database/resource-limits-logical-server:
 * "Databases per logical server 5000"). The spec's Databases_CreateOrUpdate lists no code for it, so
 * this code is the double's, shaped as the pool's (400 ElasticPoolDatabaseCountOverLimit); the engine
 * recognises a passed limit by the shape of the code, not by this name.
 */
export const serverFull = (server: string, limit: number): ArmAnswer =>
  armError(400, 'ServerDatabaseCountOverLimit', `Attempting to create a database on server '${server}' when its database count limit (${limit}) has been reached.`);

export const specError = (code: SpecErrorCode, headers?: Record<string, string>): ArmAnswer => armError(SPEC_ERRORS[code][0], code, SPEC_ERRORS[code][1], headers);

/** Where ARM says an operation can be followed: under the subscription, resource group and region (spec examples). */
export interface OperationUrls {
  /** Location: examples/CreateDatabaseMin.json and DeleteDatabase.json (…/databaseOperationResults/<id>), ExportDatabase.json (…/importExportOperationResults/<id>). */
  location: string;
  /** Azure-AsyncOperation: the recording (…/databaseAzureAsyncOperation/<id>); Databases_CreateOrUpdate's final-state-via is azure-async-operation. */
  azureAsyncOperation?: string;
}

/**
 * 202 Accepted for PUT and DELETE of a database: the spec declares the Location header (2025-01-01),
 * the recording shows Azure-AsyncOperation, Location and Retry-After together, and a body naming the
 * operation ({"operation":"CreateLogicalDatabase"|"DropLogicalDatabase","startTime":…}). Azure SQL sent
 * Retry-After: 0 there; RPC: "Retry-After … minimum of 10 seconds and a maximum of 10 minutes".
 */
export function databaseOperationAccepted(
  urls: OperationUrls,
  operation: 'CreateLogicalDatabase' | 'DropLogicalDatabase' | 'UpdateLogicalDatabase',
  retryAfterSeconds: number,
): ArmAnswer {
  return {
    status: 202,
    headers: {
      location: urls.location,
      ...(urls.azureAsyncOperation ? { 'azure-asyncoperation': urls.azureAsyncOperation } : {}),
      'retry-after': String(retryAfterSeconds),
    },
    body: { operation, startTime: new Date().toISOString() },
  };
}

/**
 * The Azure-AsyncOperation resource: always 200, its `status` says how the operation stands
 * (recording: "InProgress", then "Succeeded"). RPC: terminal values are Succeeded, Failed and Canceled;
 * `error {code, message}` is required when Failed or Canceled.
 */
export function asyncOperationStatus(name: string, status: 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled', error?: { code: string; message: string }): ArmAnswer {
  return { status: 200, body: { name, status, startTime: new Date().toISOString(), ...(error ? { error } : {}) } };
}

/** RPC: "Location URI should return 202 Accepted with no response body while operation is in progress." */
export const operationInProgress = (retryAfterSeconds: number): ArmAnswer => ({ status: 202, headers: { 'retry-after': String(retryAfterSeconds) } });

/** Databases_Delete: 204 "The specified database does not exist."; a finished delete's Location answers 200 (examples/DeleteDatabase.json). */
export const noSuchDatabaseToDelete: ArmAnswer = { status: 204 };

/** `DatabaseProperties.status` in the spec (readOnly, modelAsString); the ones the double uses. */
export type DatabaseStatus = 'Creating' | 'Online' | 'Offline' | 'Inaccessible' | 'Paused' | 'Resuming' | 'Scaling';

export interface DatabaseView {
  id: string;
  name: string;
  location: string;
  tags: Record<string, string>;
  elasticPoolId?: string;
  maxSizeBytes?: number;
  status: DatabaseStatus;
  /** A geo-secondary's (DatabaseProperties.secondaryType "Geo"); absent for a primary or a database on its own. */
  secondaryType?: 'Geo';
}

/**
 * Databases_Get 200: the resource as examples/GetVCoreDatabase.json and CreateDatabaseMin.json show it
 * (id, name, type, location, kind, sku, properties with status, collation, maxSizeBytes); a database in an
 * elastic pool has sku name "ElasticPool" (error ElasticPoolSkuCombinationInvalid: "Elastic pool and sku
 * can be specified together only if sku is specified as 'ElasticPool'") and its elasticPoolId.
 */
export function database(view: DatabaseView): ArmAnswer {
  return {
    status: 200,
    body: {
      id: view.id,
      name: view.name,
      type: 'Microsoft.Sql/servers/databases',
      location: view.location,
      tags: view.tags,
      kind: 'v12.0,user,vcore',
      sku: view.elasticPoolId ? { name: 'ElasticPool', tier: 'GeneralPurpose', capacity: 0 } : undefined,
      properties: {
        collation: 'SQL_Latin1_General_CP1_CI_AS',
        maxSizeBytes: view.maxSizeBytes ?? 34_359_738_368,
        status: view.status,
        elasticPoolId: view.elasticPoolId,
        ...(view.secondaryType && { secondaryType: view.secondaryType }),
      },
    },
  };
}

/** A database Azure keeps restorable after it was dropped, on its server, until the server's backup retention passes. */
export interface DroppedDatabaseView {
  serverId: string;
  databaseName: string;
  location: string;
  creationDate: string;
  deletionDate: string;
  maxSizeBytes?: number;
}

/**
 * RestorableDroppedDatabases_Get / _ListByServer 200 (examples/GetRestorableDroppedDatabase.json,
 * 2025-01-01): named `<database>,<deletion time in .NET ticks>`, the dropped database's name, sizes
 * and its creation and deletion dates in properties.
 */
export function restorableDroppedDatabase(view: DroppedDatabaseView): Record<string, unknown> {
  const ticks = BigInt(Date.parse(view.deletionDate)) * 10_000n + 621_355_968_000_000_000n;
  const name = `${view.databaseName},${ticks}`;
  return {
    sku: { name: 'ElasticPool', tier: 'GeneralPurpose' },
    properties: {
      databaseName: view.databaseName,
      maxSizeBytes: view.maxSizeBytes ?? 34_359_738_368,
      creationDate: view.creationDate,
      deletionDate: view.deletionDate,
      backupStorageRedundancy: 'Geo',
    },
    location: view.location,
    id: `${view.serverId}/restorableDroppedDatabases/${name}`,
    name,
    type: 'Microsoft.Sql/servers/restorableDroppedDatabases',
  };
}

/**
 * Databases_Export 202: the spec (2025-01-01) declares Location, the Learn page of that version also
 * Retry-After (https://learn.microsoft.com/rest/api/sql/databases/export?view=rest-sql-2025-01-01);
 * examples/ExportDatabase.json: Location …/locations/<region>/importExportOperationResults/<guid>.
 */
export const exportAccepted = (location: string, retryAfterSeconds: number): ArmAnswer => ({
  status: 202,
  headers: { location, 'retry-after': String(retryAfterSeconds) },
});

/** The finished export's Location: 200 with the ImportExportOperationResult of examples/ExportDatabase.json (status "Completed"). */
export function exportResult(input: { id: string; requestId: string; blobUri: string; server: string; database: string }): ArmAnswer {
  const now = new Date().toISOString();
  return {
    status: 200,
    body: {
      id: `${input.id}/importExportOperationResults/${input.requestId}`,
      name: input.requestId,
      type: 'Microsoft.Sql/servers/databases/importExportOperationResults',
      properties: {
        requestId: input.requestId,
        requestType: 'Export',
        queuedTime: now,
        lastModifiedTime: now,
        blobUri: input.blobUri,
        serverName: `${input.server}.database.windows.net`,
        databaseName: input.database,
        status: 'Completed',
      },
    },
  };
}

/** One replication link as one of its two databases sees it. */
export interface ReplicationLinkView {
  /** The database it is read through, and its partner, by resource id. */
  databaseId: string;
  partnerDatabaseId: string;
  partnerLocation: string;
  linkId: string;
  role: 'Primary' | 'Secondary';
  replicationState: 'PENDING' | 'SEEDING' | 'CATCH_UP' | 'SUSPENDED';
  percentComplete: number;
  startTime: string;
}

/**
 * ReplicationLinks_Get / _ListByDatabase / _Failover 200: ReplicationLink as ReplicationLinks.json
 * (2025-01-01) defines it and examples/ReplicationLinkFailover.json shows it: partnerServer,
 * partnerDatabase, partnerDatabaseId, partnerLocation, role and partnerRole, replicationMode ASYNC,
 * startTime, percentComplete, replicationState (PENDING, SEEDING, CATCH_UP, SUSPENDED),
 * isTerminationAllowed, linkType GEO; its id is under the database it is read through.
 */
export function replicationLink(view: ReplicationLinkView): Record<string, unknown> {
  const [, partnerServer, partnerDatabase] = /\/servers\/([^/]+)\/databases\/([^/]+)$/i.exec(view.partnerDatabaseId) ?? [];
  return {
    id: `${view.databaseId}/replicationLinks/${view.linkId}`,
    name: view.linkId,
    type: 'Microsoft.Sql/servers/databases/replicationLinks',
    properties: {
      partnerServer,
      partnerDatabase,
      partnerDatabaseId: view.partnerDatabaseId,
      partnerLocation: view.partnerLocation,
      role: view.role,
      partnerRole: view.role === 'Primary' ? 'Secondary' : 'Primary',
      replicationMode: 'ASYNC',
      startTime: view.startTime,
      percentComplete: view.percentComplete,
      replicationState: view.replicationState,
      isTerminationAllowed: view.replicationState === 'CATCH_UP',
      linkType: 'GEO',
    },
  };
}

/**
 * ReplicationLinks_Failover and _Delete 202: only Location, under the subscription and region
 * without a resource group (examples/ReplicationLinkFailover.json and ReplicationLinkDelete.json:
 * …/providers/Microsoft.Sql/locations/<region>/replicationLinksOperationResults/<id>).
 */
export const replicationLinkOperationAccepted = (location: string, retryAfterSeconds: number): ArmAnswer => ({
  status: 202,
  headers: { location, 'retry-after': String(retryAfterSeconds) },
});
