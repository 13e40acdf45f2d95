import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '@tenantry/auth';
import { REDIS_CLIENT, withTimeout } from '@tenantry/common';
import { RegistryHealth } from '@tenantry/registry';
import type { Response } from 'express';
import type Redis from 'ioredis';

type Check = 'up' | 'down';

/**
 * 503 only when the admin database or Redis cannot be reached: then this instance can do nothing.
 * Requests queueing for registry connections (a burst of onboardings) make it `busy`, still 200:
 * the instance answers, and what it cannot take now it refuses with 503 and Retry-After itself.
 */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly registry: RegistryHealth,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
  ) {}

  @Get()
  @HttpCode(200)
  async health(@Res({ passthrough: true }) response: Response) {
    const [adminDb, redis] = await Promise.all([
      this.probe(() => this.registry.ping()),
      this.probe(() => this.redis.ping()),
    ]);
    const registryPool = this.registry.requestPool();
    const reachable = adminDb === 'up' && redis === 'up';
    if (!reachable) response.status(503);
    const status = !reachable ? 'degraded' : registryPool.waiting > 0 ? 'busy' : 'ok';
    return { status, checks: { adminDb, redis }, registryPool };
  }

  private async probe(check: () => Promise<unknown>): Promise<Check> {
    try {
      await withTimeout(check(), 1500, 'health check');
      return 'up';
    } catch {
      return 'down';
    }
  }
}
