import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthCheckAttempt } from '@nestjs/terminus';
import { probe } from '@tenantry/common';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import { TENANCY_REGISTRY_POOL } from '../resolution/tenancy-registry';
import { TENANCY_REDIS } from '../resolution/tenancy-redis';

/**
 * Whether what tenant resolution needs answers, through tenancy's own connections: the registry
 * (a cold tenant cannot be resolved without it) and the tenant cache's Redis (invalidations
 * arrive through it). A business service's health endpoint hands these to terminus.
 */
@Injectable()
export class TenancyHealth {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(TENANCY_REDIS) private readonly redis: Redis,
    @Inject(TENANCY_REGISTRY_POOL) private readonly registryPool: Pool,
  ) {}

  indicators(): [HealthCheckAttempt<'registry'>, HealthCheckAttempt<'redis'>] {
    return [probe(this.health, 'registry', () => this.registryPool.query('SELECT 1')), probe(this.health, 'redis', () => this.redis.ping())];
  }
}
