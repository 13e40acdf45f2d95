import 'reflect-metadata';
import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthModule } from '@tenantry/auth';
import { combineSettings, configureHttpApp, loadSettingsOrExit, LoggingModule, loggingSettings, tenantServerUrlSettings, type SettingsOf } from '@tenantry/common';
import { TenantActiveGuard, TenantContext, TenantScopeInterceptor, tenancySettings } from '@tenantry/tenancy';
import { TENANT_ENTITIES } from '@tenantry/tenant-schema';
import { ClsModule } from 'nestjs-cls';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource, type EntityTarget, type ObjectLiteral } from 'typeorm';
import { OrdersController } from '../apps/sample-business-api/src/orders/orders.controller';
import { OrdersService } from '../apps/sample-business-api/src/orders/orders.service';

// The baseline of bench:resolve: the sample service's own controller, service, token verification
// and guards, but bound to one DataSource opened at start, so nothing is resolved or routed per request.
class FixedTenantContext {
  constructor(private readonly fixed: DataSource) {}

  /** What TenantActiveGuard reads of the route: the one database here never has its writes frozen. */
  async resolve(): Promise<{ database: { writesFrozen: false } }> {
    return { database: { writesFrozen: false } };
  }

  async dataSource(): Promise<DataSource> {
    return this.fixed;
  }

  async repository<T extends ObjectLiteral>(entity: EntityTarget<T>) {
    return this.fixed.getRepository(entity);
  }

  beginUnitOfWork(): { end(): void } {
    return { end: () => undefined };
  }
}

// What the sample service reads, and the server its one tenant database is on.
const fixedOrdersSettings = combineSettings({ logging: loggingSettings, tenancy: tenancySettings, tenantServerUrl: tenantServerUrlSettings });

@Module({})
class FixedOrdersModule {
  static forRoot(settings: SettingsOf<typeof fixedOrdersSettings>, fixed: DataSource): DynamicModule {
    return {
      module: FixedOrdersModule,
      imports: [
        ClsModule.forRoot({ global: true, middleware: { mount: true } }),
        LoggingModule.forRoot(settings.logging, 'fixed-orders'),
        AuthModule.forRoot(settings.tenancy.auth),
      ],
      controllers: [OrdersController],
      providers: [OrdersService, TenantActiveGuard, TenantScopeInterceptor, { provide: TenantContext, useValue: new FixedTenantContext(fixed) }],
    };
  }
}

async function main(): Promise<void> {
  const settings = loadSettingsOrExit(fixedOrdersSettings);
  const database = process.env.BENCH_FIXED_DATABASE;
  if (!database) throw new Error('BENCH_FIXED_DATABASE names the one tenant database this baseline serves');
  const url = new URL(settings.tenantServerUrl);
  url.pathname = `/${database}`;
  const fixed = await new DataSource({
    type: 'postgres',
    url: url.toString(),
    entities: TENANT_ENTITIES,
    extra: { max: settings.tenancy.connections?.maxConnections, application_name: 'tenantry:bench-fixed' },
  }).initialize();
  const app = await NestFactory.create<INestApplication<Server>>(FixedOrdersModule.forRoot(settings, fixed), { bufferLogs: true });
  configureHttpApp(app);
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`fixed-orders listening on http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`fixed-orders failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
