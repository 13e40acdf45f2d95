import { type ArmAnswer, armError, SPEC_API_VERSION } from './arm-sql-fixtures';

/**
 * Private endpoint connections of SQL servers and storage accounts, as the ARM double serves them:
 * list and approve, with the bodies of the published examples (Spec Microsoft.Sql
 * stable/2023-08-01 examples/PrivateEndpointConnectionList.json and PrivateEndpointConnectionUpdate.json;
 * Microsoft.Storage stable/2023-05-01 examples/StorageAccountListPrivateEndpointConnections.json and
 * StorageAccountPutPrivateEndpointConnection.json). Microsoft.Sql at the one version the double accepts
 * for it, whose PrivateEndpointConnections.json has the same operations and schema.
 */
export const PRIVATE_LINK_API_VERSIONS = { sql: SPEC_API_VERSION, storage: '2023-05-01' } as const;

export interface DoubleConnection {
  id: string;
  name: string;
  privateEndpointId: string;
  status: 'Pending' | 'Approved' | 'Rejected' | 'Disconnected';
}

const CONNECTIONS_PATH =
  /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/(Microsoft\.Sql)\/servers\/[^/]+|\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/(Microsoft\.Storage)\/storageAccounts\/[^/]+)\/privateEndpointConnections(?:\/([^/]+))?$/i;

// The Import/Export service's private endpoints live in a subscription of Microsoft's, named after the request.
const SERVICE_SUBSCRIPTION = '11111111-2222-3333-4444-555555555555';

export interface PrivateLinkDouble {
  /** Connections by owning resource id (lowercase), in the order they were requested. */
  connections: Map<string, DoubleConnection[]>;
  /** What the Import/Export service does for an export with networkIsolation: one pending endpoint into each resource. */
  requestForExport(requestId: string, sqlServerResourceId: string, storageAccountResourceId: string): DoubleConnection[];
  /** A connection someone else asked for (any private endpoint of theirs). */
  seed(resourceId: string, privateEndpointId: string): DoubleConnection;
  /** The api-version a path must carry, or undefined for a path that is not a private endpoint connection's. */
  apiVersionFor(path: string): string | undefined;
  handle(method: string, path: string, body: unknown, refuse: (problem: string) => ArmAnswer): ArmAnswer;
}

export function privateLinkDouble(): PrivateLinkDouble {
  const connections = new Map<string, DoubleConnection[]>();
  const of = (resourceId: string) => {
    const key = resourceId.toLowerCase();
    if (!connections.has(key)) connections.set(key, []);
    return connections.get(key) as DoubleConnection[];
  };

  function add(resourceId: string, privateEndpointId: string): DoubleConnection {
    const name = `${privateEndpointId.split('/').pop()}.${of(resourceId).length + 1}`;
    const connection: DoubleConnection = { id: `${resourceId}/privateEndpointConnections/${name}`, name, privateEndpointId, status: 'Pending' };
    of(resourceId).push(connection);
    return connection;
  }

  // The two examples differ: SQL says provisioningState Ready and actionsRequired, storage Succeeded and actionRequired.
  const view = (connection: DoubleConnection) => {
    const sql = /\/Microsoft\.Sql\//i.test(connection.id);
    return {
      id: connection.id,
      name: connection.name,
      type: sql ? 'Microsoft.Sql/servers/privateEndpointConnections' : 'Microsoft.Storage/storageAccounts/privateEndpointConnections',
      properties: {
        provisioningState: sql ? 'Ready' : 'Succeeded',
        privateEndpoint: { id: connection.privateEndpointId },
        privateLinkServiceConnectionState: { status: connection.status, description: '', [sql ? 'actionsRequired' : 'actionRequired']: 'None' },
      },
    };
  };

  return {
    connections,
    requestForExport(requestId, sqlServerResourceId, storageAccountResourceId) {
      const endpoint = (kind: string) =>
        `/subscriptions/${SERVICE_SUBSCRIPTION}/resourceGroups/import-export/providers/Microsoft.Network/privateEndpoints/ImportExportPrivateLink_${kind}_${requestId}`;
      return [add(sqlServerResourceId, endpoint('SQL')), add(storageAccountResourceId, endpoint('Storage'))];
    },
    seed: add,
    apiVersionFor(path) {
      const match = CONNECTIONS_PATH.exec(path);
      if (!match) return undefined;
      return match[2] ? PRIVATE_LINK_API_VERSIONS.sql : PRIVATE_LINK_API_VERSIONS.storage;
    },
    handle(method, path, body, refuse) {
      const [, resourceId, , , name] = CONNECTIONS_PATH.exec(path) ?? [];
      if (method === 'GET' && !name) return { status: 200, body: { value: of(resourceId).map(view) } };
      const connection = of(resourceId).find((candidate) => candidate.name === name);
      if (!connection) return armError(404, 'PrivateEndpointConnectionDoesNotExist', 'Private Endpoint Connection does not exist');
      if (method === 'GET') return { status: 200, body: view(connection) };
      if (method !== 'PUT') return armError(405, 'MethodNotAllowed', method);
      const status = (body as { properties?: { privateLinkServiceConnectionState?: { status?: string } } } | undefined)?.properties?.privateLinkServiceConnectionState
        ?.status;
      if (status !== 'Approved' && status !== 'Rejected') {
        return refuse('PUT privateEndpointConnection: privateLinkServiceConnectionState.status must be "Approved" or "Rejected"');
      }
      if (connection.status !== 'Pending') return armError(400, 'PrivateEndpointConnectionStatusNotPending', 'Private Endpoint Connection Status is not Pending');
      connection.status = status;
      return { status: 200, body: view(connection) };
    },
  };
}
