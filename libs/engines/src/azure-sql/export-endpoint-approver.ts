import { createPipelineRequest, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { SQL_API_VERSION } from './arm-pipeline';

/** Sends one ARM request through a client's pipeline (its token, retries and TLS settings). */
export type ArmSend = (request: PipelineRequest) => Promise<PipelineResponse>;

interface PrivateEndpointConnection {
  id: string;
  properties?: { privateEndpoint?: { id?: string }; privateLinkServiceConnectionState?: { status?: string } };
}

// GA versions that list and approve connections: Microsoft.Sql the engine's one version, which the client's
// pipeline puts on every Microsoft.Sql request (Spec stable/2025-01-01 PrivateEndpointConnections.json,
// _ListByServer and _CreateOrUpdate, 200 or 202), Microsoft.Storage stable/2023-05-01
// examples/StorageAccountPutPrivateEndpointConnection.json (200).
const API_VERSIONS: Record<string, string> = { 'microsoft.sql': SQL_API_VERSION, 'microsoft.storage': '2023-05-01' };

/**
 * The Import/Export service names the private endpoints it creates for an export
 * ImportExportPrivateLink_SQL_… and ImportExportPrivateLink_Storage_…. No Microsoft page states the
 * name; it is what scripts that approve these endpoints select on (e.g. `Where-Object
 * { $_.PrivateEndpoint.Id -like "*ImportExportPrivateLink_Storage*" }`). Any other pending
 * connection is someone else's request and is left alone.
 */
const IMPORT_EXPORT_ENDPOINT = /\/privateEndpoints\/ImportExportPrivateLink_[^/]*$/i;

function apiVersionFor(resourceId: string): string {
  const provider = /\/providers\/([^/]+)\//i.exec(resourceId)?.[1].toLowerCase();
  const version = provider && API_VERSIONS[provider];
  if (!version) throw new Error(`no private endpoint approval for ${resourceId}`);
  return version;
}

/**
 * With network isolation, an export creates a private endpoint into the server and one into the
 * storage account, and "the jobs will be on hold" until both are approved: "Manual approval of the
 * new private endpoint connection is required to complete the export operation … which can take
 * several minutes to appear" (https://learn.microsoft.com/azure/azure-sql/database/database-import-export-private-link).
 * While an export runs this approves them, and nothing else, every `intervalMs`.
 */
export class ExportEndpointApprover {
  private readonly logger = new Logger(ExportEndpointApprover.name);

  constructor(
    private readonly endpoint: string,
    private readonly intervalMs: number,
  ) {}

  /** `work`'s outcome; approving stops when it settles. A failure to approve fails the export (its endpoints would never be approved). */
  async approveWhile<T>(work: Promise<T>, send: ArmSend, resourceIds: string[], tenantId: string): Promise<T> {
    // The export's own failure, if approving fails first, is not the one to report.
    work.catch(() => undefined);
    const stop = new AbortController();
    const approving = this.approveUntil(stop.signal, send, resourceIds, tenantId);
    try {
      return await Promise.race([work, approving.then(() => work)]);
    } finally {
      stop.abort();
      await approving.catch(() => undefined);
    }
  }

  private async approveUntil(signal: AbortSignal, send: ArmSend, resourceIds: string[], tenantId: string): Promise<void> {
    while (!signal.aborted) {
      for (const resourceId of resourceIds) await this.approvePending(send, resourceId, tenantId);
      await sleep(this.intervalMs, undefined, { signal }).catch(() => undefined);
    }
  }

  private async approvePending(send: ArmSend, resourceId: string, tenantId: string): Promise<void> {
    const apiVersion = apiVersionFor(resourceId);
    const listed = await this.call<{ value?: PrivateEndpointConnection[] }>(send, 'GET', `${resourceId}/privateEndpointConnections`, apiVersion);
    const pending = (listed.value ?? []).filter(
      (connection) =>
        connection.properties?.privateLinkServiceConnectionState?.status === 'Pending' && IMPORT_EXPORT_ENDPOINT.test(connection.properties.privateEndpoint?.id ?? ''),
    );
    for (const connection of pending) {
      await this.call(send, 'PUT', connection.id, apiVersion, {
        properties: { privateLinkServiceConnectionState: { status: 'Approved', description: 'Approved by Tenantry for an offboarding export' } },
      });
      this.logger.log({ tenant_id: tenantId, connection: connection.id }, 'approved the Import/Export private endpoint');
    }
  }

  private async call<T>(send: ArmSend, method: 'GET' | 'PUT', path: string, apiVersion: string, body?: unknown): Promise<T> {
    const request = createPipelineRequest({ url: `${this.endpoint}${path}?api-version=${apiVersion}`, method });
    if (body !== undefined) {
      request.body = JSON.stringify(body);
      request.headers.set('content-type', 'application/json');
    }
    const response = await send(request);
    if (response.status >= 300) {
      throw new Error(`${method} ${path}: ARM answered ${response.status}${response.bodyAsText ? `: ${response.bodyAsText}` : ''}`);
    }
    return (response.bodyAsText ? JSON.parse(response.bodyAsText) : {}) as T;
  }
}
