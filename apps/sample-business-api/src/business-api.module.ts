import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { createMetricsRegistry, LoggingModule, METRICS_REGISTRY } from '@tenantry/common';
import { TenancyModule } from '@tenantry/tenancy';
import { ClsModule } from 'nestjs-cls';
import type { BusinessApiSettings } from './business-api-settings';
import { HealthController } from './health/health.controller';
import { METRICS_SERVICE, MetricsController } from './metrics/metrics.controller';
import { OrdersController } from './orders/orders.controller';
import { OrdersService } from './orders/orders.service';

/** A business service as a product team would write one: it imports TenancyModule and nothing of the control plane. */
@Module({})
export class BusinessApiModule {
  static forRoot(settings: BusinessApiSettings): DynamicModule {
    return {
      module: BusinessApiModule,
      imports: [
        ClsModule.forRoot({ global: true, middleware: { mount: true } }),
        LoggingModule.forRoot(settings.logging, 'sample-business-api'),
        TenancyModule.forRoot(settings.tenancy),
        // Quiet: a failing probe repeats every few seconds what the failing connection already logged.
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [HealthController, MetricsController, OrdersController],
      providers: [{ provide: METRICS_REGISTRY, useFactory: () => createMetricsRegistry(METRICS_SERVICE) }, OrdersService],
    };
  }
}
