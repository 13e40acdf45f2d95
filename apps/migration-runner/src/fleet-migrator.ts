import { Inject, Injectable, Logger } from '@nestjs/common';
import { enterTenant } from '@tenantry/common';
import { EngineRegistry } from '@tenantry/engines';
import {
  databaseTarget,
  RegistryUnitOfWork,
  serverAddress,
  type MigrationRunRow,
  type MigrationRunStatus,
  type TenantDatabaseEntity,
  type TenantEntity,
} from '@tenantry/registry';
import { blockedContracts, CURRENT_TENANT_SCHEMA_VERSION, TENANT_MIGRATIONS } from '@tenantry/tenant-schema';
import { ClsService } from 'nestjs-cls';
import { DriftScanner } from './drift/drift-scanner';
import { messageOf } from './message-of';
import { MIGRATION_RUNNER_OPTIONS, type MigrationRunnerOptions } from './migration-runner-settings';
import { RunLease } from './run-lease';
import { countByOutcome } from './run-report';
import { RunStop } from './run-stop';
import { runWithConcurrency } from './run-with-concurrency';

/** `interrupted`: the tenant was still migrating when its runner stopped waiting (the run was interrupted). */
export type TenantOutcome = 'migrated' | 'current' | 'failed' | 'skipped' | 'planned' | 'interrupted';

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
  /** Migrate tenants whose schema drifted from their recorded version too (refused by default: the migration was written for that version's schema). */
  allowDrift?: boolean;
}

export interface FleetRunHooks {
  onResult?: (result: TenantMigrationResult) => void;
  onTotal?: (tenants: number) => void;
  /** The run is recorded (its id), and the runs found abandoned were recorded so. */
  onStart?: (runId: string, abandoned: MigrationRunRow[]) => void;
  stop?: RunStop;
}

export interface FleetRunOutcome {
  runId: string;
  status: MigrationRunStatus;
  results: TenantMigrationResult[];
  /** Why the run was cut short (crashed or interrupted). */
  error?: string;
}

export class UnknownTenant extends Error {}

export class ContractBlocked extends Error {}

interface Member {
  tenant: TenantEntity;
  database: TenantDatabaseEntity;
}

/**
 * Brings every active tenant database to the current tenant schema: a canary wave first, then
 * the rest with a concurrency cap across the fleet and one per server (MIGRATION_SERVER_CONCURRENCY),
 * so one busy server does not slow the rest and none is hit by the whole fleet's concurrency. A failed tenant is recorded and the others go on, until the
 * failures pass the threshold; the run then halts and the tenants not reached are `skipped`.
 */
@Injectable()
export class FleetMigrator {
  private readonly logger = new Logger(FleetMigrator.name);

  constructor(
    private readonly registry: RegistryUnitOfWork,
    private readonly engines: EngineRegistry,
    private readonly cls: ClsService,
    private readonly drift: DriftScanner,
    @Inject(MIGRATION_RUNNER_OPTIONS) private readonly options: MigrationRunnerOptions,
  ) {}

