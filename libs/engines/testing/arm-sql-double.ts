import { type RecordedRequest, startHttpsDouble } from '@tenantry/common/testing';
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { parseElasticPoolId } from '../src/azure-sql/elastic-pool';
import {
  type ArmAnswer,
  armError,
  asyncOperationStatus,
  database,
  databaseOperationAccepted,
  type DatabaseStatus,
  type DatabaseView,
  exportAccepted,
  exportResult,
  noSuchDatabaseToDelete,
  operationInProgress,
  replicationLink,
  replicationLinkOperationAccepted,
  type DroppedDatabaseView,
  restorableDroppedDatabase,
  SPEC_API_VERSION,
  SPEC_ERRORS,
  serverFull,
  specError,
  type SpecErrorCode,
} from './arm-sql-fixtures';
import { type PrivateLinkDouble, privateLinkDouble } from './private-link-double';

export { SPEC_API_VERSION } from './arm-sql-fixtures';

/** Where a database lives in ARM's address space. */
export interface DatabaseAddress {
  subscriptionId: string;
  resourceGroup: string;
  server: string;
}

export interface DoubleDatabase extends DatabaseView {
  /** The id of the creation running on it, whose end a GET of the database may see (locationOnly). */
  creation?: string;
  /** The operation running on it, if any: ARM answers 409 ConflictingDatabaseOperation to another. */
  busy?: 'create' | 'delete' | 'update';
  exporting?: boolean;
  /** A status it moves to after that many GETs (a creation someone else started, a database failing). */
  becomes?: { status: DatabaseStatus; afterGets: number };
}

/**
 * An active geo-replication link between a primary and its geo-secondary on another server (ids as
 * the databases', lowercased): SEEDING for `seedingReads` reads of it once the secondary exists, then
 * CATCH_UP; a planned failover swaps the roles, a delete leaves both databases on their own.
 */
export interface DoubleLink {
  id: string;
  primary: string;
  secondary: string;
  state: 'SEEDING' | 'CATCH_UP';
  seedingReadsLeft: number;
  startTime: string;
  /** A failover or delete of the link runs. */
  busy?: 'failover' | 'delete';
}

/** One request as ARM saw it, with its arrival time and the status it was answered. */
export interface ArmCall {
  method: string;
  path: string;
  apiVersion: string | null;
  body: unknown;
  at: number;
  status?: number;
}

/**
 * ARM's throttling as documented since its 2024 move to regional token buckets: per subscription and
 * operation type, reads 250 refilled at 25/s, writes 200 at 10/s, deletes 200 at 10/s; every answer
 * says what is left in x-ms-ratelimit-remaining-subscription-reads / -writes / -deletes, and a request
 * beyond the bucket is answered 429 with Retry-After.
 * https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling
 * `speed` runs the double's clock that many times faster than real time: buckets refill `speed`×
 * faster, creations take 1/`speed` of their time, and Retry-After is scaled to the real time it stands for.
 */
export interface ArmThrottling {
  speed?: number;
  limits?: Partial<Record<'reads' | 'writes' | 'deletes', { burst: number; perSecond: number }>>;
}

export const ARM_THROTTLING_LIMITS = {
  reads: { burst: 250, perSecond: 25 },
  writes: { burst: 200, perSecond: 10 },
  deletes: { burst: 200, perSecond: 10 },
};

/** A logical server holds at most 5,000 databases: https://learn.microsoft.com/azure/azure-sql/database/resource-limits-logical-server */
export const LOGICAL_SERVER_MAX_DATABASES = 5_000;

/**
 * Makes the next `times` (default 1) matching requests fail: with an error of the spec (`code`, its
 * status and message) or with a bare `status`; then the double behaves again.
 */
export interface ArmFault {
  method: string;
  path: RegExp;
  code?: SpecErrorCode;
  status?: number;
  retryAfterSeconds?: number;
  times?: number;
  /** Runs when the fault fires, e.g. another creator's database appearing. */
  effect?: () => void;
}

export interface ArmSqlDouble {
  url: string;
  ca: string;
  calls: ArmCall[];
  /** Every way a request broke the API contract (wrong api-version, malformed body); each was answered 400. */
  violations: string[];
  databases: Map<string, DoubleDatabase>;
  /** Active geo-replication links by link id. */
  links: Map<string, DoubleLink>;
  /** Private endpoint connections of servers and storage accounts; an export with networkIsolation waits on its two. */
  privateLink: PrivateLinkDouble;
  /** Blob URIs the Import/Export service wrote. */
  blobs: Set<string>;
  /** Databases dropped and still restorable (RestorableDroppedDatabases); a restore (createMode Restore) takes one of these. */
  dropped: DroppedDatabaseView[];
  /** The servers' backup retention passes: no dropped database is restorable any more. */
  forgetDroppedDatabases(): void;
  fail(fault: ArmFault): void;
  /** Drops the faults not used up yet. */
  clearFaults(): void;
  /** The next operation that starts (create, delete, export) ends Failed or Canceled with this error instead of succeeding. */
  endNextOperation(outcome: 'Failed' | 'Canceled', code: SpecErrorCode): void;
  /** The elastic pool holds at most this many databases (its tier's limit). */
  limitPool(elasticPoolId: string, maxDatabases: number): void;
  /** Every creation is refused with this quota error until lifted (null). */
  exhaustQuota(code: 'SubscriptionVcoreQuotaExceeded' | 'ServerDtuQuotaExceeded' | null): void;
  /** Seconds of Retry-After on the 202s of operations started from now on. */
  setRetryAfter(seconds: number): void;
  /** A database that exists before the test acts: in another pool, or still Creating. */
  seed(input: { server: DatabaseAddress; name: string; location: string; tags: Record<string, string>; elasticPoolId?: string } & Partial<DoubleDatabase>): void;
  close(): Promise<void>;
}

