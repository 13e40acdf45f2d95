import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '@tenantry/auth';
import { healthReport, probeDependency, REDIS_CLIENT } from '@tenantry/common';
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
    private readonly registry: RegistryHealth,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
  ) {}

  @Get()
  @HttpCode(200)
  async health(@Res({ passthrough: true }) response: Response) {
    const [adminDb, redis] = await Promise.all([probeDependency(() => this.registry.ping()), probeDependency(() => this.redis.ping())]);
    const { httpStatus, body } = healthReport({ adminDb, redis });
    const registryPool = this.registry.requestPool();
    response.status(httpStatus);
    return { ...body, status: body.status === 'ok' && registryPool.waiting > 0 ? 'busy' : body.status, registryPool };
  }
}
