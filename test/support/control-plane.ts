import type { RawEnv } from '@tenantry/common';
import { createTestEnv, httpRequest, type BuiltApp, type TestEnv } from '@tenantry/common/testing';
import { LocalIssuer } from '@tenantry/dev-issuer';
import { adminDatabaseSettings, migrateRegistry } from '@tenantry/registry';
import { spawnAdminApi, spawnBuiltWorker, spawnBusinessApi } from './built-apps';

export interface HttpResult<T = any> {
  status: number;
  body: T;
}

/**
 * The whole control plane as production runs it, the built processes: a Keycloak-shaped issuer
 * (in this process, so a test mints and forges its tokens), the admin API, a worker and the sample
 * service, all on one test env.
 */
export interface ControlPlane {
  env: TestEnv;
  issuer: LocalIssuer;
  adminUrl: string;
  businessUrl: string;
  /** The worker's GET /metrics, when a worker was started. */
  workerMetricsUrl: string | null;
  adminToken(): Promise<string>;
  tenantToken(tenantId: string): Promise<string>;
  admin<T = any>(method: string, path: string, body?: unknown, token?: string | null): Promise<HttpResult<T>>;
  business<T = any>(method: string, path: string, token: string | null, body?: unknown, headers?: Record<string, string>): Promise<HttpResult<T>>;
  /** Creates a tenant and waits for its provisioning to succeed; returns the tenant. */
  provision(code: string): Promise<{ id: string; code: string }>;
  /** Polls until the operation ends; `timeoutMs` only ends a test whose operation never does (a loaded machine is slow). */
  waitForOperation(id: string, timeoutMs?: number): Promise<any>;
  stop(): Promise<void>;
}

async function request<T>(url: string, method: string, token: string | null, body?: unknown, headers: Record<string, string> = {}) {
  const { status, text } = await httpRequest(url, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** `issuerKeyFile` keeps the issuer's key in that file, for a test of a command that signs with it. */
export async function startControlPlane(options: { worker?: boolean; env?: RawEnv; issuerKeyFile?: string } = {}): Promise<ControlPlane> {
  const issuer = await LocalIssuer.start({ port: 0, keyFile: options.issuerKeyFile });
  const env = createTestEnv({ AUTH_ISSUER: issuer.issuer, ...options.env });
  const processes: BuiltApp[] = [];
  const stopAll = async () => {
    await Promise.all(processes.map((app) => app.stop()));
    await issuer.stop();
    await env.cleanup();
  };
  let urls: string[];
  try {
    await migrateRegistry(env.settings(adminDatabaseSettings));
    processes.push(spawnAdminApi(env.rawEnv), spawnBusinessApi(env.rawEnv));
    if (options.worker !== false) processes.push(spawnBuiltWorker(env.rawEnv));
    urls = (await Promise.all(processes.map((app) => app.ready))).map((ready) => ready[1]);
  } catch (error) {
    await stopAll();
    throw error;
  }
  const [adminUrl, businessUrl, workerMetricsUrl = null] = urls;
  const adminToken = () => issuer.mint({ sub: 'test-admin', preferred_username: 'test-admin', roles: ['platform-admin'] });

  const plane: ControlPlane = {
    env,
    issuer,
    adminUrl,
    businessUrl,
    workerMetricsUrl,
    adminToken,
    tenantToken: (tenantId) => issuer.mint({ sub: `user-${tenantId}`, tenantId }),
    admin: async (method, path, body, token) =>
      request(`${adminUrl}${path}`, method, token === undefined ? await adminToken() : token, body),
    business: (method, path, token, body, headers) => request(`${businessUrl}${path}`, method, token, body, headers),
    async waitForOperation(id, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { body } = await plane.admin('GET', `/operations/${id}`);
        if (body.status === 'succeeded' || body.status === 'failed') return body;
        if (Date.now() > deadline) throw new Error(`operation ${id} still ${body.status} at ${body.step}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async provision(code) {
      const created = await plane.admin('POST', '/tenants', { code, name: `Tenant ${code}` });
      if (created.status !== 202) throw new Error(`POST /tenants ${code}: ${created.status} ${JSON.stringify(created.body)}`);
      const operation = await plane.waitForOperation(created.body.operation.id);
      if (operation.status !== 'succeeded') throw new Error(`provisioning ${code} failed: ${operation.lastError}`);
      return created.body.tenant;
    },
    stop: stopAll,
  };
  return plane;
}
