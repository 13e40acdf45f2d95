import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { loggingSettings } from '@tenantry/common';
import type { TestEnv } from '@tenantry/common/testing';
import { ClsModule } from 'nestjs-cls';
import { TenancyModule, tenancySettings, type TenancyModuleOptions } from '../src';

/** TenancyModule as a business service would boot it, on the env's registry and Redis. */
export async function bootTenancy(env: TestEnv, overrides: Partial<TenancyModuleOptions> = {}): Promise<INestApplicationContext> {
  const base = env.settings(tenancySettings);
  const options: TenancyModuleOptions = {
    ...base,
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
