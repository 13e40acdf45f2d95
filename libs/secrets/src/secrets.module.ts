import { type DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '@tenantry/common';
import { createSecretProtector } from './create-secret-protector';
import { SECRET_PROTECTOR } from './secret-protector';

@Module({})
export class SecretsModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: SecretsModule,
      global: true,
      providers: [{ provide: SECRET_PROTECTOR, useFactory: () => createSecretProtector(config.secrets) }],
      exports: [SECRET_PROTECTOR],
    };
  }
}
