import { Inject, Injectable, Logger } from '@nestjs/common';
import { REDIS_CLIENT, tenantCacheKeys, tenantInvalidationChannel } from '@tenantry/common';
import type Redis from 'ioredis';

/**
 * Every registry write that changes how a tenant resolves goes through here: the cached entry is
 * deleted and every process is told to drop its in-process copy. A Redis failure is logged, not
 * thrown: the write already committed, and the cache TTL bounds how long a stale entry can live.
 */
@Injectable()
export class TenantCacheInvalidator {
  private readonly logger = new Logger(TenantCacheInvalidator.name);

  constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis) {}

  async invalidate(tenantId: string): Promise<void> {
    try {
      await this.redis.del(tenantCacheKeys.connection(tenantId));
      await this.redis.publish(tenantInvalidationChannel(this.redis.options.keyPrefix ?? ''), tenantId);
    } catch (error) {
      this.logger.warn({ tenant_id: tenantId, err: error }, 'tenant cache invalidation failed');
    }
  }
}
