import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { METRICS_REGISTRY } from '@tenantry/common';
import { TenancyMetrics } from '@tenantry/tenancy';
import type { Response } from 'express';
import { Registry } from 'prom-client';

export const METRICS_SERVICE = 'sample-business-api';

/** Prometheus scrape endpoint, without a token (inside the platform network only): this process's metrics and the tenancy library's. */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  private readonly registry: Registry;

  constructor(@Inject(METRICS_REGISTRY) own: Registry, tenancy: TenancyMetrics) {
    // A merged registry keeps no default labels: the service's label is set again on it, for the tenancy metrics too.
    this.registry = Registry.merge([own, tenancy.registry]);
    this.registry.setDefaultLabels({ service: METRICS_SERVICE });
  }

  @Get()
  @Header('cache-control', 'no-store')
  async scrape(@Res() response: Response): Promise<void> {
    response.type(this.registry.contentType).send(await this.registry.metrics());
  }
}
