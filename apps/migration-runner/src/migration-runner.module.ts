import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, LoggingModule, RedisModule, type AppConfig } from '@tenantry/common';
import { EnginesModule } from '@tenantry/engines';
import { RegistryModule } from '@tenantry/registry';
import { ClsModule } from 'nestjs-cls';
import { FleetMigrator } from './fleet-migrator';
import { ScheduledRuns } from './scheduled-runs';

@Module({})
export class MigrationRunnerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: MigrationRunnerModule,
      imports: [
        ConfigModule.forRoot(config),
        ClsModule.forRoot({ global: true }),
        LoggingModule.forRoot(config, 'migration-runner'),
        RedisModule.forRoot(config),
        RegistryModule.forRoot(config, { poolSize: 2 }),
        EnginesModule.forRoot(config),
      ],
      providers: [FleetMigrator, ScheduledRuns],
      exports: [FleetMigrator, ScheduledRuns],
    };
  }
}
