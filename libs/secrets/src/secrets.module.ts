import { type DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '@tenantry/common';
import { LocalAesGcmProtector } from './local-aes-gcm.protector';
import { SECRET_PROTECTOR } from './secret-protector';

@Module({})
export class SecretsModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: SecretsModule,
      global: true,
      providers: [{ provide: SECRET_PROTECTOR, useFactory: () => new LocalAesGcmProtector(config.secrets.key, config.secrets.keyId) }],
      exports: [SECRET_PROTECTOR],
    };
  }
}
