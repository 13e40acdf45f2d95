import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, REDIS_CLIENT, type AppConfig } from '@tenantry/common';
import { TenantCachePublisher, tenantCacheOptions } from '@tenantry/tenant-cache';
import type Redis from 'ioredis';

/**
 * Every registry write that changes how a tenant resolves calls invalidate(): the tenant cache
 * protocol (libs/tenant-cache) on the control plane's Redis connection.
 */
@Injectable()
export class TenantCacheInvalidator extends TenantCachePublisher implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) redis: Redis, @Inject(APP_CONFIG) config: AppConfig) {
    super(redis, tenantCacheOptions(config.tenancy.cacheTtlSeconds));
  }

  onApplicationShutdown(): void {
    this.stop();
  }
}
