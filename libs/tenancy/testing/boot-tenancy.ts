import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { loggingSettings } from '@tenantry/common';
import type { TestEnv } from '@tenantry/common/testing';
import { ClsModule } from 'nestjs-cls';
import { TenancyModule, TenantResolver, tenancySettings, type TenancyModuleOptions } from '../src';

/** TenancyModule as a business service would boot it, on the env's registry and Redis. */
export async function bootTenancy(env: TestEnv, overrides: Partial<TenancyModuleOptions> = {}): Promise<INestApplicationContext> {
  const base = env.settings(tenancySettings);
  const options: TenancyModuleOptions = {
    ...base,
    // Direct unless the test brings a pooler of its own: a PgBouncer already answering on the default port forwards to whatever server it was started for.
    pooler: undefined,
    ...overrides,
    cache: { ...base.cache, ...overrides.cache },
    connections: { ...base.connections, ...overrides.connections },
    registry: { ...base.registry, ...overrides.registry },
    redis: { ...base.redis, ...overrides.redis },
  };
  const moduleRef = await Test.createTestingModule({
    imports: [ClsModule.forRoot({ global: true }), TenancyModule.forRoot(options)],
  }).compile();
  if (env.settings(loggingSettings).level === 'silent') moduleRef.useLogger(false);
  return moduleRef.init();
}

/**
 * bootTenancy with the routes of `warm` already resolved (a few at a time, as a service fills its
 * cache): for tests about connections, where a burst of cold registry reads on a loaded machine
 * would only test the registry timeout.
 */
export async function bootWarmTenancy(env: TestEnv, overrides: Partial<TenancyModuleOptions>, warm: Array<{ id: string }>): Promise<INestApplicationContext> {
  // Registry reads wait as long as they need: these tests are about connections, not the registry's timeout.
  const app = await bootTenancy(env, { ...overrides, registry: { ...env.settings(tenancySettings).registry, timeoutMs: 120_000, ...overrides.registry } });
  const resolver = app.get(TenantResolver);
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < warm.length) await resolver.resolveActive(warm[next++].id);
    }),
  );
  return app;
}
