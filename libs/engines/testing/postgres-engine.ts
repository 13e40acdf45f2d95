import { createTestEnv, type TestEnv } from '@tenantry/common/testing';
import { enginesSettings, PostgresEngine, type TenantDatabaseTarget } from '../src';
import { tenantTarget } from './tenant-target';

/** Where the test server is, as a pool on it records it. */
export function testServer(env: TestEnv): { host: string; port: number } {
  const url = new URL(env.databaseUrl('postgres'));
  return { host: url.hostname, port: Number(url.port || 5432) };
}

/** A PostgresEngine on the test server, in a test env of its own; `target(code)` names a tenant database in it. */
export function usePostgresEngine(): { env: () => TestEnv; engine: () => PostgresEngine; target: (code: string) => TenantDatabaseTarget } {
  let env: TestEnv;
  let engine: PostgresEngine;

  beforeAll(() => {
    env = createTestEnv();
    // Without migration timeouts: the server's own settings, as a test that is not about them expects.
    const { adminUrl, exportDir } = env.settings(enginesSettings).postgres;
    engine = new PostgresEngine({ adminUrl, exportDir });
  });

  afterAll(async () => {
    await engine?.close();
    await env?.cleanup();
  });

  return {
    env: () => env,
    engine: () => engine,
    target: (code) => tenantTarget(code, env.label, { engine: 'postgres', ...testServer(env) }),
  };
}
