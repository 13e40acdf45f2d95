import type { EngineKind } from '@tenantry/common';
import type { EntityManager } from 'typeorm';
import { TenantBackupEntity } from '../entities/tenant-backup.entity';

export interface NewBackup {
  tenantId: string;
  operationId: string;
  engine: EngineKind;
  databaseName: string;
  schemaVersion: string | null;
}

/** What a tenant's backups are kept by: the newest `count`, and none older than `maxAgeMs`; the newest succeeded one always stays. */
export interface BackupRetention {
  count: number;
  maxAgeMs: number;
}

export class TenantBackupRepository {
  constructor(private readonly em: EntityManager) {}

  private get repo() {
    return this.em.getRepository(TenantBackupEntity);
  }

  /** The operation's backup, started now unless an earlier attempt of the operation started it. */
  async start(input: NewBackup): Promise<TenantBackupEntity> {
    await this.em.query(
      `INSERT INTO tenant_backups (tenant_id, operation_id, engine, database_name, schema_version, status)
       VALUES ($1, $2, $3, $4, $5, 'running') ON CONFLICT (operation_id) DO NOTHING`,
      [input.tenantId, input.operationId, input.engine, input.databaseName, input.schemaVersion],
    );
    return this.repo.findOneOrFail({ where: { operationId: input.operationId } });
  }

  findById(id: string): Promise<TenantBackupEntity | null> {
    return this.repo.findOne({ where: { id } });
  }

  async succeed(id: string, location: string, sizeBytes: number): Promise<void> {
    await this.repo.update({ id }, { status: 'succeeded', location, sizeBytes, error: null, finishedAt: () => 'now()' });
  }

  async fail(id: string, error: string): Promise<void> {
    await this.repo.update({ id }, { status: 'failed', error, finishedAt: () => 'now()' });
  }

  async markExpired(id: string): Promise<void> {
    await this.repo.update({ id }, { status: 'expired' });
  }

  listByTenant(tenantId: string, limit: number): Promise<TenantBackupEntity[]> {
    return this.repo.find({ where: { tenantId }, order: { startedAt: 'DESC' }, take: limit });
  }

  latestSucceeded(tenantId: string): Promise<TenantBackupEntity | null> {
    return this.repo.findOne({ where: { tenantId, status: 'succeeded' }, order: { startedAt: 'DESC' } });
  }

  /** The tenant's succeeded backups that its retention lets go. */
  beyondRetention(tenantId: string, retention: BackupRetention): Promise<TenantBackupEntity[]> {
    return this.repo
      .createQueryBuilder('b')
      .where(
        `b.id IN (SELECT id FROM (
           SELECT id, started_at, row_number() OVER (ORDER BY started_at DESC) AS n FROM tenant_backups
            WHERE tenant_id = :tenantId AND status = 'succeeded') ranked
          WHERE n > 1 AND (n > :count OR started_at < now() - make_interval(secs => :seconds)))`,
        { tenantId, count: retention.count, seconds: retention.maxAgeMs / 1000 },
      )
      .getMany();
  }

  /** Succeeded backups of tenants deleted longer ago than `windowMs`: nothing can undelete them any more. */
  ofTenantsDeletedBefore(windowMs: number, limit = 100): Promise<TenantBackupEntity[]> {
    return this.repo
      .createQueryBuilder('b')
      .innerJoin('tenants', 't', 't.id = b.tenant_id')
      .where(`b.status = 'succeeded' AND t.status = 'deleted' AND t.deleted_at < now() - make_interval(secs => :seconds)`, { seconds: windowMs / 1000 })
      .limit(limit)
      .getMany();
  }

  /** Tenants active now whose newest backup (of any outcome) started before `since`, or that have none. */
  async activeTenantsDue(since: Date, limit: number): Promise<string[]> {
    const rows = await this.em.query<Array<{ id: string }>>(
      `SELECT t.id FROM tenants t
        WHERE t.status = 'active'
          AND NOT EXISTS (SELECT 1 FROM tenant_backups b WHERE b.tenant_id = t.id AND b.started_at >= $1)
          AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.tenant_id = t.id AND o.status IN ('pending', 'running'))
        ORDER BY t.code LIMIT $2`,
      [since, limit],
    );
    return rows.map((row) => row.id);
  }
}
