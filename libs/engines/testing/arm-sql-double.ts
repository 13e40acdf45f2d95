import { type HttpsDouble, type RecordedRequest, startHttpsDouble } from '@tenantry/testing';
import type { ServerResponse } from 'node:http';
import { parseElasticPoolId } from '../src/azure-sql/elastic-pool';
import { type PrivateLinkDouble, privateLinkDouble } from './private-link-double';

/** The api-version @azure/arm-sql 10 sends for Microsoft.Sql/servers/databases. */
export const ARM_SQL_API_VERSION = '2022-08-01-preview';

export interface DoubleDatabase {
  id: string;
  name: string;
  location: string;
  tags: Record<string, string>;
  elasticPoolId?: string;
  status: 'Creating' | 'Online' | 'Deleting';
}

/** One request as ARM saw it, with its arrival time. */
export interface ArmCall {
  method: string;
  path: string;
  apiVersion: string | null;
  body: unknown;
  at: number;
}

/** Makes the next `times` (default 1) matching requests answer `status`, then the double behaves again. */
export interface ArmFault {
  method: string;
  path: RegExp;
  status: number;
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
  /** Private endpoint connections of servers and storage accounts; an export with networkIsolation waits on its two. */
  privateLink: PrivateLinkDouble;
  fail(fault: ArmFault): void;
  /** A database that exists before the test acts, e.g. in another pool. */
  seed(database: Omit<DoubleDatabase, 'id' | 'status'> & { server: DatabaseAddress }): void;
  close(): Promise<void>;
}

/** Where a database lives in ARM's address space. */
export interface DatabaseAddress {
  subscriptionId: string;
  resourceGroup: string;
  server: string;
}

interface Operation {
  pollsLeft: number;
  finish: () => unknown;
  /** What the Location URL answers once the operation succeeded (exports). */
  result?: unknown;
  done: boolean;
  /** An export with network isolation is "on hold" until its private endpoints are approved; polls meanwhile do not count. */
  onHold?: () => boolean;
}

const DATABASE_PATH =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Sql\/servers\/([^/]+)\/databases\/([^/]+?)(\/export)?$/i;
const OPERATION_PATH = /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Sql\/locations\/[^/]+\/(databaseAzureAsyncOperation|databaseOperationResults|importExportOperationResults)\/([^/]+)$/i;

function send(response: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', 'x-ms-request-id': `req-${Date.now()}`, ...headers });
  response.end(body === undefined ? undefined : JSON.stringify(body));
}

const armError = (code: string, message: string) => ({ error: { code, message } });

/**
 * A local stand-in for the ARM endpoints of Microsoft.Sql/servers/databases, behaving as ARM does:
 * PUT answers 202 with Azure-AsyncOperation and Location and the database comes Online after
 * `pollsBeforeDone` polls; GET answers the database or 404; DELETE and POST /export are
 * long-running too. It checks the api-version and the bodies, and takes scripted faults (429,
 * 503, 409) with Retry-After.
 */
