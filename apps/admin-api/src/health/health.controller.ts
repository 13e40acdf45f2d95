import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '@tenantry/auth';
import { REDIS_CLIENT, withTimeout } from '@tenantry/common';
import { RegistryUnitOfWork } from '@tenantry/registry';
import type { Response } from 'express';
import type Redis from 'ioredis';

type Check = 'up' | 'down';

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
    const [adminDb, redis] = await Promise.all([
      this.probe(() => this.registry.ping()),
      this.probe(() => this.redis.ping()),
    ]);
    const ok = adminDb === 'up' && redis === 'up';
    if (!ok) response.status(503);
    return { status: ok ? 'ok' : 'degraded', checks: { adminDb, redis } };
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
