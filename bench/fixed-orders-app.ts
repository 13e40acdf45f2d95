import 'reflect-metadata';
import { type DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthModule } from '@tenantry/auth';
import { configureHttpApp, ConfigModule, loadConfigOrExit, LoggingModule, type AppConfig } from '@tenantry/common';
import { TenantActiveGuard, TenantContext, TenantScopeInterceptor } from '@tenantry/tenancy';
import { TENANT_ENTITIES } from '@tenantry/tenant-schema';
import { ClsModule } from 'nestjs-cls';
import type { AddressInfo } from 'node:net';
import { DataSource, type EntityTarget, type ObjectLiteral } from 'typeorm';
import { OrdersController } from '../apps/sample-business-api/src/orders/orders.controller';
import { OrdersService } from '../apps/sample-business-api/src/orders/orders.service';

// The baseline of bench:resolve: the sample service's own controller, service, token verification
// and guards, but bound to one DataSource opened at start, so nothing is resolved or routed per request.
class FixedTenantContext {
  constructor(private readonly fixed: DataSource) {}

  async resolve(): Promise<void> {}

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

@Module({})
class FixedOrdersModule {
  static forRoot(config: AppConfig, fixed: DataSource): DynamicModule {
    return {
      module: FixedOrdersModule,
      imports: [
        ConfigModule.forRoot(config),
        ClsModule.forRoot({ global: true, middleware: { mount: true } }),
        LoggingModule.forRoot(config, 'fixed-orders'),
        AuthModule.forRoot(config.auth),
      ],
      controllers: [OrdersController],
      providers: [OrdersService, TenantActiveGuard, TenantScopeInterceptor, { provide: TenantContext, useValue: new FixedTenantContext(fixed) }],
    };
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const database = process.env.BENCH_FIXED_DATABASE;
  if (!database) throw new Error('BENCH_FIXED_DATABASE names the one tenant database this baseline serves');
  const url = new URL(config.tenantServer.adminUrl);
  url.pathname = `/${database}`;
  const fixed = await new DataSource({
    type: 'postgres',
    url: url.toString(),
    entities: TENANT_ENTITIES,
    extra: { max: config.tenancy.maxConnections, application_name: 'tenantry:bench-fixed' },
  }).initialize();
  const app = await NestFactory.create(FixedOrdersModule.forRoot(config, fixed), { bufferLogs: true });
  configureHttpApp(app);
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`fixed-orders listening on http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`fixed-orders failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
