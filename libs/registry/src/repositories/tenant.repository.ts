import { TenantCodeTaken } from '@tenantry/common';
import { In, type EntityManager } from 'typeorm';
import { TenantDatabaseEntity } from '../entities/tenant-database.entity';
import { TenantEntity, type TenantStatus } from '../entities/tenant.entity';
import { isUniqueViolation } from './pg-errors';

export interface NewTenant {
  code: string;
  name: string;
  plan: string;
  region: string;
}

export interface TenantPage {
  items: TenantEntity[];
  total: number;
}

export class TenantRepository {
  constructor(private readonly em: EntityManager) {}

  async insert(input: NewTenant): Promise<TenantEntity> {
    try {
      return await this.em.getRepository(TenantEntity).save({ ...input, status: 'provisioning', deletedAt: null });
    } catch (error) {
      if (isUniqueViolation(error, 'tenants_code_live')) throw new TenantCodeTaken(input.code);
      throw error;
    }
  }

  /** The live tenant with this code, else the most recently deleted one (its history stays readable). */
  findByCode(code: string, lock = false): Promise<TenantEntity | null> {
    const query = this.em
      .getRepository(TenantEntity)
      .createQueryBuilder('t')
      .where('t.code = :code', { code })
      .orderBy(`CASE WHEN t.status = 'deleted' THEN 1 ELSE 0 END`)
      .addOrderBy('t.created_at', 'DESC')
      .limit(1);
    if (lock) query.setLock('pessimistic_write');
    return query.getOne();
  }

  /** The most recently deleted tenant of this code, whether or not a live one has it now. */
  latestDeletedByCode(code: string, lock = false): Promise<TenantEntity | null> {
    return this.em.getRepository(TenantEntity).findOne({
      where: { code, status: 'deleted' },
      order: { deletedAt: 'DESC' },
      ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
  }

  /** A deleted tenant becomes live again (provisioning, until its undelete operation ends); TenantCodeTaken when a live tenant has its code. */
  async undelete(tenant: Pick<TenantEntity, 'id' | 'code'>): Promise<void> {
    try {
      await this.em.getRepository(TenantEntity).update({ id: tenant.id, status: 'deleted' }, { status: 'provisioning', deletedAt: null });
    } catch (error) {
      if (isUniqueViolation(error, 'tenants_code_live')) throw new TenantCodeTaken(tenant.code);
      throw error;
    }
  }

  findById(id: string, lock = false): Promise<TenantEntity | null> {
    return this.em.getRepository(TenantEntity).findOne({ where: { id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
  }

  async list(filter: { status?: TenantStatus; offset: number; limit: number }): Promise<TenantPage> {
    const [items, total] = await this.em.getRepository(TenantEntity).findAndCount({
      where: filter.status ? { status: filter.status } : {},
      order: { createdAt: 'ASC', id: 'ASC' },
      skip: filter.offset,
      take: filter.limit,
    });
    return { items, total };
  }

  async setStatus(id: string, status: TenantStatus): Promise<void> {
    await this.em.getRepository(TenantEntity).update({ id }, { status, ...(status === 'deleted' ? { deletedAt: new Date() } : {}) });
  }

  /** Active tenants with their databases, ordered by code, for fleet commands. */
  async activeWithDatabases(): Promise<Array<{ tenant: TenantEntity; database: TenantDatabaseEntity }>> {
    const tenants = await this.em.getRepository(TenantEntity).find({ where: { status: 'active' }, order: { code: 'ASC' } });
    if (tenants.length === 0) return [];
    const databases = await this.em.getRepository(TenantDatabaseEntity).find({ where: { tenantId: In(tenants.map((tenant) => tenant.id)) } });
    const byTenant = new Map(databases.map((database) => [database.tenantId, database]));
    return tenants.flatMap((tenant) => {
      const database = byTenant.get(tenant.id);
      return database ? [{ tenant, database }] : [];
    });
  }

  countByStatus(): Promise<Array<{ status: TenantStatus; count: number }>> {
    return this.em.getRepository(TenantEntity).createQueryBuilder('t').select('t.status', 'status').addSelect('count(*)::int', 'count').groupBy('t.status').getRawMany();
  }
}