export async function startArmSqlDouble(options: { pollsBeforeDone?: number } = {}): Promise<ArmSqlDouble> {
  const pollsBeforeDone = options.pollsBeforeDone ?? 2;
  const calls: ArmCall[] = [];
  const violations: string[] = [];
  const databases = new Map<string, DoubleDatabase>();
  const operations = new Map<string, Operation>();
  const faults: ArmFault[] = [];
  const privateLink = privateLinkDouble();
  let nextOperation = 1;
  let http: HttpsDouble;

  const key = (id: string) => id.toLowerCase();

  function refuse(response: ServerResponse, problem: string): void {
    violations.push(problem);
    send(response, 400, armError('InvalidRequestContent', problem));
  }

  /** Starts a long-running operation and answers 202 with the headers ARM sends for one. */
  function accept(
    response: ServerResponse,
    subscriptionId: string,
    location: string,
    finish: () => unknown,
    resultKind = 'databaseOperationResults',
    onHold?: () => boolean,
  ): void {
    const id = `op-${nextOperation++}`;
    const operation: Operation = { pollsLeft: pollsBeforeDone, finish, done: false, onHold };
    operations.set(id, operation);
    const base = `${http.url}/subscriptions/${subscriptionId}/providers/Microsoft.Sql/locations/${location}`;
    send(response, 202, undefined, {
      'azure-asyncoperation': `${base}/databaseAzureAsyncOperation/${id}?api-version=${ARM_SQL_API_VERSION}`,
      location: `${base}/${resultKind}/${id}?api-version=${ARM_SQL_API_VERSION}`,
    });
  }

  function checkDatabaseBody(body: unknown, address: DatabaseAddress): string | undefined {
    const database = body as { location?: unknown; tags?: Record<string, unknown>; properties?: { elasticPoolId?: unknown } } | undefined;
    if (typeof database?.location !== 'string' || database.location.length === 0) return 'PUT database: body.location is required';
    const poolId = database.properties?.elasticPoolId;
    if (typeof poolId !== 'string') return 'PUT database: body.properties.elasticPoolId is required';
    const pool = parseElasticPoolId(poolId);
    if (pool.subscriptionId !== address.subscriptionId || pool.resourceGroup.toLowerCase() !== address.resourceGroup.toLowerCase() || pool.server !== address.server) {
      return `PUT database: elastic pool ${poolId} is not on server ${address.server}`;
    }
    if (typeof database.tags?.tenant !== 'string' || typeof database.tags?.environment !== 'string') return 'PUT database: tags.tenant and tags.environment are required';
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
    if (!['SharedAccessKey', 'StorageAccessKey', 'ManagedIdentity'].includes(request?.storageKeyType as string)) {
      return 'export: storageKeyType must be SharedAccessKey, StorageAccessKey or ManagedIdentity';
    }
    for (const field of ['storageKey', 'storageUri', 'administratorLogin']) {
      if (typeof request?.[field] !== 'string' || request[field] === '') return `export: ${field} is required`;
    }
    const storageUri = new URL(request?.storageUri as string);
    if (storageUri.protocol !== 'https:') return 'export: storageUri must be https';
    const identity = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i;
    if (request?.storageKeyType === 'ManagedIdentity' && !identity.test(request.storageKey as string)) return "export: storageKey must be the managed identity's resource id";
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
      if (!account || account.toLowerCase() !== storageUri.hostname.split('.')[0]) return 'export: networkIsolation.storageAccountResourceId must be the account of storageUri';
    }
    return undefined;
  }

  const view = (database: DoubleDatabase) => ({
    id: database.id,
    name: database.name,
    type: 'Microsoft.Sql/servers/databases',
    location: database.location,
    tags: database.tags,
    kind: 'v12.0,user,pool',
    properties: { elasticPoolId: database.elasticPoolId, status: database.status, collation: 'SQL_Latin1_General_CP1_CI_AS' },
  });

  async function handle(request: RecordedRequest, response: ServerResponse): Promise<void> {
    const url = new URL(request.url, 'https://arm.local');
    const call: ArmCall = { method: request.method, path: url.pathname, apiVersion: url.searchParams.get('api-version'), body: request.body, at: Date.now() };
    calls.push(call);
    if (!String(request.headers.authorization ?? '').startsWith('Bearer ')) {
      return send(response, 401, armError('AuthenticationFailed', 'no bearer token'));
    }
    const privateLinkVersion = privateLink.apiVersionFor(call.path);
    const expectedVersion = privateLinkVersion ?? ARM_SQL_API_VERSION;
    if (call.apiVersion !== expectedVersion) return refuse(response, `${call.method} ${call.path}: api-version ${call.apiVersion}, expected ${expectedVersion}`);
    if (privateLinkVersion) return privateLink.handle(call.method, call.path, call.body, response, send, (problem) => refuse(response, problem));

    const fault = faults.find((f) => f.method === call.method && f.path.test(call.path));
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) faults.splice(faults.indexOf(fault), 1);
      fault.effect?.();
      const headers: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
      return send(response, fault.status, armError(fault.status === 409 ? 'ConflictingDatabaseOperation' : 'ServerBusy', `scripted ${fault.status}`), headers);
    }

    const polled = OPERATION_PATH.exec(call.path);
    if (polled) {
      const operation = operations.get(polled[2]);
      if (!operation) return send(response, 404, armError('ResourceNotFound', `operation ${polled[2]}`));
      if (operation.onHold?.()) {
        return polled[1] === 'databaseAzureAsyncOperation'
          ? send(response, 200, { name: polled[2], status: 'InProgress', startTime: new Date().toISOString() })
          : send(response, 202, undefined);
      }
      if (polled[1] === 'databaseAzureAsyncOperation') {
        if (operation.pollsLeft > 0) {
          operation.pollsLeft -= 1;
          return send(response, 200, { name: polled[2], status: 'InProgress', startTime: new Date().toISOString() });
        }
        if (!operation.done) operation.result = operation.finish();
        operation.done = true;
        return send(response, 200, { name: polled[2], status: 'Succeeded', startTime: new Date().toISOString() });
      }
      return operation.done ? send(response, 200, operation.result) : send(response, 202, undefined);
    }

    const addressed = DATABASE_PATH.exec(call.path);
    if (!addressed) return send(response, 404, armError('InvalidResourceType', `no such path ${call.path}`));
    const [, subscriptionId, resourceGroup, server, name, isExport] = addressed;
    const address = { subscriptionId, resourceGroup, server: server.toLowerCase() };
    const id = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Sql/servers/${server}/databases/${name}`;
    const existing = databases.get(key(id));

    if (isExport) {
      if (call.method !== 'POST') return send(response, 405, armError('MethodNotAllowed', call.method));
      const problem = checkExportBody(call.body, address);
      if (problem) return refuse(response, problem);
      if (!existing || existing.status !== 'Online') return send(response, 404, armError('ResourceNotFound', `database ${name}`));
      const { storageUri, networkIsolation } = call.body as { storageUri: string; networkIsolation?: { sqlServerResourceId: string; storageAccountResourceId: string } };
      const endpoints = networkIsolation
        ? privateLink.requestForExport(`req${nextOperation}`, networkIsolation.sqlServerResourceId, networkIsolation.storageAccountResourceId)
        : [];
      return accept(
        response,
        subscriptionId,
        existing.location,
        () => ({
          id: `${id}/importExportOperationResults/x`,
          name: 'x',
          type: 'Microsoft.Sql/servers/databases/importExportOperationResults',
          properties: { requestType: 'Export', status: 'Succeeded', blobUri: storageUri, serverName: server, databaseName: name },
        }),
        'importExportOperationResults',
        () => endpoints.some((endpoint) => endpoint.status !== 'Approved'),
      );
    }

    switch (call.method) {
      case 'GET':
        return existing ? send(response, 200, view(existing)) : send(response, 404, armError('ResourceNotFound', `database ${name} not found`));
      case 'PUT': {
        const problem = checkDatabaseBody(call.body, address);
        if (problem) return refuse(response, problem);
        if (existing && existing.status !== 'Online') return send(response, 409, armError('ConflictingDatabaseOperation', `an operation on ${name} is in progress`));
        const body = call.body as { location: string; tags: Record<string, string>; properties: { elasticPoolId: string } };
        const database: DoubleDatabase = { id, name, location: body.location, tags: body.tags, elasticPoolId: body.properties.elasticPoolId, status: 'Creating' };
        if (existing) {
          // ARM's PUT on an existing resource updates it in place.
          Object.assign(existing, { tags: body.tags, elasticPoolId: body.properties.elasticPoolId });
          return send(response, 200, view(existing));
        }
        databases.set(key(id), database);
        return accept(response, subscriptionId, body.location, () => {
          database.status = 'Online';
        });
      }
      case 'DELETE': {
        if (!existing) return send(response, 204);
        if (existing.status !== 'Online') return send(response, 409, armError('ConflictingDatabaseOperation', `an operation on ${name} is in progress`));
        existing.status = 'Deleting';
        return accept(response, subscriptionId, existing.location, () => databases.delete(key(id)));
      }
      default:
        return send(response, 405, armError('MethodNotAllowed', call.method));
    }
  }

  http = await startHttpsDouble(handle);
  return {
    url: http.url,
    ca: http.ca,
    calls,
    violations,
    databases,
    privateLink,
    fail: (fault) => faults.push(fault),
    seed({ server, name, location, tags, elasticPoolId }) {
      const id = `/subscriptions/${server.subscriptionId}/resourceGroups/${server.resourceGroup}/providers/Microsoft.Sql/servers/${server.server}/databases/${name}`;
      databases.set(key(id), { id, name, location, tags, elasticPoolId, status: 'Online' });
    },
    close: () => http.close(),
  };
}

