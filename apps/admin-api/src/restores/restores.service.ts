import { Inject, Injectable } from '@nestjs/common';
import { InvalidTenantTransition, TenantCodeTaken, TenantNotFound, type OperationKind } from '@tenantry/common';
import { BACKUP_MODES, restoredDatabaseName, type BackupMode } from '@tenantry/engines';
import {
  OperationInProgress,
  OperationQueue,
  RegistryUnitOfWork,
  reserveSlot,
  RETENTION_OPTIONS,
  SLOT_RESERVATION_OPTIONS,
  type OperationEntity,
  type RegistryRepositories,
  type RetentionOptions,
  type SlotRequest,
  type SlotReservationOptions,
  type TenantBackupEntity,
  type TenantDatabaseEntity,
  type TenantEntity,
  type TenantRestoreEntity,
} from '@tenantry/registry';
import { randomUUID } from 'node:crypto';
import { TENANTRY_ENVIRONMENT } from '../admin-api-settings';
import { dispatch } from '../operations/dispatch';
import type { Actor } from '../tenants/actor';
import type { RequestRestoreDto } from './dto/request-restore.dto';
import { BackupNotFound, RestoreNotFound, RestoreNotReady, RestoreRequestInvalid, UndeleteRefused } from './restore-errors';

const LISTED = 100;
// A tenant being provisioned, offboarded or failed has no database to back up or restore into.
const WITH_DATABASE = ['active', 'suspended'];

interface Placed {
  tenant: TenantEntity;
  database: TenantDatabaseEntity;
}

/** Backups, side-by-side restores and their swap, and undeleting an offboarded tenant: each an operation the worker runs. */
@Injectable()
export class RestoresService {
  constructor(
    private readonly registry: RegistryUnitOfWork,
    private readonly queue: OperationQueue,
    @Inject(RETENTION_OPTIONS) private readonly retention: RetentionOptions,
    @Inject(SLOT_RESERVATION_OPTIONS) private readonly slots: SlotReservationOptions,
    @Inject(TENANTRY_ENVIRONMENT) private readonly environment: string,
  ) {}

  async backups(code: string): Promise<{ mode: BackupMode; backups: TenantBackupEntity[] }> {
    const { tenant, database } = await this.placed(this.registry.repositories, code, false);
    return { mode: BACKUP_MODES[database.address.engine], backups: await this.registry.repositories.backups.listByTenant(tenant.id, LISTED) };
  }

  async restores(code: string): Promise<{ database: TenantDatabaseEntity; restores: TenantRestoreEntity[] }> {
    const { tenant, database } = await this.placed(this.registry.repositories, code, false);
    return { database, restores: await this.registry.repositories.restores.listByTenant(tenant.id, LISTED) };
  }

  /** An on-demand backup; for an engine that keeps its own, the operation says there was nothing to do. */
  async backUp(code: string, actor: Actor): Promise<OperationEntity> {
    return this.queued(() =>
      this.registry.transaction(async (r) => {
        const { tenant } = await this.placed(r, code, true);
        return this.operation(r, tenant, 'backup', actor, {});
      }),
    );
  }

  /** Restores side by side into a new database; the tenant is served from its own until the restore is swapped in. */
  async restore(
    code: string,
    input: RequestRestoreDto,
    actor: Actor,
  ): Promise<{ restore: TenantRestoreEntity; database: TenantDatabaseEntity; operation: OperationEntity }> {
    const result = await this.registry.transaction(async (r) => {
      const { tenant, database } = await this.placed(r, code, true);
      const source = await this.sourceOf(r, tenant, BACKUP_MODES[database.address.engine], input);
      const id = randomUUID();
      const operation = await this.operation(r, tenant, 'restore', actor, { restoreId: id, ...source.params });
      const restore = await r.restores.insert({
        ...source.restore,
        id,
        tenantId: tenant.id,
        operationId: operation.id,
        databaseName: restoredDatabaseName(tenant.code, this.environment, id),
      });
      return { restore, database, operation };
    });
    await dispatch(this.queue, result.operation);
    return result;
  }

  async swap(code: string, restoreId: string, actor: Actor): Promise<OperationEntity> {
    return this.queued(() =>
      this.registry.transaction(async (r) => {
        const { tenant } = await this.placed(r, code, true);
        const restore = await r.restores.findById(restoreId);
        if (!restore || restore.tenantId !== tenant.id) throw new RestoreNotFound(code, restoreId);
        if (restore.status !== 'ready') throw new RestoreNotReady(restoreId, restore.status);
        return this.operation(r, tenant, 'swap_restore', actor, { restoreId });
      }),
    );
  }

