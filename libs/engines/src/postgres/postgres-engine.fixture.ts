import { createTestEnv, type TestEnv } from '@tenantry/testing';
import { tenantTarget } from '../../testing';
import type { TenantDatabaseTarget } from '../tenant-database-engine';
import { PostgresEngine } from './postgres.engine';

/** A PostgresEngine on the test server, in a test env of its own; `target(code)` names a tenant database in it. */
export function usePostgresEngine(): { env: () => TestEnv; engine: () => PostgresEngine; target: (code: string) => TenantDatabaseTarget } {
  let env: TestEnv;
  let engine: PostgresEngine;

  beforeAll(() => {
    env = createTestEnv();
    engine = new PostgresEngine({ adminUrl: env.config.tenantServer.adminUrl, exportDir: env.config.worker.exportDir });
  });

  afterAll(async () => {
    await engine?.close();
    await env?.cleanup();
  });

  return {
    env: () => env,
    engine: () => engine,
    target: (code) => tenantTarget(code, env.label, { engine: 'postgres', host: env.config.tenantServer.host, port: env.config.tenantServer.port }),
  };
}
