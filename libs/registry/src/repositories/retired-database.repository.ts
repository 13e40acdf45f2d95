import type { EntityManager } from 'typeorm';
import { RetiredDatabaseEntity } from '../entities/retired-database.entity';

export type Retirement = Pick<RetiredDatabaseEntity, 'tenantId' | 'operationId' | 'address' | 'databaseName' | 'loginName'>;

export class RetiredDatabaseRepository {
  constructor(private readonly em: EntityManager) {}

  private get repo() {
    return this.em.getRepository(RetiredDatabaseEntity);
  }

  /** Kept `retentionMs` from now; an operation retires one database at most, so a switch run again adds nothing. */
  async retire(entry: Retirement, retentionMs: number): Promise<void> {
    await this.repo
      .createQueryBuilder()
      .insert()
      .values({ ...entry, retiredAt: () => 'now()', dropAfter: () => `now() + make_interval(secs => ${Number(retentionMs) / 1000})` })
      .orIgnore()
      .execute();
  }

  /** Retired databases whose retention is over and that are not dropped yet, oldest first. */
  due(limit: number): Promise<RetiredDatabaseEntity[]> {
    return this.repo.createQueryBuilder('r').where('r.dropped_at IS NULL AND r.drop_after <= now()').orderBy('r.drop_after', 'ASC').limit(limit).getMany();
  }

  /** A database of this name the tenant left on that server and that still exists. */
  findKept(tenantId: string, host: string, port: number, databaseName: string): Promise<RetiredDatabaseEntity | null> {
    return this.repo
      .createQueryBuilder('r')
      .where('r.tenant_id = :tenantId AND r.host = :host AND r.port = :port AND r.database_name = :databaseName AND r.dropped_at IS NULL', {
        tenantId,
        host,
        port,
        databaseName,
      })
      .getOne();
  }

  async markDropped(id: string): Promise<void> {
    await this.em.query(`UPDATE retired_databases SET dropped_at = coalesce(dropped_at, now()) WHERE id = $1`, [id]);
  }
}
