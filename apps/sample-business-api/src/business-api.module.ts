import { type DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@tenantry/auth';
import { ConfigModule, LoggingModule, RedisModule, type AppConfig } from '@tenantry/common';
import { TenancyModule } from '@tenantry/tenancy';
import { ClsModule } from 'nestjs-cls';
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
        RedisModule.forRoot(config),
        AuthModule.forRoot(config.auth),
        TenancyModule.forRoot(config),
      ],
      controllers: [OrdersController],
      providers: [OrdersService],
    };
  }
}
