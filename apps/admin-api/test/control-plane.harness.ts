import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { LocalIssuer } from '@tenantry/auth/testing';
import type { RawEnv } from '@tenantry/common';
import { adminDatabaseSettings, migrateRegistry } from '@tenantry/registry';
import { createTestEnv, httpRequest, type TestEnv } from '@tenantry/testing';
import { createWorker } from '../../provisioning-worker/src/create-worker';
import { workerSettings } from '../../provisioning-worker/src/worker-settings';
import { businessApiSettings } from '../../sample-business-api/src/business-api-settings';
import { createBusinessApp } from '../../sample-business-api/src/create-business-app';
import { adminApiSettings } from '../src/admin-api-settings';
import { createAdminApp } from '../src/create-admin-app';

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

/** The whole control plane in one test process: a Keycloak-shaped issuer, the admin API, a worker and the sample service. */
export interface ControlPlane {
  env: TestEnv;
  issuer: LocalIssuer;
  adminUrl: string;
  businessUrl: string;
  /** The in-process worker, when started. */
  worker: INestApplicationContext | null;
  adminToken(): Promise<string>;
  tenantToken(tenantId: string): Promise<string>;
  admin<T = JsonAnswer>(method: string, path: string, body?: unknown, token?: string | null): Promise<HttpResult<T>>;
  business<T = JsonAnswer>(method: string, path: string, token: string | null, body?: unknown, headers?: Record<string, string>): Promise<HttpResult<T>>;
  /** Creates a tenant and waits for its provisioning to succeed; returns the tenant. */
  provision(code: string): Promise<{ id: string; code: string }>;
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
  await migrateRegistry(env.settings(adminDatabaseSettings));
  const admin: INestApplication = await createAdminApp(env.settings(adminApiSettings));
  await admin.listen(0, '127.0.0.1');
  const business: INestApplication = await createBusinessApp(env.settings(businessApiSettings));
  await business.listen(0, '127.0.0.1');
  const worker: INestApplicationContext | null = options.worker === false ? null : await createWorker(env.settings(workerSettings));
  const adminUrl = await admin.getUrl();
  const businessUrl = await business.getUrl();
  const adminToken = () => issuer.mint({ sub: 'test-admin', preferred_username: 'test-admin', roles: ['platform-admin'] });

  const plane: ControlPlane = {
    env,
    issuer,
    adminUrl,
    businessUrl,
    worker,
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
    async stop() {
      await worker?.close();
      await business.close();
      await admin.close();
      await issuer.stop();
      await env.cleanup();
    },
  };
  return plane;
}
