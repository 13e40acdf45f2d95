import { DefaultAzureCredential } from '@azure/identity';
import { type DynamicModule, Module, type OnApplicationShutdown, type Type } from '@nestjs/common';
import type { EngineKind } from '@tenantry/common';
import { AzureSqlEngine } from './azure-sql/azure-sql.engine';
import { EngineRegistry } from './engine-registry';
import type { EnginesOptions } from './engines-options';
import { PostgresEngine } from './postgres/postgres.engine';
import { SERVER_CREDENTIALS, type ServerCredentialSource } from './server-credentials';
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

  /** `credentials`: how this process signs in to registered servers (the registry's RegisteredServerCredentials); absent, the configured server only. */
  static forRoot(options: EnginesOptions, credentials?: Type<ServerCredentialSource>): DynamicModule {
    const registry = credentials
      ? {
          provide: EngineRegistry,
          inject: [SERVER_CREDENTIALS],
          useFactory: (source: ServerCredentialSource) =>
            new EngineRegistry(configuredEngines(options), {
              credentials: source,
              connect: ({ adminUrl, poolerAdminUrl }) =>
                new PostgresEngine({
                  ...options.postgres,
                  adminUrl,
                  pooler: poolerAdminUrl === null ? undefined : { authLookup: options.postgres.pooler.authLookup, adminUrl: poolerAdminUrl },
                }),
            }),
        }
      : { provide: EngineRegistry, useFactory: () => new EngineRegistry(configuredEngines(options)) };
    return {
      module: EnginesModule,
      providers: [...(credentials ? [{ provide: SERVER_CREDENTIALS, useClass: credentials }] : []), registry],
      exports: [EngineRegistry],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.engines.close();
  }
}
