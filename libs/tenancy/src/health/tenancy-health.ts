import { Inject, Injectable } from '@nestjs/common';
import { probeDependency, type DependencyState } from '@tenantry/common';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import { TENANCY_REGISTRY_POOL } from '../resolution/tenancy-registry';
import { TENANCY_REDIS } from '../resolution/tenancy-redis';

/**
 * Whether what tenant resolution needs answers, through tenancy's own connections: the registry
 * (a cold tenant cannot be resolved without it) and the tenant cache's Redis (invalidations
 * arrive through it). A business service's health endpoint reports these.
 */
@Injectable()
export class TenancyHealth {
  constructor(
    @Inject(TENANCY_REDIS) private readonly redis: Redis,
    @Inject(TENANCY_REGISTRY_POOL) private readonly registryPool: Pool,
  ) {}

  async check(): Promise<{ registry: DependencyState; redis: DependencyState }> {
    const [registry, redis] = await Promise.all([
      probeDependency(() => this.registryPool.query('SELECT 1')),
      probeDependency(() => this.redis.ping()),
    ]);
    return { registry, redis };
  }
}