interface Operation {
  pollsLeft: number;
  /** With operationSeconds: the double's time it ends at. */
  endsAt?: number;
  outcome: { status: 'Succeeded' } | { status: 'Failed' | 'Canceled'; code: SpecErrorCode };
  /** Applies the operation's end to the double's state, once; returns what its Location answers from then on. */
  finish: (succeeded: boolean) => ArmAnswer;
  final?: ArmAnswer;
  /** An export with network isolation is "on hold" until its private endpoints are approved; polls meanwhile do not count. */
  onHold?: () => boolean;
}

const DROPPED_PATH = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Sql\/servers\/[^/]+\/restorableDroppedDatabases(?:\/([^/]+))?$/i;
const DATABASE_PATH = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Sql\/servers\/([^/]+)\/databases\/([^/]+?)(\/export)?$/i;
// Replication links' operations are followed under the subscription alone (examples/ReplicationLinkFailover.json).
const OPERATION_PATH =
  /^\/subscriptions\/[^/]+(?:\/resourceGroups\/[^/]+)?\/providers\/Microsoft\.Sql\/locations\/[^/]+\/(databaseAzureAsyncOperation|databaseOperationResults|importExportOperationResults|replicationLinksOperationResults)\/([^/]+)$/i;
const LINK_PATH =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Sql\/servers\/[^/]+\/databases\/[^/]+\/replicationLinks(?:\/([^/]+?)(\/failover)?)?$/i;

/**
 * Token buckets on the double's clock: `take` spends a token, or says in how many of the double's
 * seconds the next one comes (the request is refused and spends none).
 */
function tokenBuckets(limits: Record<'reads' | 'writes' | 'deletes', { burst: number; perSecond: number }>, clock: () => number) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key: string, kind: 'reads' | 'writes' | 'deletes'): { remaining: number; waitSeconds?: number } {
      const { burst, perSecond } = limits[kind];
      const now = clock();
      const bucket = buckets.get(key) ?? { tokens: burst, at: now };
      bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.at) * perSecond);
      bucket.at = now;
      buckets.set(key, bucket);
      if (bucket.tokens < 1) return { remaining: 0, waitSeconds: (1 - bucket.tokens) / perSecond };
      bucket.tokens -= 1;
      return { remaining: Math.floor(bucket.tokens) };
    },
  };
}

function send(response: ServerResponse, answer: ArmAnswer): void {
  response.writeHead(answer.status, { 'content-type': 'application/json', 'x-ms-request-id': randomUUID(), ...answer.headers });
  response.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
}

const EXPORT_KEY_TYPES = ['SharedAccessKey', 'StorageAccessKey', 'ManagedIdentity'];

/**
 * A local stand-in for the ARM endpoints of Microsoft.Sql/servers/databases that answers with the
 * status codes, headers and bodies of Microsoft's REST specification (see arm-sql-fixtures.ts, which
 * names the source of each): PUT and DELETE answer 202 with Location, Azure-AsyncOperation and
 * Retry-After, the operation ends after `pollsBeforeDone` polls (Succeeded, or Failed or Canceled when
 * told); GET shows a database being created as `Creating`; POST /export answers 202 with Location and
 * Retry-After, refuses a second export while one runs and a blob that exists. It checks the api-version
 * against the spec's and the bodies against the spec's definitions, and takes scripted faults.
 */
export interface ArmSqlDoubleOptions {
  pollsBeforeDone?: number;
  retryAfterSeconds?: number;
  /** A creation or deletion ends once this many seconds (of the double's clock) have passed, instead of after pollsBeforeDone polls. */
  operationSeconds?: number;
  /** ARM's throttling; absent, none. */
  throttling?: ArmThrottling;
  /** The databases a logical server holds (Azure's 5,000 by default). */
  serverMaxDatabases?: number;
  /** A database PUT's 202 carries Location only, all the spec declares (no Azure-AsyncOperation); needs operationSeconds, after which a GET shows the database Online. */
  locationOnly?: boolean;
  /** Reads of a new geo-replication link that still find it SEEDING (default 1). */
  seedingReads?: number;
}