  /**
   * A run recorded in the registry (visible through GET /migrations/runs) under a lease renewed
   * while it works, each tenant's result written as it finishes. Runs whose lease lapsed are
   * recorded abandoned first. After a complete, successful fleet run the provisioning template is
   * brought to the new version too, so new tenants start where the fleet is. A failure of the run
   * itself (a result the registry would not take, say) ends it `crashed`, starting no more tenants,
   * rather than throwing, so that what it did is still reported.
   */
  async run(options: FleetRunOptions, triggeredBy: string, hooks: FleetRunHooks = {}): Promise<FleetRunOutcome> {
    const fleet = await this.selectFleet(options);
    const runs = this.registry.repositories.migrationRuns;
    const abandoned = await runs.recordAbandoned();
    const leaseMs = this.options.runLeaseMs;
    const runId = await runs.start({ targetVersion: CURRENT_TENANT_SCHEMA_VERSION, options: { ...options }, triggeredBy, leaseMs });
    const lease = new RunLease(runs, runId, leaseMs, (error) => this.logger.warn(`could not renew the lease of run ${runId}: ${messageOf(error)}`));
    hooks.onStart?.(runId, abandoned);
    hooks.onTotal?.(fleet.length);
    const stop = hooks.stop ?? new RunStop();
    const crashed = (error: unknown) => stop.request({ status: 'crashed', reason: `the runner failed: ${messageOf(error)}` }, 0);
    const results: TenantMigrationResult[] = [];
    const writes: Array<Promise<void>> = [];
    try {
      await this.runFleet(
        fleet,
        options,
        (result) => {
          results.push(result);
          const row = { ...result, tenantCode: result.code, pending: result.pending ?? null, error: result.error ?? null };
          writes.push(runs.record(runId, row).catch(crashed));
          hooks.onResult?.(result);
        },
        stop,
      );
    } catch (error) {
      crashed(error);
    }
    await Promise.all(writes);
    const interruption = stop.requested;
    const clean = !results.some((result) => result.outcome === 'failed' || result.outcome === 'skipped');
    const status: MigrationRunStatus = interruption?.status ?? (options.dryRun ? 'planned' : clean ? 'succeeded' : 'failed');
    try {
      await runs.finish(runId, status, countByOutcome(results));
    } finally {
      lease.release();
    }
    if (status === 'succeeded' && !options.tenant) await this.refreshTemplates();
    return { runId, status, results, error: interruption?.reason };
  }

