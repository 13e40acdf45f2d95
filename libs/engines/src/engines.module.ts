import { type DynamicModule, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '@tenantry/common';
import { EngineRegistry } from './engine-registry';
import { PostgresEngine } from './postgres/postgres.engine';

@Module({})
export class EnginesModule implements OnApplicationShutdown {
  constructor(private readonly engines: EngineRegistry) {}

  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: EnginesModule,
      providers: [
        { provide: EngineRegistry, useFactory: () => new EngineRegistry([new PostgresEngine({ adminUrl: config.tenantServer.adminUrl })]) },
      ],
      exports: [EngineRegistry],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.engines.close();
  }
}