export async function startArmSqlDouble(options: ArmSqlDoubleOptions = {}): Promise<ArmSqlDouble> {
  const pollsBeforeDone = options.pollsBeforeDone ?? 2;
  const speed = options.throttling?.speed ?? 1;
  const startedAt = performance.now();
  // The double's clock, in seconds: real time, `speed` times faster.
  const clock = () => ((performance.now() - startedAt) / 1000) * speed;
  const throttle = options.throttling ? tokenBuckets({ ...ARM_THROTTLING_LIMITS, ...options.throttling.limits }, clock) : undefined;
  const serverMaxDatabases = options.serverMaxDatabases ?? LOGICAL_SERVER_MAX_DATABASES;
  let retryAfterSeconds = options.retryAfterSeconds ?? 0;
  const calls: ArmCall[] = [];
  const violations: string[] = [];
  const databases = new Map<string, DoubleDatabase>();
  const links = new Map<string, DoubleLink>();
  const seedingReads = options.seedingReads ?? 1;
  const blobs = new Set<string>();
  const dropped: DroppedDatabaseView[] = [];
  const operations = new Map<string, Operation>();
  const faults: ArmFault[] = [];
  const privateLink = privateLinkDouble();
  const poolLimits = new Map<string, number>();
  let quota: SpecErrorCode | null = null;
  let nextOutcome: Operation['outcome'] = { status: 'Succeeded' };

  const key = (id: string) => id.toLowerCase();

  function refuse(problem: string, code = 'InvalidRequestContent'): ArmAnswer {
    violations.push(problem);
    return armError(400, code, problem);
  }

  /** A database operation is followed under its resource group; a replication link's under the subscription, at replicationLinksOperationResults. */
  function start(
    address: DatabaseAddress,
    location: string,
    finish: Operation['finish'],
    ofDatabase = true,
  ): { id: string; urls: { location: string; azureAsyncOperation: string }; base: string } {
    const id = randomUUID();
    const endsAt = options.operationSeconds === undefined ? undefined : clock() + options.operationSeconds;
    operations.set(id, { pollsLeft: pollsBeforeDone, endsAt, outcome: nextOutcome, finish });
    nextOutcome = { status: 'Succeeded' };
    const group = ofDatabase ? `/resourceGroups/${address.resourceGroup}` : '';
    const base = `${http.url}/subscriptions/${address.subscriptionId}${group}/providers/Microsoft.Sql/locations/${location}`;
    const query = `?api-version=${SPEC_API_VERSION}`;
    const results = ofDatabase ? 'databaseOperationResults' : 'replicationLinksOperationResults';
    return {
      id,
      base,
      urls: { location: `${base}/${results}/${id}${query}`, azureAsyncOperation: `${base}/databaseAzureAsyncOperation/${id}${query}` },
    };
  }

  /** One poll of either URL of an operation: counts down, then ends it the way it was told to. */
  function poll(kind: string, id: string): ArmAnswer {
    const operation = operations.get(id);
    if (!operation) return armError(404, 'OperationIdNotFound', 'The operation with Id does not exist.');
    if (operation.onHold?.()) return kind === 'databaseAzureAsyncOperation' ? asyncOperationStatus(id, 'InProgress') : operationInProgress(retryAfterSeconds);
    const running = operation.endsAt === undefined ? operation.pollsLeft > 0 : clock() < operation.endsAt;
    if (running) {
      operation.pollsLeft -= 1;
      return kind === 'databaseAzureAsyncOperation' ? asyncOperationStatus(id, 'InProgress') : operationInProgress(retryAfterSeconds);
    }
    const { outcome } = operation;
    operation.final ??= operation.finish(outcome.status === 'Succeeded');
    if (kind !== 'databaseAzureAsyncOperation') return outcome.status === 'Succeeded' ? operation.final : specError(outcome.code);
    if (outcome.status === 'Succeeded') return asyncOperationStatus(id, 'Succeeded');
    return asyncOperationStatus(id, outcome.status, { code: outcome.code, message: SPEC_ERRORS[outcome.code][1] });
  }

  function poolNotOnServer(poolId: string, address: DatabaseAddress): string | undefined {
    const pool = parseElasticPoolId(poolId);
    const same =
      pool.subscriptionId === address.subscriptionId && pool.resourceGroup.toLowerCase() === address.resourceGroup.toLowerCase() && pool.server === address.server;
    return same ? undefined : `elastic pool ${poolId} is not on server ${address.server}`;
  }

  function checkDatabaseBody(body: unknown, address: DatabaseAddress): string | undefined {
    const input = body as
      { location?: unknown; tags?: Record<string, unknown>; sku?: { name?: unknown }; properties?: { elasticPoolId?: unknown; maxSizeBytes?: unknown } } | undefined;
    if (typeof input?.location !== 'string' || input.location.length === 0) return 'PUT database: body.location is required';
    const poolId = input.properties?.elasticPoolId;
    if (typeof poolId !== 'string') return 'PUT database: body.properties.elasticPoolId is required';
    const notOnServer = poolNotOnServer(poolId, address);
    if (notOnServer) return `PUT database: ${notOnServer}`;
    // Database.sku: with an elastic pool only the name "ElasticPool" (ElasticPoolSkuCombinationInvalid).
    if (input.sku !== undefined && input.sku.name !== 'ElasticPool') return 'PUT database: a database in an elastic pool takes no sku but ElasticPool';
    // DatabaseProperties.maxSizeBytes: integer, int64.
    const maxSize = input.properties?.maxSizeBytes;
    if (maxSize !== undefined && !Number.isSafeInteger(maxSize)) return 'PUT database: properties.maxSizeBytes must be an integer';
    if (typeof input.tags?.tenant !== 'string' || typeof input.tags?.environment !== 'string') return 'PUT database: tags.tenant and tags.environment are required';
    return checkCreateMode(input.properties as Record<string, unknown>, address);
  }

  /**
   * DatabaseProperties.createMode PointInTimeRestore (spec example CreateDatabasePITRMode): sourceDatabaseId,
   * a database of the same server that exists, and restorePointInTime, a date-time, are required.
   * Secondary is checked by the PUT itself, against the replication it starts.
   */
  function checkCreateMode(properties: Record<string, unknown>, address: DatabaseAddress): string | undefined {
    const mode = properties.createMode;
    if (mode === undefined || mode === 'Default' || mode === 'Secondary') return undefined;
    const source = properties.sourceDatabaseId;
    const serverPath = `/subscriptions/${address.subscriptionId}/resourceGroups/${address.resourceGroup}/providers/Microsoft.Sql/servers/${address.server}/databases/`;
    // Restore: "sourceDatabaseId must be specified. If sourceDatabaseId is the database's original resource ID, then sourceDatabaseDeletionDate must be specified."
    if (mode === 'Restore') {
      if (typeof source !== 'string' || !source.toLowerCase().startsWith(serverPath.toLowerCase())) {
        return 'PUT database: Restore needs sourceDatabaseId, the id the dropped database had on this server';
      }
      if (typeof properties.sourceDatabaseDeletionDate !== 'string' || Number.isNaN(Date.parse(properties.sourceDatabaseDeletionDate))) {
        return 'PUT database: Restore from the dropped database’s own id needs sourceDatabaseDeletionDate, a date-time';
      }
      return undefined;
    }
    if (mode !== 'PointInTimeRestore') return `PUT database: createMode ${JSON.stringify(mode)} is not modelled by this double`;
    if (typeof source !== 'string' || !source.toLowerCase().startsWith(serverPath.toLowerCase()))
      return 'PUT database: PointInTimeRestore needs sourceDatabaseId, a database of this server';
    if (!databases.has(source.toLowerCase())) return `PUT database: source database ${source} does not exist`;
    if (typeof properties.restorePointInTime !== 'string' || Number.isNaN(Date.parse(properties.restorePointInTime))) {
      return 'PUT database: PointInTimeRestore needs restorePointInTime, a date-time';
    }
    return undefined;
  }

  /**
   * ExportDatabaseDefinition as Spec Microsoft.Sql stable/2025-01-01 Databases.json has it: storageKeyType,
   * storageKey, storageUri and administratorLogin required; with ManagedIdentity the key and the login are
   * the identity's resource id and a password is refused (400 SQLPasswordSpecifiedWithManagedIdentity);
   * networkIsolation must name the server addressed and the account of storageUri.
   */
  function checkExportBody(body: unknown, server: DatabaseAddress): string | undefined {
    const request = body as Record<string, unknown> | undefined;
    if (!EXPORT_KEY_TYPES.includes(request?.storageKeyType as string)) return `export: storageKeyType must be one of ${EXPORT_KEY_TYPES.join(', ')}`;
    for (const field of ['storageKey', 'storageUri', 'administratorLogin']) {
      if (typeof request?.[field] !== 'string' || request[field] === '') return `export: ${field} is required`;
    }
    const storageUri = new URL(request?.storageUri as string);
    if (storageUri.protocol !== 'https:') return 'export: storageUri must be https';
    const identity = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i;
    if (request?.storageKeyType === 'ManagedIdentity' && !identity.test(request.storageKey as string))
      return "export: storageKey must be the managed identity's resource id";
    if (request?.authenticationType === 'ManagedIdentity') {
      if (!identity.test(request.administratorLogin as string)) return "export: administratorLogin must be the managed identity's resource id";
      if ('administratorLoginPassword' in request) return 'SQLPasswordSpecifiedWithManagedIdentity: export: no password with a managed identity';
    } else if (typeof request?.administratorLoginPassword !== 'string' || request.administratorLoginPassword === '') {
      return 'export: administratorLoginPassword is required with SQL authentication';
    }
    const isolation = request?.networkIsolation as { sqlServerResourceId?: string; storageAccountResourceId?: string } | undefined;
    if (isolation) {
      const serverId = `/subscriptions/${server.subscriptionId}/resourceGroups/${server.resourceGroup}/providers/Microsoft.Sql/servers/${server.server}`;
      if (isolation.sqlServerResourceId?.toLowerCase() !== serverId.toLowerCase()) return `export: networkIsolation.sqlServerResourceId must be ${serverId}`;
      const account = /\/providers\/Microsoft\.Storage\/storageAccounts\/([^/]+)$/i.exec(isolation.storageAccountResourceId ?? '')?.[1];
      if (!account || account.toLowerCase() !== storageUri.hostname.split('.')[0])
        return 'export: networkIsolation.storageAccountResourceId must be the account of storageUri';
    }
    return undefined;
  }

  // Databases by server and by pool, kept as they come and go: a fleet-sized run checks both on every PUT.
  const serverCounts = new Map<string, number>();
  const poolCounts = new Map<string, number>();
  const serverOf = (id: string) => id.slice(0, id.indexOf('/databases/'));
  const bump = (counts: Map<string, number>, name: string | undefined, by: number) => {
    if (name) counts.set(name, (counts.get(name) ?? 0) + by);
  };

  function addDatabase(database: DoubleDatabase): void {
    databases.set(key(database.id), database);
    bump(serverCounts, key(serverOf(database.id)), 1);
    bump(poolCounts, database.elasticPoolId && key(database.elasticPoolId), 1);
  }

  function removeDatabase(id: string): void {
    const database = databases.get(key(id));
    if (!database) return;
    databases.delete(key(id));
    // A geo-secondary dropped takes its link with it.
    for (const link of linksOf(id)) links.delete(link.id);
    bump(serverCounts, key(serverOf(database.id)), -1);
    bump(poolCounts, database.elasticPoolId && key(database.elasticPoolId), -1);
  }

  const linksOf = (id: string) => [...links.values()].filter((link) => link.primary === key(id) || link.secondary === key(id));

  /** The link as database `id` sees it; a read of a seeding link counts towards its catching up. */
  function linkSeenFrom(link: DoubleLink, id: string): Record<string, unknown> {
    if (link.state === 'SEEDING' && --link.seedingReadsLeft < 0) link.state = 'CATCH_UP';
    const partner = databases.get(link.primary === key(id) ? link.secondary : link.primary);
    return replicationLink({
      databaseId: (databases.get(key(id)) as DoubleDatabase).id,
      partnerDatabaseId: partner?.id ?? '',
      partnerLocation: partner?.location ?? '',
      linkId: link.id,
      role: link.primary === key(id) ? 'Primary' : 'Secondary',
      replicationState: link.state,
      percentComplete: link.state === 'CATCH_UP' ? 100 : 0,
      startTime: link.startTime,
    });
  }

  /**
   * ReplicationLinks.json: list and get the links of a database; fail over to the database it is
   * called on, which must be the link's secondary and caught up (a planned failover: the roles swap,
   * the old primary turns secondary); delete the link, after which both databases stand alone.
   */
  function answerLink(call: ArmCall, url: URL, databaseId: string, linkId: string | undefined, failover: boolean): ArmAnswer {
    const existing = databases.get(key(databaseId));
    if (!existing) return specError('ResourceNotFound');
    if (!linkId) {
      if (call.method !== 'GET') return armError(405, 'MethodNotAllowed', call.method);
      return { status: 200, body: { value: linksOf(databaseId).map((link) => linkSeenFrom(link, databaseId)) } };
    }
    const link = links.get(linkId.toLowerCase());
    if (!link || (link.primary !== key(databaseId) && link.secondary !== key(databaseId))) return specError('ResourceNotFound');
    const address = { subscriptionId: /^\/subscriptions\/([^/]+)/i.exec(call.path)?.[1] ?? '', resourceGroup: '', server: '' };
    // A failover or delete of the link runs as an operation; at its end each database shows the role it is left with.
    const operate = (kind: 'failover' | 'delete', end: (succeeded: boolean) => ArmAnswer): ArmAnswer => {
      link.busy = kind;
      const { urls } = start(
        address,
        existing.location,
        (succeeded) => {
          link.busy = undefined;
          const answer = end(succeeded);
          for (const id of [link.primary, link.secondary]) {
            const database = databases.get(id);
            if (database) database.secondaryType = links.has(link.id) && id === link.secondary ? 'Geo' : undefined;
          }
          return answer;
        },
        false,
      );
      return replicationLinkOperationAccepted(urls.location, retryAfterSeconds);
    };
    if (failover) {
      if (call.method !== 'POST') return armError(405, 'MethodNotAllowed', call.method);
      if (link.secondary !== key(databaseId)) return specError('GeoReplicationDatabaseNotSecondary');
      if (link.busy || link.state !== 'CATCH_UP') return specError('IncorrectReplicationLinkState');
      return operate('failover', (succeeded) => {
        if (succeeded) [link.primary, link.secondary] = [link.secondary, link.primary];
        return { status: 200, body: linkSeenFrom(link, databaseId) };
      });
    }
    switch (call.method) {
      case 'GET':
        return { status: 200, body: linkSeenFrom(link, databaseId) };
      case 'DELETE':
        if (link.busy) return specError('IncorrectReplicationLinkState');
        return operate('delete', (succeeded) => {
          if (succeeded) links.delete(link.id);
          return { status: 200 };
        });
      default:
        return armError(405, 'MethodNotAllowed', `${call.method} ${url.pathname}`);
    }
  }

  /** RestorableDroppedDatabases_ListByServer and _Get: the server's dropped databases still restorable. */
  function answerDropped(call: ArmCall, name: string | undefined): ArmAnswer {
    if (call.method !== 'GET') return armError(405, 'MethodNotAllowed', call.method);
    const serverId = call.path.slice(0, call.path.search(/\/restorableDroppedDatabases/i)).toLowerCase();
    const views = dropped.filter((view) => view.serverId.toLowerCase() === serverId).map(restorableDroppedDatabase);
    if (name === undefined) return { status: 200, body: { value: views } };
    const found = views.find((view) => String(view.name).toLowerCase() === decodeURIComponent(name).toLowerCase());
    return found ? { status: 200, body: found } : specError('ResourceNotFound');
  }

  /**
   * Databases_Update (PATCH) with another elasticPoolId of the same server: Azure's online move
   * between pools. 202 with the operation's URLs; the database stays Online in its old pool while it
   * runs and is in the new one when it ends; a full target pool is refused at once (400
   * ElasticPoolDatabaseCountOverLimit), as a creation in it is.
   */
  function answerPoolMove(call: ArmCall, address: DatabaseAddress, existing: DoubleDatabase | undefined): ArmAnswer {
    const body = call.body as { properties?: Record<string, unknown> } | undefined;
    const properties = Object.keys(body?.properties ?? {});
    if (properties.length !== 1 || properties[0] !== 'elasticPoolId') return refuse('PATCH database: the double models a change of properties.elasticPoolId only');
    const elasticPoolId = body?.properties?.elasticPoolId;
    if (typeof elasticPoolId !== 'string') return refuse('PATCH database: properties.elasticPoolId must be a string');
    const problem = poolNotOnServer(elasticPoolId, address);
    if (problem) return refuse(`PATCH database: ${problem}`);
    if (!existing) return specError('ResourceNotFound');
    if (existing.busy) return specError('ConflictingDatabaseOperation');
    if (linksOf(existing.id).some((link) => link.busy)) return specError('UpdateNotAllowedIfGeoDrOperationInProgress');
    if (existing.elasticPoolId && key(existing.elasticPoolId) === key(elasticPoolId)) return database(existing);
    const limit = poolLimits.get(key(elasticPoolId));
    if (limit !== undefined && inPool(elasticPoolId) >= limit) return specError('ElasticPoolDatabaseCountOverLimit');
    existing.busy = 'update';
    const { urls } = start(address, existing.location, (succeeded) => {
      existing.busy = undefined;
      if (succeeded) {
        bump(poolCounts, existing.elasticPoolId && key(existing.elasticPoolId), -1);
        bump(poolCounts, key(elasticPoolId), 1);
        existing.elasticPoolId = elasticPoolId;
      }
      return database(existing);
    });
    return databaseOperationAccepted(urls, 'UpdateLogicalDatabase', retryAfterSeconds);
  }

  const onServer = (id: string) => serverCounts.get(key(serverOf(id))) ?? 0;
  const inPool = (elasticPoolId: string) => poolCounts.get(key(elasticPoolId)) ?? 0;

  function view(existing: DoubleDatabase): ArmAnswer {
    const creation = existing.creation === undefined ? undefined : operations.get(existing.creation);
    if (creation?.endsAt !== undefined && clock() >= creation.endsAt) {
      existing.creation = undefined;
      creation.final ??= creation.finish(creation.outcome.status === 'Succeeded');
    }
    if (existing.becomes && --existing.becomes.afterGets < 0) {
      existing.status = existing.becomes.status;
      existing.becomes = undefined;
    }
    return database(existing);
  }

  function handle(request: RecordedRequest): ArmAnswer {
    const url = new URL(request.url, 'https://arm.local');
    const call: ArmCall = { method: request.method, path: url.pathname, apiVersion: url.searchParams.get('api-version'), body: request.body, at: Date.now() };
    calls.push(call);
    const answer = throttled(call) ?? answerCall(call, url, request);
    call.status = answer.status;
    return answer;
  }

  /** ARM's own throttling comes before the resource provider sees the request; every answer carries the bucket's remaining count. */
  function throttled(call: ArmCall): ArmAnswer | undefined {
    const subscription = /^\/subscriptions\/([^/]+)/i.exec(call.path)?.[1];
    if (!throttle || !subscription) return undefined;
    const kind = call.method === 'GET' || call.method === 'HEAD' ? 'reads' : call.method === 'DELETE' ? 'deletes' : 'writes';
    const { remaining, waitSeconds } = throttle.take(`${subscription.toLowerCase()}:${kind}`, kind);
    pendingHeaders = { [`x-ms-ratelimit-remaining-subscription-${kind}`]: String(remaining) };
    if (waitSeconds === undefined) return undefined;
    // Retry-After is whole seconds on the wire; retry-after-ms carries the real wait a faster clock stands for.
    const realMs = Math.ceil((waitSeconds / speed) * 1000);
    return specError(kind === 'reads' ? 'SubscriptionTooManyRequests' : 'SubscriptionTooManyCreateUpdateRequests', {
      'retry-after': String(Math.max(1, Math.ceil(realMs / 1000))),
      'retry-after-ms': String(realMs),
    });
  }

  function answerCall(call: ArmCall, url: URL, request: RecordedRequest): ArmAnswer {
    if (!String(request.headers.authorization ?? '').startsWith('Bearer ')) return armError(401, 'AuthenticationFailed', 'no bearer token');
    const expectedVersion = privateLink.apiVersionFor(call.path) ?? SPEC_API_VERSION;
    if (call.apiVersion !== expectedVersion || url.searchParams.getAll('api-version').length !== 1) {
      return refuse(
        `${call.method} ${call.path}: api-version ${url.searchParams.getAll('api-version').join(',')}, expected ${expectedVersion}`,
        'InvalidApiVersionParameter',
      );
    }
    if (privateLink.apiVersionFor(call.path)) return privateLink.handle(call.method, call.path, call.body, refuse);

    const fault = faults.find((f) => f.method === call.method && f.path.test(call.path));
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) faults.splice(faults.indexOf(fault), 1);
      fault.effect?.();
      const headers = fault.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(fault.retryAfterSeconds) };
      return fault.code ? specError(fault.code, headers) : armError(fault.status ?? 500, 'InternalServerError', `scripted ${fault.status}`, headers);
    }

    const polled = OPERATION_PATH.exec(call.path);
    if (polled) return call.method === 'GET' ? poll(polled[1], polled[2]) : armError(405, 'MethodNotAllowed', call.method);

    const restorable = DROPPED_PATH.exec(call.path);
    if (restorable) return answerDropped(call, restorable[1]);

    const linked = LINK_PATH.exec(call.path);
    if (linked) return answerLink(call, url, call.path.slice(0, call.path.search(/\/replicationLinks/i)), linked[1], Boolean(linked[2]));

    const addressed = DATABASE_PATH.exec(call.path);
    if (!addressed) return armError(404, 'InvalidResourceType', `no such path ${call.path}`);
    const [, subscriptionId, resourceGroup, server, name, isExport] = addressed;
    const address = { subscriptionId, resourceGroup, server: server.toLowerCase() };
    const id = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Sql/servers/${server}/databases/${name}`;
    const existing = databases.get(key(id));

    if (isExport) {
      if (call.method !== 'POST') return armError(405, 'MethodNotAllowed', call.method);
      const problem = checkExportBody(call.body, address);
      if (problem) return refuse(problem);
      if (!existing || existing.busy === 'create') return specError('DatabaseDoesNotExist');
      if (existing.exporting) return specError('ImportExportOperationInProgress');
      const { storageUri, networkIsolation } = call.body as { storageUri: string; networkIsolation?: { sqlServerResourceId: string; storageAccountResourceId: string } };
      if (blobs.has(storageUri)) return specError('BlobAlreadyExist');
      existing.exporting = true;
      const { id: requestId, base } = start(address, existing.location, (succeeded) => {
        existing.exporting = false;
        if (succeeded) blobs.add(storageUri);
        return exportResult({ id, requestId, blobUri: storageUri, server, database: name });
      });
      if (networkIsolation) {
        const endpoints = privateLink.requestForExport(requestId, networkIsolation.sqlServerResourceId, networkIsolation.storageAccountResourceId);
        (operations.get(requestId) as Operation).onHold = () => endpoints.some((endpoint) => endpoint.status !== 'Approved');
      }
      return exportAccepted(`${base}/importExportOperationResults/${requestId}?api-version=${SPEC_API_VERSION}`, retryAfterSeconds);
    }

    switch (call.method) {
      case 'GET':
        return existing ? view(existing) : specError('ResourceNotFound');
      case 'PUT': {
        const problem = checkDatabaseBody(call.body, address);
        if (problem) return refuse(problem);
        if (existing?.busy) return specError('ConflictingDatabaseOperation');
        const body = call.body as {
          location: string;
          tags: Record<string, string>;
          properties: { elasticPoolId: string; maxSizeBytes?: number; createMode?: string; sourceDatabaseId?: string };
        };
        const { elasticPoolId, maxSizeBytes, createMode, sourceDatabaseId } = body.properties;
        const source = createMode === 'Secondary' ? databases.get(key(String(sourceDatabaseId))) : undefined;
        if (createMode === 'Restore' && !existing) {
          const deletedAt = Date.parse(String((body.properties as { sourceDatabaseDeletionDate?: string }).sourceDatabaseDeletionDate));
          const of = String(sourceDatabaseId).toLowerCase();
          const kept = dropped.some((view) => `${view.serverId}/databases/${view.databaseName}`.toLowerCase() === of && Date.parse(view.deletionDate) === deletedAt);
          if (!kept) return specError('SourceDatabaseNotFound');
        }
        if (createMode === 'Secondary') {
          if (typeof sourceDatabaseId !== 'string') return refuse('PUT database: createMode Secondary needs properties.sourceDatabaseId');
          if (!source || source.busy === 'create') return specError('SourceDatabaseNotFound');
          if (source.name.toLowerCase() !== name.toLowerCase()) return specError('ReplicationSourceAndTargetMustHaveSameName');
          if (key(serverOf(source.id)) === key(serverOf(id))) return specError('ReplicationSourceAndTargetMustBeInDifferentServers');
          if (existing) return specError('RemoteDatabaseExists');
        }
        if (existing) {
          // Databases_CreateOrUpdate on an existing database: 200 "Successfully updated the database."
          if (!existing.elasticPoolId || key(existing.elasticPoolId) !== key(elasticPoolId)) {
            bump(poolCounts, existing.elasticPoolId && key(existing.elasticPoolId), -1);
            bump(poolCounts, key(elasticPoolId), 1);
          }
          Object.assign(existing, { tags: body.tags, elasticPoolId, maxSizeBytes: maxSizeBytes ?? existing.maxSizeBytes });
          return database(existing);
        }
        if (quota) return specError(quota);
        if (onServer(id) >= serverMaxDatabases) return serverFull(address.server, serverMaxDatabases);
        const limit = poolLimits.get(elasticPoolId.toLowerCase());
        if (limit !== undefined && inPool(elasticPoolId) >= limit) return specError('ElasticPoolDatabaseCountOverLimit');
        const created: DoubleDatabase = { id, name, location: body.location, tags: body.tags, elasticPoolId, maxSizeBytes, status: 'Creating', busy: 'create' };
        addDatabase(created);
        const { id: operationId, urls } = start(address, body.location, (succeeded) => {
          // A creation that failed or was canceled is rolled back: the database is gone.
          if (!succeeded) removeDatabase(id);
          Object.assign(created, { status: 'Online', busy: undefined });
          // A geo-secondary is Online once it exists, and seeds from its primary for a while after (its link says how far).
          if (succeeded && source) {
            created.secondaryType = 'Geo';
            const link = {
              id: randomUUID(),
              primary: key(source.id),
              secondary: key(id),
              state: 'SEEDING' as const,
              seedingReadsLeft: seedingReads,
              startTime: new Date().toISOString(),
            };
            links.set(link.id, link);
          }
          return database(created);
        });
        created.creation = operationId;
        const accepted = options.locationOnly ? { location: urls.location } : urls;
        return databaseOperationAccepted(accepted, 'CreateLogicalDatabase', retryAfterSeconds);
      }
      case 'PATCH':
        return answerPoolMove(call, address, existing);
      case 'DELETE': {
        if (!existing) return noSuchDatabaseToDelete;
        if (existing.busy) return specError('ConflictingDatabaseOperation');
        existing.busy = 'delete';
        const { urls } = start(address, existing.location, (succeeded) => {
          if (succeeded) {
            removeDatabase(id);
            const serverId = id.slice(0, id.search(/\/databases\//i));
            dropped.push({
              serverId,
              databaseName: name,
              location: existing.location,
              creationDate: new Date(0).toISOString(),
              deletionDate: new Date().toISOString(),
              maxSizeBytes: existing.maxSizeBytes,
            });
          }
          existing.busy = undefined;
          return { status: 200 };
        });
        return databaseOperationAccepted(urls, 'DropLogicalDatabase', retryAfterSeconds);
      }
      default:
        return armError(405, 'MethodNotAllowed', call.method);
    }
  }

  let pendingHeaders: Record<string, string> = {};
  const http = await startHttpsDouble(async (request, response) => {
    pendingHeaders = {};
    const answer = handle(request);
    send(response, { ...answer, headers: { ...pendingHeaders, ...answer.headers } });
  });
  return {
    url: http.url,
    ca: http.ca,
    calls,
    violations,
    databases,
    links,
    privateLink,
    blobs,
    dropped,
    forgetDroppedDatabases() {
      dropped.splice(0);
    },
    fail: (fault) => faults.push(fault),
    clearFaults: () => faults.splice(0),
    endNextOperation(status, code) {
      nextOutcome = { status, code };
    },
    limitPool(elasticPoolId, maxDatabases) {
      poolLimits.set(elasticPoolId.toLowerCase(), maxDatabases);
    },
    exhaustQuota(code) {
      quota = code;
    },
    setRetryAfter(seconds) {
      retryAfterSeconds = seconds;
    },
    seed({ server, name, ...rest }) {
      const id = `/subscriptions/${server.subscriptionId}/resourceGroups/${server.resourceGroup}/providers/Microsoft.Sql/servers/${server.server}/databases/${name}`;
      addDatabase({ status: 'Online', ...rest, id, name });
    },
    close: () => http.close(),
  };
}
