import { type DynamicModule, Global, Module } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { TENANT_CACHE_OPTIONS } from '@tenantry/tenant-cache';
import type { DataSource } from 'typeorm';
import { ConfiguredPool } from './configured-pool';
import { DataKeyDirectory } from './data-key-directory';
import { registryDataSourceOptions } from './registry-data-source';
import { RegistryHealth } from './registry-health';
import { CONFIGURED_POOL_OPTIONS, SLOT_RESERVATION_OPTIONS, type ConfiguredPoolOptions, type RegistryOptions, type SlotReservationOptions } from './registry-options';
import { RegistryUnitOfWork } from './registry-unit-of-work';
import { TenantCacheInvalidator } from './tenant-cache-invalidator';

/** The admin database. Needs RedisModule for cache invalidation on writes. */
@Global()
@Module({})
export class RegistryModule {
  /**
   * `configuredPool`: the control-plane processes make sure the configured server is a pool (and may read where it is).
   * `slotReservation`: the processes that take tenants' slots in pools (admission, placement) read how long they wait.
   */
  static forRoot(options: RegistryOptions, process: { configuredPool?: ConfiguredPoolOptions; slotReservation?: SlotReservationOptions } = {}): DynamicModule {
    const { configuredPool, slotReservation } = process;
    const processOptions = [
      ...(configuredPool ? [{ provide: CONFIGURED_POOL_OPTIONS, useValue: configuredPool }] : []),
      ...(slotReservation ? [{ provide: SLOT_RESERVATION_OPTIONS, useValue: slotReservation }] : []),
    ];
    return {
      module: RegistryModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...registryDataSourceOptions(options), retryAttempts: 2, retryDelay: 1000 }),
        }),
      ],
      providers: [
        { provide: TENANT_CACHE_OPTIONS, useValue: options.tenantCache },
        RegistryUnitOfWork,
        RegistryHealth,
        TenantCacheInvalidator,
        {
          provide: DataKeyDirectory,
          useFactory: (dataSource: DataSource) => new DataKeyDirectory((sql, params) => dataSource.query(sql, params)),
          inject: [getDataSourceToken()],
        },
        ...processOptions,
        ...(configuredPool ? [ConfiguredPool] : []),
      ],
      exports: [RegistryUnitOfWork, RegistryHealth, TenantCacheInvalidator, DataKeyDirectory, ...processOptions.map(({ provide }) => provide)],
    };
  }
}
