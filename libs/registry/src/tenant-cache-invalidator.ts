import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { REDIS_CLIENT } from '@tenantry/common';
import { TENANT_CACHE_OPTIONS, TenantCachePublisher, type TenantCacheOptions } from '@tenantry/tenant-cache';
import type Redis from 'ioredis';

/**
 * Every registry write that changes how a tenant resolves calls invalidate(): the tenant cache
 * protocol (libs/tenant-cache) on the control plane's Redis connection.
 */
@Injectable()
export class TenantCacheInvalidator extends TenantCachePublisher implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) redis: Redis, @Inject(TENANT_CACHE_OPTIONS) options: TenantCacheOptions) {
    super(redis, options);
  }

  onApplicationShutdown(): void {
    this.stop();
  }
}
