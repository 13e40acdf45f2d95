import { Inject, Injectable, Logger } from '@nestjs/common';
import type { PoolAddress } from '@tenantry/common';
import { EngineRegistry, type ChecksumBase, type RelocationEngine, type TableChecksum, type TenantDatabaseEngine, type TenantDatabaseTarget } from '@tenantry/engines';
import { MOVE_POINT_OF_NO_RETURN, RegistryUnitOfWork, TenantCacheInvalidator, type OperationEntity, type TenantEntity } from '@tenantry/registry';
import { setTimeout as sleep } from 'node:timers/promises';
import { PermanentStepFailure } from '../saga/saga-step';
import { SYSTEM_ACTOR } from '../saga/tenant-status-change';
import { WORKER_OPTIONS, type WorkerOptions } from '../worker-settings';

/** Where a switch points the tenant: a prepared database of its own, in `poolId`. */
export interface SwitchDestination {
  poolId: string;
  address: PoolAddress;
  databaseName: string;
}

/** A cancel asked for before the switch won: the caller rolls back. */
export class SwitchCancelled extends PermanentStepFailure {}

/** Both databases' checksum bases (RelocationEngine.ledgerBase), taken while the tenant was served. */
export interface LedgerBases {
  source: ChecksumBase;
  target: ChecksumBase;
}

/** Source and target disagree once frozen and caught up: the switch would lose or invent rows. */
export class CopyMismatch extends Error {}

/** The operation checkpoint a switch passes; a cancel is refused from then on. */
export const POINT_OF_NO_RETURN = MOVE_POINT_OF_NO_RETURN;

const POLL_MS = 50;

export function relocationOf(engine: TenantDatabaseEngine): RelocationEngine {
  if (!engine.relocation) throw new PermanentStepFailure(`the ${engine.kind} engine cannot copy a tenant database between its servers`);
  return engine.relocation;
}

function differences(source: TableChecksum[], target: TableChecksum[]): string[] {
  const theirs = new Map(target.map((table) => [table.table, table]));
  const found = source
    .filter((table) => theirs.get(table.table)?.rows !== table.rows || theirs.get(table.table)?.checksum !== table.checksum)
    .map((table) => `${table.table}: ${table.rows} rows vs ${theirs.get(table.table)?.rows ?? 'missing'}`);
  const extra = target.filter((table) => !source.some((mine) => mine.table === table.table)).map((table) => `${table.table}: only in the target`);
  return [...found, ...extra];
}

/**
 * The one switch primitive (tenant moves, the shared -> dedicated upgrade, a restore's swap): freeze
 * the tenant's writes, check that the prepared database holds what the current one does, point the
 * registry at it in one transaction, and tell every business service. Each method is idempotent, so
 * a saga step that calls it can run again after a crash.
 *
 * The freeze is held twice: in the registry, which business services read with the tenant's route
 * (their writes answer 503 with Retry-After, their reads go on), and in the current database itself,
 * made read-only with the sessions opened before ended, so a process whose cache has not heard of
 * the freeze cannot write either (its write fails as read-only: a 503 too) and no write is in flight
 * once `freeze` returns.
 */
@Injectable()
export class TenantSwitchover {
  private readonly logger = new Logger(TenantSwitchover.name);

  constructor(
    private readonly registry: RegistryUnitOfWork,
    private readonly engines: EngineRegistry,
    private readonly invalidator: TenantCacheInvalidator,
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
  ) {}

  async freeze(current: TenantDatabaseTarget): Promise<void> {
    await this.setRouteFrozen(current, true);
    const engine = await this.engines.on(current.address);
    const readOnlySince = await relocationOf(engine).setReadOnly(current, true);
    await engine.endSessions(current, readOnlySince);
    this.logger.log({ tenant_id: current.tenantId }, 'writes frozen');
  }

  /**
   * The registry's half of a freeze alone, for a swap whose engine refuses writes at the database by
   * itself when it should (a promoted replica turns the source into its read-only secondary).
   */
  async freezeRoute(current: TenantDatabaseTarget): Promise<void> {
    await this.setRouteFrozen(current, true);
    this.logger.log({ tenant_id: current.tenantId }, 'writes frozen in the registry');
  }

  /** Undoes a freeze: the tenant writes to its current database again. Sessions opened while it was read-only stay so for life: they end. */
  async thaw(current: TenantDatabaseTarget): Promise<void> {
    const engine = await this.engines.on(current.address);
    const writableSince = await relocationOf(engine).setReadOnly(current, false);
    await engine.endSessions(current, writableSince);
    await this.thawRoute(current);
  }

