import { type DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '@tenantry/common';
import { RegistryModule } from '@tenantry/registry';
import { SecretsModule } from '@tenantry/secrets';
import { TenantActiveGuard } from './tenant-active.guard';
import { TenantConnectionManager } from './tenant-connection-manager';
import { TenantContext } from './tenant-context';
import { TenantInvalidationListener } from './tenant-invalidation.listener';
import { TenantResolver } from './tenant-resolver';
import { TENANCY_OPTIONS, type TenancyOptions } from './tenancy-options';

/**
 * What a business service imports: token -> tenant -> that tenant's DataSource. Needs ClsModule,
 * RedisModule and AuthModule in the application (they are application-wide, not tenancy's own).
 */
@Module({})
export class TenancyModule {
  static forRoot(config: AppConfig, overrides: Partial<TenancyOptions> = {}): DynamicModule {
    const options: TenancyOptions = {
      cacheTtlSeconds: config.tenancy.cacheTtlSeconds,
      poolSize: config.tenancy.poolSize,
      maxPools: 100,
      ...overrides,
    };
    return {
      module: TenancyModule,
      global: true,
      imports: [RegistryModule.forRoot(config, { poolSize: 4 }), SecretsModule.forRoot(config)],
      providers: [
        { provide: TENANCY_OPTIONS, useValue: options },
        TenantResolver,
        TenantConnectionManager,
        TenantContext,
        TenantActiveGuard,
        TenantInvalidationListener,
      ],
      exports: [TenantContext, TenantResolver, TenantConnectionManager, TenantActiveGuard],
    };
  }
}
