import { In, IsNull, type EntityManager } from 'typeorm';
import { TenantDatabaseEntity } from '../entities/tenant-database.entity';

export class TenantDatabaseRepository {
  constructor(private readonly em: EntityManager) {}

  private get repo() {
    return this.em.getRepository(TenantDatabaseEntity);
  }

  findByTenant(tenantId: string): Promise<TenantDatabaseEntity | null> {
    return this.repo.findOne({ where: { tenantId } });
  }

  findByTenants(tenantIds: string[]): Promise<TenantDatabaseEntity[]> {
    return tenantIds.length === 0 ? Promise.resolve([]) : this.repo.find({ where: { tenantId: In(tenantIds) } });
  }

  async place(row: Omit<TenantDatabaseEntity, 'createdAt' | 'updatedAt' | 'secret' | 'schemaVersion' | 'droppedAt'>): Promise<void> {
    await this.repo.insert({ ...row, secret: null, schemaVersion: null, droppedAt: null });
  }

  /** Idempotent: a retried drop keeps the time of the first. */
  async markDropped(tenantId: string): Promise<void> {
    await this.repo.update({ tenantId, droppedAt: IsNull() }, { droppedAt: () => 'now()' });
  }

  async setSecret(tenantId: string, secret: string | null): Promise<void> {
    await this.repo.update({ tenantId }, { secret });
  }

  async setSchemaVersion(tenantId: string, schemaVersion: string): Promise<void> {
    await this.repo.update({ tenantId }, { schemaVersion });
  }

  /** The tenant is served from another database of the same server from now on (a restore swapped in). */
  async switchDatabase(tenantId: string, databaseName: string, schemaVersion: string): Promise<void> {
    await this.repo.update({ tenantId }, { databaseName, schemaVersion });
  }

  /** An undeleted tenant's record, placed again where a new tenant of its code would be: no secret nor schema until its saga sets them. */
  async placeAgain(row: Omit<TenantDatabaseEntity, 'createdAt' | 'updatedAt' | 'secret' | 'schemaVersion' | 'droppedAt'>): Promise<void> {
    await this.repo.update({ tenantId: row.tenantId }, { ...row, secret: null, schemaVersion: null, droppedAt: null });
  }
}