  async thawRoute(current: TenantDatabaseTarget): Promise<void> {
    await this.setRouteFrozen(current, false);
    this.logger.log({ tenant_id: current.tenantId }, 'writes thawed');
  }

  private async setRouteFrozen(current: TenantDatabaseTarget, frozen: boolean): Promise<void> {
    await this.registry.repositories.databases.setWritesFrozen(current.tenantId, frozen);
    await this.invalidator.invalidate(current.tenantId);
  }

  /**
   * Sequences carried over (no replication carries them), then every table compared by row count
   * and checksum until they agree or `waitMs` runs out (changes still being applied), when it throws
   * CopyMismatch naming the tables that differ. With `ledgers`, each side's checksums are its base
   * and what its ledger recorded since, so the freeze does not read every row; a side whose ledger
   * cannot tell is read in full, which gives the same figures for the same rows.
   */
  async verify(current: TenantDatabaseTarget, prepared: TenantDatabaseTarget, waitMs: number, ledgers?: LedgerBases): Promise<string> {
    const [from, to] = await Promise.all([this.engines.on(current.address), this.engines.on(prepared.address)]);
    await relocationOf(to).setSequences(prepared, await relocationOf(from).sequences(current));
    const read = async (engine: TenantDatabaseEngine, target: TenantDatabaseTarget, base?: ChecksumBase) => {
      const recorded = base ? await relocationOf(engine).ledgerChecksums(target, base) : null;
      return recorded ? { checksums: recorded, by: 'ledger' } : { checksums: await relocationOf(engine).tableChecksums(target), by: 'full read' };
    };
    const deadline = Date.now() + waitMs;
    for (;;) {
      const [mine, theirs] = await Promise.all([read(from, current, ledgers?.source), read(to, prepared, ledgers?.target)]);
      const found = differences(mine.checksums, theirs.checksums);
      const rows = mine.checksums.reduce((sum, table) => sum + table.rows, 0);
      if (found.length === 0) return `${mine.checksums.length} tables, ${rows} rows agree (source by ${mine.by}, target by ${theirs.by})`;
      if (Date.now() >= deadline) throw new CopyMismatch(`the copy differs from the tenant's database: ${found.join('; ')}`);
      await sleep(POLL_MS);
    }
  }

  /**
   * In one registry transaction: the operation passes its point of no return (unless a cancel came
   * first: SwitchCancelled), the tenant's database record points at `to` with writes open, its pool
   * slot moves there, and the database it leaves is retired for the retention period. Then every
   * business service is told; a run after a crash finds the switch made and only tells them again.
   */
  async switchTo(tenant: TenantEntity, operation: OperationEntity, to: SwitchDestination): Promise<void> {
    await this.registry.transaction(async (r) => {
      if (!(await r.operations.passPointOfNoReturn(operation.id, POINT_OF_NO_RETURN)))
        throw new SwitchCancelled(`operation ${operation.id} was cancelled before its switch`);
      const database = await r.databases.findByTenant(tenant.id);
      if (!database) throw new PermanentStepFailure(`tenant ${tenant.code} has no database to switch from`);
      const already =
        database.poolId === to.poolId &&
        database.databaseName === to.databaseName &&
        database.address.host === to.address.host &&
        database.address.port === to.address.port;
      if (already) return;
      const moved = database.address.host !== to.address.host || database.address.port !== to.address.port || database.databaseName !== to.databaseName;
      if (moved) {
        const { address, databaseName, loginName } = database;
        await r.retiredDatabases.retire({ tenantId: tenant.id, operationId: operation.id, address, databaseName, loginName }, this.options.retiredDatabaseRetentionMs);
      }
      await r.databases.relocate(tenant.id, to);
      await r.pools.transferSlot(tenant.id, to.poolId);
      await r.audit.record({
        actor: SYSTEM_ACTOR,
        action: 'tenant.switch',
        tenant,
        operation,
        details: {
          from: { host: database.address.host, port: database.address.port, database: database.databaseName },
          to: { ...to.address, database: to.databaseName },
        },
      });
    });
    await this.invalidator.invalidate(tenant.id);
    this.logger.log({ tenant_id: tenant.id, operation_id: operation.id }, 'switched to the new database');
  }
}
