import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '@tenantry/common';
import { ConfiguredPool } from './configured-pool';
import { registryDataSourceOptions } from './registry-data-source';
import { RegistryHealth } from './registry-health';
import { RegistryUnitOfWork } from './registry-unit-of-work';
import { TenantCacheInvalidator } from './tenant-cache-invalidator';

/** The admin database. Needs RedisModule for cache invalidation on writes. */
@Global()
@Module({})
export class RegistryModule {
  /** `registerConfiguredPool`: the control-plane processes make sure the configured server is a pool. */
  static forRoot(config: AppConfig, options: { poolSize?: number; registerConfiguredPool?: boolean } = {}): DynamicModule {
    return {
      module: RegistryModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...registryDataSourceOptions(config, options.poolSize), retryAttempts: 2, retryDelay: 1000 }),
        }),
      ],
      providers: [RegistryUnitOfWork, RegistryHealth, TenantCacheInvalidator, ...(options.registerConfiguredPool ? [ConfiguredPool] : [])],
      exports: [RegistryUnitOfWork, RegistryHealth, TenantCacheInvalidator],
    };
  }
}
