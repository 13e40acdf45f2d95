import { Inject, Injectable, Logger } from '@nestjs/common';
import { REDIS_CLIENT, TenantNotActive, TenantNotFound, tenantCacheKeys, withTimeout } from '@tenantry/common';
import { TenantDirectory, type TenantConnectionRecord } from '@tenantry/registry';
import type Redis from 'ioredis';
import { TENANCY_OPTIONS, type TenancyOptions } from './tenancy-options';

/**
 * tenant id -> where its database is. Redis first (cache-aside, value still encrypted), then the
 * registry. Redis trouble falls through to the registry: the cache may slow a request, never fail it.
 */
@Injectable()
export class TenantResolver {
  private readonly logger = new Logger(TenantResolver.name);

  constructor(
    private readonly directory: TenantDirectory,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(TENANCY_OPTIONS) private readonly options: TenancyOptions,
  ) {}

  /** The active tenant's connection record; TenantNotFound (404) or TenantNotActive (403) otherwise. */
  async resolveActive(tenantId: string): Promise<TenantConnectionRecord> {
    const record = (await this.fromCache(tenantId)) ?? (await this.fromRegistry(tenantId));
    if (record.status !== 'active') {
      if (record.status === 'deleted') throw new TenantNotFound(tenantId);
      throw new TenantNotActive(record.status);
    }
    return record;
  }

  private async fromCache(tenantId: string): Promise<TenantConnectionRecord | null> {
    try {
      const cached = await withTimeout(this.redis.get(tenantCacheKeys.connection(tenantId)), 250, 'tenant cache read');
      return cached ? (JSON.parse(cached) as TenantConnectionRecord) : null;
    } catch (error) {
      this.logger.warn({ tenant_id: tenantId, err: error }, 'tenant cache unavailable; reading the registry');
      return null;
    }
  }

  private async fromRegistry(tenantId: string): Promise<TenantConnectionRecord> {
    const record = await this.directory.findConnection(tenantId);
    if (!record) {
      const known = await this.directory.exists(tenantId);
      if (known && known.status !== 'deleted') throw new TenantNotActive(known.status);
      throw new TenantNotFound(tenantId);
    }
    try {
      await withTimeout(
        this.redis.set(tenantCacheKeys.connection(tenantId), JSON.stringify(record), 'EX', this.options.cacheTtlSeconds),
        250,
        'tenant cache write',
      );
    } catch (error) {
      this.logger.warn({ tenant_id: tenantId, err: error }, 'tenant cache write failed');
    }
    return record;
  }
}
