import { Inject, Injectable, Logger } from '@nestjs/common';
import { EngineRegistry, type TenantDatabaseEngine } from '@tenantry/engines';
import { databaseTarget, RegistryUnitOfWork, type TenantDatabaseEntity, type TenantDriftRecord, type TenantEntity } from '@tenantry/registry';
import { compareSchemas, MIGRATIONS_TABLE, schemaFingerprint, type SchemaReading, type SchemaSnapshot } from '@tenantry/tenant-schema';
import { messageOf } from '../message-of';
import { MIGRATION_RUNNER_OPTIONS, type MigrationRunnerOptions } from '../migration-runner-settings';
import { runWithConcurrency } from '../run-with-concurrency';

export interface DriftMember {
  tenant: TenantEntity;
  database: TenantDatabaseEntity;
}

/** One tenant's scan, as recorded, with its code and how long it took. */
export interface TenantDriftResult extends TenantDriftRecord {
  code: string;
  durationMs: number;
}

interface ExpectedSchema {
  snapshot: SchemaSnapshot;
  fingerprint: string;
}

// A fleet scan records its results in batches of this many: one registry statement each, not one per tenant.
const RECORD_BATCH = 200;

/**
 * Compares each tenant database's real schema (one catalog query) with the schema of the version
 * the registry records for it. The expected schema of a version is built once per engine and version
 * (a scratch database, migrated, read, dropped) and kept for the life of the process: a version's
 * migrations never change. Every result is recorded in the registry as the tenant's latest.
 */
@Injectable()
export class DriftScanner {
  private readonly logger = new Logger(DriftScanner.name);
  private readonly expected = new Map<string, Promise<ExpectedSchema>>();

  constructor(
    private readonly registry: RegistryUnitOfWork,
    private readonly engines: EngineRegistry,
    @Inject(MIGRATION_RUNNER_OPTIONS) private readonly options: MigrationRunnerOptions,
  ) {}

  /** The active tenants, or one of them by code (null when it is not an active tenant). */
  async members(code?: string): Promise<DriftMember[] | null> {
    const fleet = await this.registry.repositories.tenants.activeWithDatabases();
    if (code === undefined) return fleet;
    const selected = fleet.filter(({ tenant }) => tenant.code === code);
    return selected.length === 0 ? null : selected;
  }

  /**
   * One tenant, against the version its database itself records (not recorded in the registry): what
   * the runner checks before migrating it, whatever another runner finished meanwhile.
   */
  check(member: DriftMember): Promise<TenantDriftResult> {
    return this.compare(member, 'database');
  }

  /** Many tenants, `concurrency` at once, each result reported as it comes and recorded in batches. */
  async scan(
    members: DriftMember[],
    concurrency: number,
    onResult: (result: TenantDriftResult) => void = () => undefined,
    halt?: () => boolean,
  ): Promise<TenantDriftResult[]> {
    const results: TenantDriftResult[] = [];
    let unrecorded: TenantDriftResult[] = [];
    const writes: Array<Promise<void>> = [];
    const flush = () => {
      writes.push(this.registry.repositories.drift.record(unrecorded));
      unrecorded = [];
    };
    await runWithConcurrency(
      members,
      concurrency,
      async (member) => {
        const result = await this.compare(member, 'registry');
        results.push(result);
        unrecorded.push(result);
        if (unrecorded.length >= RECORD_BATCH) flush();
        onResult(result);
      },
      halt,
    );
    flush();
    await Promise.all(writes);
    return results;
  }

  /**
   * The tenant's schema against the expected schema of a version: the one the registry records (a
   * scan; a database that records another version is drifted too), or the one the database records
   * (the runner's check).
   */
  private async compare({ tenant, database }: DriftMember, against: 'registry' | 'database'): Promise<TenantDriftResult> {
    const started = Date.now();
    const recorded = database.schemaVersion;
    const base = { tenantId: tenant.id, code: tenant.code, schemaVersion: recorded, fingerprint: null, expectedFingerprint: null, differences: [], error: null };
    const unknown = (error: string): TenantDriftResult => ({ ...base, status: 'unknown', error, durationMs: Date.now() - started });
    const target = databaseTarget(tenant, database);
    let engine: TenantDatabaseEngine;
    let reading: SchemaReading;
    try {
      engine = await this.engines.on(database.address);
      reading = await engine.readSchema(target);
    } catch (error) {
      this.logger.warn({ tenant_id: tenant.id, err: error }, `drift scan could not read the schema of ${tenant.code}`);
      return unknown(`the database could not be read: ${messageOf(error)}`);
    }
    const version = against === 'registry' ? recorded : reading.version;
    if (version === null) return unknown(`no schema version is recorded ${against === 'registry' ? 'in the registry' : 'in the database'} (never migrated)`);
    let expected: ExpectedSchema;
    try {
      expected = await this.expectedSchema(engine, version, target);
    } catch (error) {
      return unknown(`the expected schema of ${version} could not be built: ${messageOf(error)}`);
    }
    const fingerprint = schemaFingerprint(reading.snapshot);
    // Equal fingerprints, equal schemas: the comparison is only needed when they differ.
    const differences = fingerprint === expected.fingerprint ? [] : compareSchemas(reading.snapshot, expected.snapshot);
    if (reading.version !== version) {
      differences.unshift({
        object: 'version',
        name: MIGRATIONS_TABLE,
        problem: 'changed',
        description: `the database records version ${reading.version ?? '(none)'}, the registry ${version}`,
      });
    }
    return {
      ...base,
      schemaVersion: version,
      status: differences.length === 0 ? 'in_sync' : 'drifted',
      fingerprint,
      expectedFingerprint: expected.fingerprint,
      differences,
      durationMs: Date.now() - started,
    };
  }

  /** Shared by every tenant of that engine and version, built by the first that needs it; a failed build is tried again by the next. */
  private expectedSchema(engine: TenantDatabaseEngine, version: string, beside: ReturnType<typeof databaseTarget>): Promise<ExpectedSchema> {
    const key = `${engine.kind}:${version}`;
    let built = this.expected.get(key);
    if (!built) {
      built = engine.expectedSchema(version, beside, this.options.environment).then((snapshot) => ({ snapshot, fingerprint: schemaFingerprint(snapshot) }));
      this.expected.set(key, built);
      built.catch(() => this.expected.delete(key));
    }
    return built;
  }
}
