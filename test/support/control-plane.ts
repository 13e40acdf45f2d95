import type { RawEnv } from '@tenantry/common';
import { createTestEnv, httpRequest, startThrowawayPgBouncer, type BuiltApp, type TestEnv, type ThrowawayPgBouncer } from '@tenantry/common/testing';
import { LocalIssuer } from '@tenantry/dev-issuer';
import { adminDatabaseSettings, migrateRegistry } from '@tenantry/registry';
import { spawnAdminApi, spawnBuiltWorker, spawnBusinessApi } from './built-apps';

/**
 * A JSON answer as an e2e test reads it: the test states its shape in the assertions it makes
 * (toMatchObject, toEqual) and those check it at run time, so no static type is given here.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above: the shape is asserted, not declared
export type JsonAnswer = any;

export interface HttpResult<T = JsonAnswer> {
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
  /** The PgBouncer of this control plane's own, which its business service reaches tenants through; null with TENANCY_PG_ROUTE=direct. */
  pooler: ThrowawayPgBouncer | null;
  issuer: LocalIssuer;
  adminUrl: string;
  businessUrl: string;
  /** The worker's GET /metrics, when a worker was started. */
  workerMetricsUrl: string | null;
  adminToken(): Promise<string>;
  tenantToken(tenantId: string): Promise<string>;
  admin<T = JsonAnswer>(method: string, path: string, body?: unknown, token?: string | null): Promise<HttpResult<T>>;
  business<T = JsonAnswer>(method: string, path: string, token: string | null, body?: unknown, headers?: Record<string, string>): Promise<HttpResult<T>>;
  /** What the business service has written so far: a test that saw a wrong answer prints the line that says why. */
  businessLog(): string;
  /** Creates a tenant and waits for its provisioning to succeed; returns the tenant. */
  provision(code: string, pool?: string): Promise<{ id: string; code: string }>;
  /** Polls until the operation ends; `timeoutMs` only ends a test whose operation never does (a loaded machine is slow). */
  waitForOperation(id: string, timeoutMs?: number): Promise<JsonAnswer>;
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
  let pooler: ThrowawayPgBouncer | null = null;
  const stopAll = async () => {
    await Promise.all(processes.map((app) => app.stop()));
    await pooler?.cleanup();
    await issuer.stop();
    await env.cleanup();
  };
  let urls: string[];
  try {
    // Business services route through a pooler by default: each control plane gets its own, in front of its server.
    if (env.rawEnv.TENANCY_PG_ROUTE !== 'direct') {
      pooler = await startThrowawayPgBouncer(env.databaseUrl('postgres'));
      Object.assign(env.rawEnv, pooler.env);
    }
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
    pooler,
    issuer,
    adminUrl,
    businessUrl,
    workerMetricsUrl,
    adminToken,
    tenantToken: (tenantId) => issuer.mint({ sub: `user-${tenantId}`, tenantId }),
    admin: async (method, path, body, token) => request(`${adminUrl}${path}`, method, token === undefined ? await adminToken() : token, body),
    business: (method, path, token, body, headers) => request(`${businessUrl}${path}`, method, token, body, headers),
    businessLog: () => processes[1].output(),
    async waitForOperation(id, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { body } = await plane.admin('GET', `/operations/${id}`);
        if (body.status === 'succeeded' || body.status === 'failed') return body;
        if (Date.now() > deadline) throw new Error(`operation ${id} still ${body.status} at ${body.step}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async provision(code, pool) {
      const created = await plane.admin('POST', '/tenants', { code, name: `Tenant ${code}`, pool });
      if (created.status !== 202) throw new Error(`POST /tenants ${code}: ${created.status} ${JSON.stringify(created.body)}`);
      const operation = await plane.waitForOperation(created.body.operation.id);
      if (operation.status !== 'succeeded') throw new Error(`provisioning ${code} failed: ${operation.lastError}`);
      return created.body.tenant;
    },
    stop: stopAll,
  };
  return plane;
}
