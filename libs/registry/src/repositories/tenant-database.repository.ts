import type { EntityManager } from 'typeorm';
import { TenantDatabaseEntity } from '../entities/tenant-database.entity';

export class TenantDatabaseRepository {
  constructor(private readonly em: EntityManager) {}

  private get repo() {
    return this.em.getRepository(TenantDatabaseEntity);
  }

  findByTenant(tenantId: string): Promise<TenantDatabaseEntity | null> {
    return this.repo.findOne({ where: { tenantId } });
  }

  async place(row: Omit<TenantDatabaseEntity, 'createdAt' | 'updatedAt' | 'secret' | 'schemaVersion'>): Promise<void> {
    await this.repo.insert({ ...row, secret: null, schemaVersion: null });
  }

  async setSecret(tenantId: string, secret: string | null): Promise<void> {
    await this.repo.update({ tenantId }, { secret });
  }

  async setSchemaVersion(tenantId: string, schemaVersion: string): Promise<void> {
    await this.repo.update({ tenantId }, { schemaVersion });
  }
}