  /**
   * Brings back an offboarded tenant from its last backup, within the undelete window, unless its
   * code now belongs to another tenant: refused then, saying which, rather than given a second code.
   * An engine that keeps its own backups (Azure SQL) takes none at offboarding: the tenant comes back
   * from its dropped database as the service kept it, restored on its server, into its pool.
   */
  async undelete(code: string, actor: Actor): Promise<{ tenant: TenantEntity; operation: OperationEntity }> {
    const result = await this.registry.transaction(async (r) => {
      const deleted = await r.tenants.latestDeletedByCode(code, true);
      const live = await r.tenants.findByCode(code);
      if (!deleted) {
        if (live && live.status !== 'deleted') throw new InvalidTenantTransition(code, live.status, 'undelete');
        throw new TenantNotFound(code);
      }
      if (live && live.status !== 'deleted') {
        throw new UndeleteRefused(
          code,
          'code_reused',
          `its code was reused by another tenant (${live.id}, created ${live.createdAt.toISOString()}) after it was deleted`,
        );
      }
      const deletedAt = deleted.deletedAt ?? deleted.updatedAt;
      if (Date.now() - deletedAt.getTime() > this.retention.undeleteWindowMs) {
        const hours = this.retention.undeleteWindowMs / 3_600_000;
        throw new UndeleteRefused(code, 'window_passed', `it was deleted at ${deletedAt.toISOString()}, more than the undelete window (${hours} hours) ago`);
      }
      const source = await this.undeleteSource(r, deleted);
      if (!source) throw new UndeleteRefused(code, 'no_backup', 'no backup of its database remains to bring it back from');
      try {
        await r.tenants.undelete(deleted);
      } catch (error) {
        if (error instanceof TenantCodeTaken) throw new UndeleteRefused(code, 'code_reused', 'its code was taken by another tenant meanwhile');
        throw error;
      }
      const operation = await this.operation(r, deleted, 'undelete', actor, source.params);
      // As admission does: the tenant takes a slot again, on a pool of the engine it is restored into.
      deleted.slotPoolId = await reserveSlot(r, deleted.id, { ...source.slot, region: deleted.region, lockTimeoutMs: this.slots.lockTimeoutMs });
      return { tenant: (await r.tenants.findById(deleted.id)) as TenantEntity, operation };
    });
    await dispatch(this.queue, result.operation);
    return result;
  }

  /**
   * What the tenant comes back from: its last backup; or, where the engine keeps its own backups
   * (Azure SQL, of which offboarding takes none), its dropped database as the service kept it, which
   * is restored on its own server only: into the pool it was in.
   */
  private async undeleteSource(
    r: RegistryRepositories,
    tenant: TenantEntity,
  ): Promise<{ params: Record<string, unknown>; slot: Pick<SlotRequest, 'pool' | 'engines'> } | null> {
    const backup = await r.backups.latestSucceeded(tenant.id);
    if (backup) return { params: { backupId: backup.id }, slot: { engines: [backup.engine] } };
    const database = await r.databases.findByTenant(tenant.id);
    if (!database?.droppedAt || !database.poolId || BACKUP_MODES[database.address.engine] !== 'point-in-time') return null;
    const pool = await r.pools.findById(database.poolId);
    if (!pool) return null;
    return {
      params: { dropped: { address: database.address, databaseName: database.databaseName } },
      slot: { pool: pool.name, engines: [database.address.engine] },
    };
  }

  private async sourceOf(r: RegistryRepositories, tenant: TenantEntity, mode: BackupMode, input: RequestRestoreDto) {
    if ((input.backupId === undefined) === (input.pointInTime === undefined)) throw new RestoreRequestInvalid('give either backupId or pointInTime');
    if (input.backupId !== undefined) {
      if (mode !== 'dump') throw new RestoreRequestInvalid(`tenant "${tenant.code}" is on Azure SQL, which keeps its own backups: give a pointInTime instead`);
      const backup = await r.backups.findById(input.backupId);
      if (!backup || backup.tenantId !== tenant.id || backup.status !== 'succeeded') throw new BackupNotFound(tenant.code, input.backupId);
      return { params: { backupId: backup.id }, restore: { backupId: backup.id, pointInTime: null } };
    }
    if (mode !== 'point-in-time') throw new RestoreRequestInvalid(`tenant "${tenant.code}" is on PostgreSQL, which has no point-in-time history here: give a backupId`);
    const at = new Date(input.pointInTime!);
    if (at.getTime() > Date.now()) throw new RestoreRequestInvalid(`pointInTime ${input.pointInTime} is in the future`);
    return { params: { pointInTime: at.toISOString() }, restore: { backupId: null, pointInTime: at } };
  }

  private async placed(r: RegistryRepositories, code: string, lock: boolean): Promise<Placed> {
    const tenant = await r.tenants.findByCode(code, lock);
    if (!tenant || tenant.status === 'deleted') throw new TenantNotFound(code);
    const database = await r.databases.findByTenant(tenant.id);
    if (!WITH_DATABASE.includes(tenant.status) || !database || database.droppedAt) throw new InvalidTenantTransition(code, tenant.status, 'back up or restore');
    return { tenant, database };
  }

  private async operation(r: RegistryRepositories, tenant: TenantEntity, kind: OperationKind, actor: Actor, params: Record<string, unknown>): Promise<OperationEntity> {
    let operation: OperationEntity;
    try {
      operation = await r.operations.insert({ tenantId: tenant.id, kind, requestedBy: actor.name, params });
    } catch (error) {
      if (error instanceof OperationInProgress) throw new InvalidTenantTransition(tenant.code, 'busy with another operation', kind);
      throw error;
    }
    await r.audit.record({ actor, action: `tenant.${kind}`, tenant, operation, details: params });
    return operation;
  }

  private async queued(work: () => Promise<OperationEntity>): Promise<OperationEntity> {
    const operation = await work();
    await dispatch(this.queue, operation);
    return operation;
  }
}
