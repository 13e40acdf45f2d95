import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { METRICS_REGISTRY } from '@tenantry/common';
import { TenancyMetrics } from '@tenantry/tenancy';
import type { Response } from 'express';
import { Registry } from 'prom-client';

/** Prometheus scrape endpoint, without a token (inside the platform network only): this process's metrics and the tenancy library's. */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  private readonly registry: Registry;

  constructor(@Inject(METRICS_REGISTRY) own: Registry, tenancy: TenancyMetrics) {
    this.registry = Registry.merge([own, tenancy.registry]);
  }

  @Get()
  @Header('cache-control', 'no-store')
  async scrape(@Res() response: Response): Promise<void> {
    response.type(this.registry.contentType).send(await this.registry.metrics());
  }
}
