import type { EntityManager } from 'typeorm';
import { TenantRestoreEntity, type RestoreStatus } from '../entities/tenant-restore.entity';

export interface NewRestore {
  id: string;
  tenantId: string;
  operationId: string;
  backupId: string | null;
  pointInTime: Date | null;
  databaseName: string;
}

export class TenantRestoreRepository {
  constructor(private readonly em: EntityManager) {}

  private get repo() {
    return this.em.getRepository(TenantRestoreEntity);
  }

  async insert(input: NewRestore): Promise<TenantRestoreEntity> {
    return this.repo.save({ ...input, status: 'restoring' as const });
  }

  findById(id: string, lock = false): Promise<TenantRestoreEntity | null> {
    return this.repo.findOne({ where: { id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
  }

  findByOperation(operationId: string): Promise<TenantRestoreEntity | null> {
    return this.repo.findOne({ where: { operationId } });
  }

  listByTenant(tenantId: string, limit: number): Promise<TenantRestoreEntity[]> {
    return this.repo.find({ where: { tenantId }, order: { createdAt: 'DESC' }, take: limit });
  }

  async setStatus(id: string, status: RestoreStatus): Promise<void> {
    await this.repo.update({ id }, { status, ...(status === 'ready' ? { readyAt: () => 'now()' } : {}) });
  }

  /** Idempotent: a swap's step run again keeps the first time. */
  async markSwapped(id: string, replacedDatabaseName: string): Promise<void> {
    await this.em.query(`UPDATE tenant_restores SET status = 'swapped', swapped_at = coalesce(swapped_at, now()), replaced_database_name = $2 WHERE id = $1`, [
      id,
      replacedDatabaseName,
    ]);
  }
}
