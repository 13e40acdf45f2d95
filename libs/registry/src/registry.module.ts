import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TENANT_CACHE_OPTIONS } from '@tenantry/common';
import { ConfiguredPool } from './configured-pool';
import { registryDataSourceOptions } from './registry-data-source';
import { CONFIGURED_POOL_OPTIONS, type ConfiguredPoolOptions, type RegistryOptions } from './registry-options';
import { RegistryUnitOfWork } from './registry-unit-of-work';
import { TenantCacheInvalidator } from './tenant-cache-invalidator';

/** The admin database. Needs RedisModule for cache invalidation on writes. */
@Global()
@Module({})
export class RegistryModule {
  /** `configuredPool`: the control-plane processes make sure the configured server is a pool (and may read where it is). */
  static forRoot(options: RegistryOptions, process: { poolSize?: number; configuredPool?: ConfiguredPoolOptions } = {}): DynamicModule {
    const { configuredPool } = process;
    return {
      module: RegistryModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...registryDataSourceOptions(options.adminDb, process.poolSize), retryAttempts: 2, retryDelay: 1000 }),
        }),
      ],
      providers: [
        { provide: TENANT_CACHE_OPTIONS, useValue: options.tenantCache },
        RegistryUnitOfWork,
        TenantCacheInvalidator,
        ...(configuredPool ? [{ provide: CONFIGURED_POOL_OPTIONS, useValue: configuredPool }, ConfiguredPool] : []),
      ],
      exports: [RegistryUnitOfWork, TenantCacheInvalidator, ...(configuredPool ? [CONFIGURED_POOL_OPTIONS] : [])],
    };
  }
}
