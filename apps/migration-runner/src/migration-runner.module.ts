import { type DynamicModule, Module } from '@nestjs/common';
import { LoggingModule, RedisModule } from '@tenantry/common';
import { EnginesModule } from '@tenantry/engines';
import { DataKeyDirectory, RegisteredServerCredentials, RegistryModule } from '@tenantry/registry';
import { SecretsModule } from '@tenantry/secrets';
import { ClsModule } from 'nestjs-cls';
import { DriftScanner } from './drift/drift-scanner';
import { ScheduledDriftScans } from './drift/scheduled-drift-scans';
import { FleetMigrator } from './fleet-migrator';
import { MIGRATION_RUNNER_OPTIONS, type MigrationRunnerSettings } from './migration-runner-settings';
import { ScheduledRuns } from './scheduled-runs';

@Module({})
export class MigrationRunnerModule {
  static forRoot(settings: MigrationRunnerSettings): DynamicModule {
    return {
      module: MigrationRunnerModule,
      imports: [
        ClsModule.forRoot({ global: true }),
        LoggingModule.forRoot(settings.logging, 'migration-runner'),
        RedisModule.forRoot(settings.redis),
        // Two registry connections: ADMIN_DB_POOL_SIZE sizes the processes that serve requests and jobs, not the runner's registry writes.
        RegistryModule.forRoot({ ...settings.registry, connections: { ...settings.registry.connections, poolSize: 2 } }),
        EnginesModule.forRoot(settings.engines, RegisteredServerCredentials),
        SecretsModule.forRoot(settings.secrets, DataKeyDirectory),
      ],
      providers: [{ provide: MIGRATION_RUNNER_OPTIONS, useValue: settings.runner }, DriftScanner, FleetMigrator, ScheduledRuns, ScheduledDriftScans],
      exports: [DriftScanner, FleetMigrator, ScheduledRuns, ScheduledDriftScans],
    };
  }
}
