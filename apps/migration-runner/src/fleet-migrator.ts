import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, TENANT_ID_KEY, type AppConfig } from '@tenantry/common';
import { EngineRegistry } from '@tenantry/engines';
import { databaseTarget, RegistryUnitOfWork, type TenantDatabaseEntity, type TenantEntity } from '@tenantry/registry';
import { blockedContracts, CURRENT_TENANT_SCHEMA_VERSION, TENANT_MIGRATIONS } from '@tenantry/tenant-schema';
import { ClsService } from 'nestjs-cls';
import { runWithConcurrency } from './run-with-concurrency';

export type TenantOutcome = 'migrated' | 'current' | 'failed' | 'skipped' | 'planned';

export interface TenantMigrationResult {
  code: string;
  tenantId: string;
  outcome: TenantOutcome;
  wave: 'canary' | 'fleet' | 'none';
  version: string | null;
  /** Dry run: the migrations that would run. */
  pending?: string[];
  error?: string;
  durationMs: number;
}

export interface FleetRunOptions {
  tenant?: string;
  dryRun: boolean;
  concurrency: number;
  /** Tenants migrated first (a count, or a percent of the tenants behind); any failure among them halts the run. */
  canary: number | `${number}%`;
  /** Failures tolerated in the rest of the fleet before the run halts. */
  maxFailures: number;
}

export class UnknownTenant extends Error {}

export class ContractBlocked extends Error {}

interface Member {
  tenant: TenantEntity;
  database: TenantDatabaseEntity;
}

/**
 * Brings every active tenant database to the current tenant schema: a canary wave first, then
 * the rest with a concurrency cap. A failed tenant is recorded and the others go on, until the
 * failures pass the threshold; the run then halts and the tenants not reached are `skipped`.
 */
