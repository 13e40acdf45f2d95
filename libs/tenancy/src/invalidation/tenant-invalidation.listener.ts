import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { tenantInvalidationChannel, withTimeout } from '@tenantry/common';
import type Redis from 'ioredis';
import { TenantConnectionManager } from '../connections/tenant-connection-manager';
import { TENANCY_REDIS } from '../resolution/tenancy-redis';
import { TenantResolver } from '../resolution/tenant-resolver';
import { TENANCY_OPTIONS, type ResolvedTenancyOptions } from '../tenancy-options';

/**
 * Applies the registry's invalidations in this process as they arrive: the tenant is forgotten and
 * its pool taken out of service. After the subscription was down, every tenant is forgotten, since
 * invalidations may have been missed meanwhile.
 */
@Injectable()
export class TenantInvalidationListener implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TenantInvalidationListener.name);
  private subscriber?: Redis;

  constructor(
    @Inject(TENANCY_REDIS) private readonly redis: Redis,
    @Inject(TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
    private readonly resolver: TenantResolver,
    private readonly connections: TenantConnectionManager,
  ) {}

  async onModuleInit(): Promise<void> {
    const subscriber = this.redis.duplicate({ keyPrefix: '', enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined });
    this.subscriber = subscriber;
    let connectedBefore = false;
    subscriber.on('message', (_channel: string, tenantId: string) => {
      this.logger.log({ tenant_id: tenantId }, 'tenant invalidated; dropping it from this process');
      this.resolver.invalidate(tenantId);
      this.connections.close(tenantId);
    });
    subscriber.on('ready', () => {
      if (connectedBefore) {
        this.logger.warn('invalidation subscription restored; forgetting every cached tenant');
        this.resolver.invalidateAll();
      }
      connectedBefore = true;
    });
    subscriber.on('error', (error) => this.logger.warn({ err: error }, 'invalidation subscriber error'));
    // Queued until Redis answers; start-up does not wait for it longer than this.
    await withTimeout(subscriber.subscribe(tenantInvalidationChannel(this.options.redis.keyPrefix)), 2_000, 'subscribing to invalidations').catch(
      (error: unknown) => this.logger.warn({ err: error }, 'not subscribed to tenant invalidations yet; will be once Redis answers'),
    );
  }

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
  }
}