  /** Each PostgreSQL server's provisioning template, brought to the new version; one server that fails does not stop the others. */
  private async refreshTemplates(): Promise<void> {
    for (const server of await this.registry.repositories.servers.byEngine('postgres')) {
      try {
        await (await this.engines.on(serverAddress(server))).fastPath?.ensureTemplate(this.options.environment);
      } catch (error) {
        this.logger.warn(`could not bring the provisioning template of server ${server.name} up to date: ${messageOf(error)}`);
      }
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
        blocks.map((block) => `contract migration ${block.contract} needs ${block.dependsOn} on every tenant first; lagging: ${block.lagging.join(', ')}`).join('\n'),
      );
    }
    if (!options.tenant) return fleet;
    const selected = fleet.filter(({ tenant }) => tenant.code === options.tenant);
    if (selected.length === 0) throw new UnknownTenant(`tenant "${options.tenant}" is not an active tenant`);
    return selected;
  }

  /**
   * The canary wave, then the rest (or, for a dry run, the plan of each). Once halted (failures, or
   * a stop asked from outside) no tenant starts; a stop waits for those in flight only until it is
   * released. Every tenant behind ends with a result: one not reached is `skipped`, one still in
   * flight when the run stopped waiting is `interrupted`.
   */
  private async runFleet(fleet: Member[], options: FleetRunOptions, report: (result: TenantMigrationResult) => void, stop: RunStop): Promise<void> {
    // The registry records each tenant's version: a tenant already current is not even connected to.
    const behind = fleet.filter(({ database }) => database.schemaVersion !== CURRENT_TENANT_SCHEMA_VERSION);
    for (const { tenant, database } of fleet.filter((member) => !behind.includes(member))) {
      report(this.result(tenant, 'current', 'none', database.schemaVersion, 0));
    }
    const inFlight = new Map<Member, { started: number; wave: TenantMigrationResult['wave'] }>();
    const done = new Set<Member>();
    let waiting = true;
    let failures = 0;
    let halted: string | undefined;
    const wave = (name: TenantMigrationResult['wave'], members: Member[], work: (member: Member) => Promise<TenantMigrationResult>) =>
      runWithConcurrency(
        members,
        options.concurrency,
        async (member) => {
          inFlight.set(member, { started: Date.now(), wave: name });
          const result = await work(member);
          inFlight.delete(member);
          if (!waiting) return;
          if (result.outcome === 'failed') failures += 1;
          done.add(member);
          report(result);
        },
        () => halted !== undefined || failures > options.maxFailures || stop.requested !== undefined,
        { keyOf: serverOf, perKey: this.options.serverConcurrency },
      );
    const waves = async () => {
      if (options.dryRun) {
        await wave('none', behind, (member) => this.plan(member));
        return;
      }
      const canarySize = canaryCount(options.canary, behind.length);
      await wave('canary', behind.slice(0, canarySize), (member) => this.migrate(member, 'canary', options.allowDrift ?? false));
      if (failures > 0) halted = 'the canary wave failed';
      await wave('fleet', behind.slice(canarySize), (member) => this.migrate(member, 'fleet', options.allowDrift ?? false));
    };
    const work = waves();
    // Once the stop is released nobody awaits the tenants still in flight; their failures are theirs.
    work.catch(() => undefined);
    try {
      await Promise.race([work, stop.released]);
    } finally {
      waiting = false;
      stop.done();
    }
    const reason = stop.requested?.reason ?? halted ?? `halted after ${failures} failures`;
    for (const member of behind.filter((m) => !done.has(m))) {
      const { tenant, database } = member;
      const flight = inFlight.get(member);
      report(
        flight === undefined
          ? { ...this.result(tenant, 'skipped', 'none', database.schemaVersion, 0), error: reason }
          : {
              ...this.result(tenant, 'interrupted', flight.wave, database.schemaVersion, Date.now() - flight.started),
              error: `${reason} while this tenant was still in flight; a migration it had not committed is rolled back, and the next run checks it again`,
            },
      );
    }
  }

  private async plan({ tenant, database }: Member): Promise<TenantMigrationResult> {
    const started = Date.now();
    try {
      const pending = await (await this.engines.on(database.address)).pendingMigrations(databaseTarget(tenant, database));
      return { ...this.result(tenant, 'planned', 'none', database.schemaVersion, Date.now() - started), pending };
    } catch (error) {
      return { ...this.result(tenant, 'failed', 'none', database.schemaVersion, Date.now() - started), error: messageOf(error) };
    }
  }

  private migrate({ tenant, database }: Member, wave: 'canary' | 'fleet', allowDrift: boolean): Promise<TenantMigrationResult> {
    return this.cls.run(async () => {
      enterTenant(this.cls, tenant.id);
      const started = Date.now();
      try {
        const refusal = allowDrift ? undefined : await this.driftRefusal({ tenant, database });
        if (refusal) return { ...this.result(tenant, 'failed', wave, database.schemaVersion, Date.now() - started), error: refusal };
        const { applied, version } = await (await this.engines.on(database.address)).applySchema(databaseTarget(tenant, database));
        await this.registry.repositories.databases.setSchemaVersion(tenant.id, version);
        return this.result(tenant, applied.length > 0 ? 'migrated' : 'current', wave, version, Date.now() - started);
      } catch (error) {
        return { ...this.result(tenant, 'failed', wave, database.schemaVersion, Date.now() - started), error: messageOf(error) };
      }
    });
  }

  /**
   * Why a tenant whose real schema is not its recorded version's must not be migrated: its migrations
   * were written for that schema, and may fail half-way or quietly do the wrong thing on another.
   * A tenant that cannot be read is left to the migration, which fails with its own reason.
   */
  private async driftRefusal(member: Member): Promise<string | undefined> {
    // Checked against the version the database records: one another runner has just migrated is in sync with its new version.
    const drift = await this.drift.check(member);
    if (drift.status !== 'drifted') return undefined;
    this.logger.warn({ tenant_id: member.tenant.id, differences: drift.differences.length }, `refused to migrate ${member.tenant.code}: its schema drifted`);
    return (
      `refused: the schema drifted from ${drift.schemaVersion} (${drift.differences.map((difference) => difference.description).join('; ')}); ` +
      `repair it, or run with --allow-drift to migrate anyway`
    );
  }

  private result(tenant: TenantEntity, outcome: TenantOutcome, wave: TenantMigrationResult['wave'], version: string | null, durationMs: number) {
    return { code: tenant.code, tenantId: tenant.id, outcome, wave, version, durationMs };
  }
}

/** The server a tenant's database is on: the per-server cap counts by it. */
function serverOf({ database }: Member): string {
  return `${database.address.engine}:${database.address.host}:${database.address.port}`;
}

export function canaryCount(canary: FleetRunOptions['canary'], behind: number): number {
  return typeof canary === 'number' ? canary : Math.ceil((behind * Number(canary.slice(0, -1))) / 100);
}
