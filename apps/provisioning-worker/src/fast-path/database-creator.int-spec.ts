import { EngineRegistry, enginesSettings, PostgresEngine, type TenantDatabaseTarget } from '@tenantry/engines';
import { tenantTarget } from '@tenantry/engines/testing';
import { configuredPoolSettings } from '@tenantry/registry';
import { createTestEnv, type TestEnv } from '@tenantry/common/testing';
import { workerSettings } from '../worker-settings';
import { DatabaseCreator } from './database-creator';
import type { WarmPoolKeeper } from './warm-pool-keeper';

describe('DatabaseCreator falls back to the plain path when a fast path is unusable', () => {
  let env: TestEnv;
  let engine: PostgresEngine;

  beforeAll(() => {
    env = createTestEnv({ WARM_POOL_SIZE: '2' });
    const { adminUrl, exportDir } = env.settings(enginesSettings).postgres;
    engine = new PostgresEngine({ adminUrl, exportDir });
  });

  afterAll(async () => {
    await engine?.close();
    await env?.cleanup();
  });

  const target = (code: string): TenantDatabaseTarget => {
    const { host, port } = env.settings(configuredPoolSettings);
    return tenantTarget(code, env.label, { engine: 'postgres', host, port });
  };
  const keeper = { noteClaim: () => undefined } as unknown as WarmPoolKeeper;

  it('creates the database plainly when the template cannot be built, and says so', async () => {
    jest.spyOn(engine.fastPath, 'ensureTemplate').mockRejectedValueOnce(new Error('template storage full'));
    const creator = new DatabaseCreator(new EngineRegistry([engine]), keeper, env.settings(workerSettings).worker);
    expect(await creator.create(target('fallback'))).toBe('plain');
    expect(await engine.databaseExists(target('fallback'))).toBe(true);
    expect(await creator.create(target('fallback'))).toBe('existing');
  });

  it('takes a spare when there is one, else the template', async () => {
    const creator = new DatabaseCreator(new EngineRegistry([engine]), keeper, env.settings(workerSettings).worker);
    await engine.fastPath.refillSpares(env.label, 1);
    expect(await creator.create(target('first'))).toBe('spare');
    expect(await creator.create(target('second'))).toBe('template');
  });
});
