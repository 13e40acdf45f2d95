import { Injectable } from '@nestjs/common';
import { TENANT_ID_KEY } from '@tenantry/common';
import { EngineRegistry } from '@tenantry/engines';
import { databaseTarget, RegistryUnitOfWork } from '@tenantry/registry';
import { CURRENT_TENANT_SCHEMA_VERSION } from '@tenantry/tenant-schema';
import { ClsService } from 'nestjs-cls';

export interface TenantMigrationResult {
  code: string;
  tenantId: string;
  outcome: 'migrated' | 'current' | 'failed';
  version: string | null;
  error?: string;
  durationMs: number;
}

/** Brings every active tenant database to the current tenant schema, one tenant at a time; a failure is recorded, not fatal. */
@Injectable()
export class FleetMigrator {
  constructor(
    private readonly registry: RegistryUnitOfWork,
    private readonly engines: EngineRegistry,
    private readonly cls: ClsService,
  ) {}

  async migrateAll(onResult: (result: TenantMigrationResult) => void): Promise<TenantMigrationResult[]> {
    const fleet = await this.registry.repositories.tenants.activeWithDatabases();
    const results: TenantMigrationResult[] = [];
    for (const { tenant, database } of fleet) {
      // The registry records each tenant's version: a tenant already current is not even connected to.
      if (database.schemaVersion === CURRENT_TENANT_SCHEMA_VERSION) {
        const current = { code: tenant.code, tenantId: tenant.id, outcome: 'current' as const, version: database.schemaVersion, durationMs: 0 };
        onResult(current);
        results.push(current);
        continue;
      }
      const result = await this.cls.run(async () => {
        this.cls.set(TENANT_ID_KEY, tenant.id);
        const started = Date.now();
        try {
          const { applied, version } = await this.engines.get(database.engine).applySchema(databaseTarget(tenant, database));
          await this.registry.repositories.databases.setSchemaVersion(tenant.id, version);
          const outcome = applied.length > 0 ? ('migrated' as const) : ('current' as const);
          return { code: tenant.code, tenantId: tenant.id, outcome, version, durationMs: Date.now() - started };
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          return {
            code: tenant.code,
            tenantId: tenant.id,
            outcome: 'failed' as const,
            version: database.schemaVersion,
            error: message,
            durationMs: Date.now() - started,
          };
        }
      });
      onResult(result);
      results.push(result);
    }
    return results;
  }
}
