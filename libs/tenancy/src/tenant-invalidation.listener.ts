import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { REDIS_CLIENT, tenantInvalidationChannel } from '@tenantry/common';
import type Redis from 'ioredis';
import { TenantConnectionManager } from './tenant-connection-manager';

/** Drops a tenant's pool in this process as soon as the registry announces a change to it. */
@Injectable()
export class TenantInvalidationListener implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TenantInvalidationListener.name);
  private subscriber?: Redis;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly connections: TenantConnectionManager,
  ) {}

  async onModuleInit(): Promise<void> {
    const channel = tenantInvalidationChannel(this.redis.options.keyPrefix ?? '');
    this.subscriber = this.redis.duplicate({ keyPrefix: '', maxRetriesPerRequest: null, commandTimeout: undefined });
    this.subscriber.on('message', (_channel: string, tenantId: string) => {
      this.logger.log({ tenant_id: tenantId }, 'tenant invalidated; closing its pool');
      this.connections.close(tenantId);
    });
    this.subscriber.on('error', (error) => this.logger.warn({ err: error }, 'invalidation subscriber error'));
    await this.subscriber.subscribe(channel);
  }

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
  }
}
