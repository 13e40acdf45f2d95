import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '@tenantry/auth';
import { healthReport, probeDependency, REDIS_CLIENT } from '@tenantry/common';
import { RegistryUnitOfWork } from '@tenantry/registry';
import type { Response } from 'express';
import type Redis from 'ioredis';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly registry: RegistryUnitOfWork,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
  ) {}

  @Get()
  @HttpCode(200)
  async health(@Res({ passthrough: true }) response: Response) {
    const [adminDb, redis] = await Promise.all([probeDependency(() => this.registry.ping()), probeDependency(() => this.redis.ping())]);
    const { httpStatus, body } = healthReport({ adminDb, redis });
    response.status(httpStatus);
    return body;
  }
}
