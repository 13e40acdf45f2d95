import { DefaultAzureCredential } from '@azure/identity';
import { type DynamicModule, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { EngineKind } from '@tenantry/common';
import { AzureSqlEngine } from './azure-sql/azure-sql.engine';
import { EngineRegistry } from './engine-registry';
import type { EnginesOptions } from './engines-options';
import { PostgresEngine } from './postgres/postgres.engine';
import type { TenantDatabaseEngine } from './tenant-database-engine';

/** Every engine this process is configured for: PostgreSQL always, azure-sql when AZURE_SQL_AUTH is set. */
function configuredEngines(options: EnginesOptions): TenantDatabaseEngine[] {
  const engines: TenantDatabaseEngine[] = [new PostgresEngine(options.postgres)];
  if (options.azureSql) {
    engines.push(new AzureSqlEngine({ ...options.azureSql, environment: options.environment, credential: new DefaultAzureCredential() }));
  }
  return engines;
}

/** The engines `configuredEngines` builds for this configuration, for a process that only places tenants (the admin API). */
export function configuredEngineKinds(options: EnginesOptions): EngineKind[] {
  return options.azureSql ? ['postgres', 'azure-sql'] : ['postgres'];
}

@Module({})
export class EnginesModule implements OnApplicationShutdown {
  constructor(private readonly engines: EngineRegistry) {}

  static forRoot(options: EnginesOptions): DynamicModule {
    return {
      module: EnginesModule,
      providers: [{ provide: EngineRegistry, useFactory: () => new EngineRegistry(configuredEngines(options)) }],
      exports: [EngineRegistry],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.engines.close();
  }
}
