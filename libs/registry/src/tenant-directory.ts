import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { EngineKind } from './entities/engine-kind';
import type { TenantStatus } from './entities/tenant.entity';

/** What a business service needs to reach a tenant's database; `secret` is still protected. */
export interface TenantConnectionRecord {
  tenantId: string;
  code: string;
  status: TenantStatus;
  engine: EngineKind;
  host: string;
  port: number;
  database: string;
  username: string;
  secret: string;
  schemaVersion: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The registry's read side for tenant resolution: one indexed query by tenant id. */
@Injectable()
export class TenantDirectory {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Null for an unknown id, a malformed id, or a tenant that has no usable database yet. */
  async findConnection(tenantId: string): Promise<TenantConnectionRecord | null> {
    if (!UUID.test(tenantId)) return null;
    const rows: TenantConnectionRecord[] = await this.dataSource.query(
      `SELECT t.id AS "tenantId", t.code, t.status, d.engine, d.host, d.port,
              d.database_name AS database, d.login_name AS username, d.secret, d.schema_version AS "schemaVersion"
         FROM tenants t
         JOIN tenant_databases d ON d.tenant_id = t.id
        WHERE t.id = $1 AND d.secret IS NOT NULL`,
      [tenantId],
    );
    return rows[0] ?? null;
  }

  /** Whether any tenant row exists for the id, usable or not. */
  async exists(tenantId: string): Promise<{ status: TenantStatus } | null> {
    if (!UUID.test(tenantId)) return null;
    const rows: Array<{ status: TenantStatus }> = await this.dataSource.query(`SELECT status FROM tenants WHERE id = $1`, [
      tenantId,
    ]);
    return rows[0] ?? null;
  }
}
