import { type DynamicModule, Module, type InjectionToken } from '@nestjs/common';
import { createSecretProtector } from './create-secret-protector';
import type { DataKeyStore } from './data-key-store';
import { SECRET_PROTECTOR } from './secret-protector';
import type { SecretsOptions } from './secrets-options';

@Module({})
export class SecretsModule {
  /** `dataKeys`: the provider of the registry's data keys (the registry's DataKeyDirectory), which a vault needs. */
  static forRoot(options: SecretsOptions, dataKeys: InjectionToken): DynamicModule {
    return {
      module: SecretsModule,
      global: true,
      providers: [
        {
          provide: SECRET_PROTECTOR,
          useFactory: (store: DataKeyStore) => createSecretProtector(options, { dataKeys: store }),
          inject: [dataKeys],
        },
      ],
      exports: [SECRET_PROTECTOR],
    };
  }
}
