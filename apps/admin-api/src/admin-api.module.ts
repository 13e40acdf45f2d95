import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AuthModule } from '@tenantry/auth';
import { createMetricsRegistry, LoggingModule, METRICS_REGISTRY, RedisModule } from '@tenantry/common';
import { DataKeyDirectory, OperationQueueModule, RegistryModule, RETENTION_OPTIONS } from '@tenantry/registry';
import { SecretsModule } from '@tenantry/secrets';
import { ClsModule } from 'nestjs-cls';
import { ADMISSION_OPTIONS, type AdminApiSettings, REBALANCE_OPTIONS, TENANTRY_ENVIRONMENT } from './admin-api-settings';
import { DriftController } from './drift/drift.controller';
import { DriftService } from './drift/drift.service';
import { HealthController } from './health/health.controller';
import { FleetMetrics } from './metrics/fleet-metrics';
import { MetricsController } from './metrics/metrics.controller';
import { MigrationsController } from './migrations/migrations.controller';
import { OperationsController } from './operations/operations.controller';
import { OperationsService } from './operations/operations.service';
import { PoolsController } from './pools/pools.controller';
import { PoolsService } from './pools/pools.service';
import { RebalanceService } from './pools/rebalance.service';
import { RestoresController } from './restores/restores.controller';
import { RestoresService } from './restores/restores.service';
import { ServersController } from './servers/servers.controller';
import { ServersService } from './servers/servers.service';
import { TenantsController } from './tenants/tenants.controller';
import { TenantsService } from './tenants/tenants.service';

@Module({})
export class AdminApiModule {
  static forRoot(settings: AdminApiSettings): DynamicModule {
    return {
      module: AdminApiModule,
      imports: [
        ClsModule.forRoot({ global: true, middleware: { mount: true, generateId: true, idGenerator: requestId } }),
        LoggingModule.forRoot(settings.logging, 'admin-api'),
        RedisModule.forRoot(settings.redis),
        RegistryModule.forRoot(settings.registry, { configuredPool: settings.configuredPool, slotReservation: settings.slotReservation }),
        OperationQueueModule.forRoot(settings.queue),
        AuthModule.forRoot(settings.auth),
        // Protects the passwords of registered servers, as the worker protects tenant passwords.
        SecretsModule.forRoot(settings.secrets, DataKeyDirectory),
        // Quiet: a failing probe repeats every few seconds what the failing connection already logged.
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [
        TenantsController,
        RestoresController,
        OperationsController,
        ServersController,
        PoolsController,
        MigrationsController,
        DriftController,
        HealthController,
        MetricsController,
      ],
      providers: [
        { provide: METRICS_REGISTRY, useFactory: () => createMetricsRegistry('admin-api') },
        { provide: ADMISSION_OPTIONS, useValue: settings.admission },
        { provide: REBALANCE_OPTIONS, useValue: settings.rebalance },
        FleetMetrics,
        TenantsService,
        RestoresService,
        { provide: RETENTION_OPTIONS, useValue: settings.retention },
        { provide: TENANTRY_ENVIRONMENT, useValue: settings.environment },
        OperationsService,
        PoolsService,
        RebalanceService,
        ServersService,
        DriftService,
      ],
    };
  }
}

function requestId(request: { id?: unknown }): string {
  return String(request.id);
}
