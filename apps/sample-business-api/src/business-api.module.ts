import { type DynamicModule, Module } from '@nestjs/common';
import { APP_CONFIG, ConfigModule, LoggingModule, type AppConfig } from '@tenantry/common';
import { TenancyModule, tenancyOptionsFromConfig } from '@tenantry/tenancy';
import { ClsModule } from 'nestjs-cls';
import { HealthController } from './health/health.controller';
import { OrdersController } from './orders/orders.controller';
import { OrdersService } from './orders/orders.service';

/** A business service as a product team would write one: it imports TenancyModule and nothing of the control plane. */
@Module({})
export class BusinessApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: BusinessApiModule,
      imports: [
        ConfigModule.forRoot(config),
        ClsModule.forRoot({ global: true, middleware: { mount: true } }),
        LoggingModule.forRoot(config, 'sample-business-api'),
        TenancyModule.forRootAsync({ inject: [APP_CONFIG], useFactory: (appConfig: AppConfig) => tenancyOptionsFromConfig(appConfig) }),
      ],
      controllers: [HealthController, OrdersController],
      providers: [OrdersService],
    };
  }
}
