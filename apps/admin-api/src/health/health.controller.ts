import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Public } from '@tenantry/auth';
import { checkHealth, dependencyStates, probe, REDIS_CLIENT } from '@tenantry/common';
import { RegistryHealth } from '@tenantry/registry';
import type { Response } from 'express';
import type Redis from 'ioredis';

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
    private readonly terminus: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly registry: RegistryHealth,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
  ) {}

  @Get()
  @HttpCode(200)
  async health(@Res({ passthrough: true }) response: Response) {
    const answer = await checkHealth<'adminDb' | 'redis' | 'registryPool'>(this.terminus, [
      probe(this.indicators, 'adminDb', () => this.registry.ping()),
      probe(this.indicators, 'redis', () => this.redis.ping()),
      () => this.registryPool(),
    ]);
    response.status(answer.httpStatus);
    const { registryPool, ...checks } = answer.details;
    const { size, idle, waiting } = registryPool;
    return { status: answer.status, checks: dependencyStates(checks), registryPool: { size, idle, waiting } };
  }

  /** Up, or terminus's `degraded` (answered as `busy`) while requests wait for a registry connection. */
  private registryPool() {
    const pool = this.registry.requestPool();
    const indicator = this.indicators.check('registryPool');
    return pool.waiting > 0 ? indicator.degraded({ ...pool }) : indicator.up({ ...pool });
  }
}