@Injectable()
export class FleetMigrator {
  constructor(
    private readonly registry: RegistryUnitOfWork,
    private readonly engines: EngineRegistry,
    private readonly cls: ClsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * A run recorded in the registry (visible through GET /migrations/runs), each tenant's result
   * written as it finishes. After a complete, successful fleet run the provisioning template is
   * brought to the new version too, so new tenants start where the fleet is.
   */
  async run(
    options: FleetRunOptions,
    triggeredBy: string,
    onResult: (result: TenantMigrationResult) => void,
    onTotal?: (tenants: number) => void,
  ): Promise<{ runId: string; results: TenantMigrationResult[] }> {
    const fleet = await this.selectFleet(options);
    const runs = this.registry.repositories.migrationRuns;
    const runId = await runs.start({ targetVersion: CURRENT_TENANT_SCHEMA_VERSION, options: { ...options }, triggeredBy });
    const writes: Array<Promise<void>> = [];
    try {
      const results = await this.runFleet(
        fleet,
        options,
        (result) => {
          writes.push(
            runs.record(runId, { ...result, tenantCode: result.code, pending: result.pending ?? null, error: result.error ?? null }),
          );
          onResult(result);
        },
        onTotal,
      );
      await Promise.all(writes);
      const counts: Record<string, number> = {};
      for (const result of results) counts[result.outcome] = (counts[result.outcome] ?? 0) + 1;
      const clean = !results.some((result) => result.outcome === 'failed' || result.outcome === 'skipped');
      await runs.finish(runId, options.dryRun ? 'planned' : clean ? 'succeeded' : 'failed', counts);
      if (clean && !options.dryRun && !options.tenant) await this.engines.get('postgres').fastPath?.ensureTemplate(this.config.env);
      return { runId, results };
    } catch (error) {
      await Promise.allSettled(writes);
      await runs.finish(runId, 'failed', {});
      throw error;
    }
  }

  /** The tenants this run covers; refuses (before anything is recorded) an unknown tenant or a contract that must wait. */
  private async selectFleet(options: FleetRunOptions): Promise<Member[]> {
    const fleet: Member[] = await this.registry.repositories.tenants.activeWithDatabases();
    // Judged on the whole fleet, even for a one-tenant run: a contract waits for every tenant.
    const blocks = blockedContracts(
      TENANT_MIGRATIONS,
      fleet.map(({ tenant, database }) => ({ code: tenant.code, version: database.schemaVersion })),
    );
    if (blocks.length > 0) {
      throw new ContractBlocked(
        blocks
          .map((block) => `contract migration ${block.contract} needs ${block.dependsOn} on every tenant first; lagging: ${block.lagging.join(', ')}`)
          .join('\n'),
      );
    }
    if (!options.tenant) return fleet;
    const selected = fleet.filter(({ tenant }) => tenant.code === options.tenant);
    if (selected.length === 0) throw new UnknownTenant(`tenant "${options.tenant}" is not an active tenant`);
    return selected;
  }

  private async runFleet(
    fleet: Member[],
    options: FleetRunOptions,
    onResult: (result: TenantMigrationResult) => void,
    onTotal: (tenants: number) => void = () => undefined,
  ): Promise<TenantMigrationResult[]> {
    onTotal(fleet.length);
    const results: TenantMigrationResult[] = [];
    const report = (result: TenantMigrationResult) => {
      results.push(result);
      onResult(result);
    };
    // The registry records each tenant's version: a tenant already current is not even connected to.
    const behind = fleet.filter(({ database }) => database.schemaVersion !== CURRENT_TENANT_SCHEMA_VERSION);
    for (const { tenant, database } of fleet.filter((member) => !behind.includes(member))) {
      report(this.result(tenant, 'current', 'none', database.schemaVersion, 0));
    }
    if (options.dryRun) {
      await runWithConcurrency(behind, options.concurrency, async (member) => report(await this.plan(member)));
      return results;
    }
    const canarySize = canaryCount(options.canary, behind.length);
    const canary = behind.slice(0, canarySize);
    const rest = behind.slice(canarySize);
    let failures = 0;
    const migrate = (wave: 'canary' | 'fleet') => async (member: Member) => {
      const result = await this.migrate(member, wave);
      if (result.outcome === 'failed') failures += 1;
      report(result);
    };
    await runWithConcurrency(canary, options.concurrency, migrate('canary'));
    const halted = failures > 0 ? 'the canary wave failed' : undefined;
    const skipped = await runWithConcurrency(rest, options.concurrency, migrate('fleet'), () =>
      halted !== undefined || failures > options.maxFailures,
    );
    for (const { tenant, database } of skipped) {
      report({ ...this.result(tenant, 'skipped', 'none', database.schemaVersion, 0), error: halted ?? `halted after ${failures} failures` });
    }
    return results;
  }

  private async plan({ tenant, database }: Member): Promise<TenantMigrationResult> {
    const started = Date.now();
    try {
      const pending = await this.engines.get(database.engine).pendingMigrations(databaseTarget(tenant, database));
      return { ...this.result(tenant, 'planned', 'none', database.schemaVersion, Date.now() - started), pending };
    } catch (error) {
      return { ...this.result(tenant, 'failed', 'none', database.schemaVersion, Date.now() - started), error: messageOf(error) };
    }
  }

  private migrate({ tenant, database }: Member, wave: 'canary' | 'fleet'): Promise<TenantMigrationResult> {
    return this.cls.run(async () => {
      this.cls.set(TENANT_ID_KEY, tenant.id);
      const started = Date.now();
      try {
        const { applied, version } = await this.engines.get(database.engine).applySchema(databaseTarget(tenant, database));
        await this.registry.repositories.databases.setSchemaVersion(tenant.id, version);
        return this.result(tenant, applied.length > 0 ? 'migrated' : 'current', wave, version, Date.now() - started);
      } catch (error) {
        return { ...this.result(tenant, 'failed', wave, database.schemaVersion, Date.now() - started), error: messageOf(error) };
      }
    });
  }

  private result(tenant: TenantEntity, outcome: TenantOutcome, wave: TenantMigrationResult['wave'], version: string | null, durationMs: number) {
    return { code: tenant.code, tenantId: tenant.id, outcome, wave, version, durationMs };
  }
}

export function canaryCount(canary: FleetRunOptions['canary'], behind: number): number {
  return typeof canary === 'number' ? canary : Math.ceil((behind * Number(canary.slice(0, -1))) / 100);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
