import { DefaultAzureCredential } from '@azure/identity';
import { type DynamicModule, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '@tenantry/common';
import { AzureSqlEngine } from './azure-sql/azure-sql.engine';
import { EngineRegistry } from './engine-registry';
import { PostgresEngine } from './postgres/postgres.engine';
import type { EngineKind, TenantDatabaseEngine } from './tenant-database-engine';

/** Every engine this process is configured for: PostgreSQL always, azure-sql when AZURE_SQL_AUTH is set. */
function configuredEngines(config: AppConfig): TenantDatabaseEngine[] {
  const engines: TenantDatabaseEngine[] = [
    new PostgresEngine({ adminUrl: config.tenantServer.adminUrl, exportDir: config.worker.exportDir, migrationTimeouts: config.migrations.timeouts }),
  ];
  if (config.azureSql) {
    engines.push(new AzureSqlEngine({ ...config.azureSql, environment: config.env, credential: new DefaultAzureCredential() }));
  }
  return engines;
}

/** The engines `configuredEngines` builds for this configuration, for a process that only places tenants (the admin API). */
export function configuredEngineKinds(config: AppConfig): EngineKind[] {
  return config.azureSql ? ['postgres', 'azure-sql'] : ['postgres'];
}

@Module({})
export class EnginesModule implements OnApplicationShutdown {
  constructor(private readonly engines: EngineRegistry) {}

  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: EnginesModule,
      providers: [{ provide: EngineRegistry, useFactory: () => new EngineRegistry(configuredEngines(config)) }],
      exports: [EngineRegistry],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.engines.close();
  }
}
