import type { PoolAddress } from '@tenantry/common';
import { In, IsNull, Not, type EntityManager } from 'typeorm';
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

  async place(row: Omit<TenantDatabaseEntity, 'createdAt' | 'updatedAt' | 'secret' | 'schemaVersion' | 'droppedAt' | 'writesFrozenAt'>): Promise<void> {
    await this.repo.insert({ ...row, secret: null, schemaVersion: null, droppedAt: null, writesFrozenAt: null });
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

  /** An undeleted tenant's record, placed again where a new tenant of its code would be: no secret nor schema until its saga sets them. */
  async placeAgain(row: Omit<TenantDatabaseEntity, 'createdAt' | 'updatedAt' | 'secret' | 'schemaVersion' | 'droppedAt' | 'writesFrozenAt'>): Promise<void> {
    await this.repo.update({ tenantId: row.tenantId }, { ...row, secret: null, schemaVersion: null, droppedAt: null, writesFrozenAt: null });
  }

  /** Idempotent either way; the first freeze's time stays. */
  async setWritesFrozen(tenantId: string, frozen: boolean): Promise<void> {
    await this.em.query(
      frozen
        ? `UPDATE tenant_databases SET writes_frozen_at = coalesce(writes_frozen_at, now()), updated_at = now() WHERE tenant_id = $1`
        : `UPDATE tenant_databases SET writes_frozen_at = NULL, updated_at = now() WHERE tenant_id = $1`,
      [tenantId],
    );
  }

  /** The tenants served from a database on the server at this address (a change of its pooler changes how they resolve). */
  async tenantIdsOnServer(address: Pick<PoolAddress, 'engine' | 'host' | 'port'>): Promise<string[]> {
    const rows = await this.repo.find({
      select: { tenantId: true },
      where: { address: { engine: address.engine, host: address.host, port: address.port }, secret: Not(IsNull()) },
    });
    return rows.map((row) => row.tenantId);
  }

  /** Points the tenant at its new database, writes open again; same login and secret. */
  async relocate(tenantId: string, to: { poolId: string; address: PoolAddress; databaseName: string }): Promise<void> {
    await this.repo.update({ tenantId }, { poolId: to.poolId, address: to.address, databaseName: to.databaseName, writesFrozenAt: null });
  }
}
