import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { TenantInvalidationSubscriber } from '@tenantry/tenant-cache';
import type Redis from 'ioredis';
import { TenantConnectionManager } from '../connections/tenant-connection-manager';
import { TENANCY_REDIS } from '../resolution/tenancy-redis';
import { TenantResolver } from '../resolution/tenant-resolver';

/**
 * Applies the registry's invalidations in this process as they arrive: the tenant is forgotten and
 * its pool taken out of service. After the subscription was down, every tenant is forgotten, since
 * invalidations may have been missed meanwhile.
 */
@Injectable()
export class TenantInvalidationListener implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TenantInvalidationListener.name);
  private readonly subscriber: TenantInvalidationSubscriber;

  constructor(
    @Inject(TENANCY_REDIS) redis: Redis,
    private readonly resolver: TenantResolver,
    private readonly connections: TenantConnectionManager,
  ) {
    this.subscriber = new TenantInvalidationSubscriber(redis);
  }

  onModuleInit(): Promise<void> {
    return this.subscriber.start({
      invalidated: (tenantId) => {
        this.logger.log({ tenant_id: tenantId }, 'tenant invalidated; dropping it from this process');
        this.resolver.invalidate(tenantId);
        this.connections.close(tenantId);
      },
      resubscribed: () => {
        this.logger.warn('invalidation subscription restored; forgetting every cached tenant');
        this.resolver.invalidateAll();
      },
    });
  }

  onApplicationShutdown(): void {
    this.subscriber.stop();
  }
}
