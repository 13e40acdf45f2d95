import { type DynamicModule, Module } from '@nestjs/common';
import { createSecretProtector } from './create-secret-protector';
import { SECRET_PROTECTOR } from './secret-protector';
import type { SecretsOptions } from './secrets-options';

@Module({})
export class SecretsModule {
  static forRoot(options: SecretsOptions): DynamicModule {
    return {
      module: SecretsModule,
      global: true,
      providers: [{ provide: SECRET_PROTECTOR, useFactory: () => createSecretProtector(options) }],
      exports: [SECRET_PROTECTOR],
    };
  }
}
