import { EngineRegistry, PostgresEngine, type TenantDatabaseTarget } from '@tenantry/engines';
import { tenantTarget } from '@tenantry/engines/testing';
import { createTestEnv, type TestEnv } from '@tenantry/testing';
import { DatabaseCreator } from './database-creator';
import type { WarmPoolKeeper } from './warm-pool-keeper';

describe('DatabaseCreator falls back to the plain path when a fast path is unusable', () => {
  let env: TestEnv;
  let engine: PostgresEngine;

  beforeAll(() => {
    env = createTestEnv({ WARM_POOL_SIZE: '2' });
    engine = new PostgresEngine({ adminUrl: env.config.tenantServer.adminUrl, exportDir: env.config.worker.exportDir });
  });

  afterAll(async () => {
    await engine?.close();
    await env?.cleanup();
  });

  const target = (code: string): TenantDatabaseTarget =>
    tenantTarget(code, env.label, { engine: 'postgres', host: env.config.tenantServer.host, port: env.config.tenantServer.port });
  const keeper = { noteClaim: () => undefined } as unknown as WarmPoolKeeper;

  it('creates the database plainly when the template cannot be built, and says so', async () => {
    jest.spyOn(engine.fastPath, 'ensureTemplate').mockRejectedValueOnce(new Error('template storage full'));
    const creator = new DatabaseCreator(new EngineRegistry([engine]), keeper, env.config);
    expect(await creator.create(target('fallback'))).toBe('plain');
    expect(await engine.databaseExists(target('fallback'))).toBe(true);
    expect(await creator.create(target('fallback'))).toBe('existing');
  });

  it('takes a spare when there is one, else the template', async () => {
    const creator = new DatabaseCreator(new EngineRegistry([engine]), keeper, env.config);
    await engine.fastPath.refillSpares(env.label, 1);
    expect(await creator.create(target('first'))).toBe('spare');
    expect(await creator.create(target('second'))).toBe('template');
  });
});
