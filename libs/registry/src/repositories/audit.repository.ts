import type { EntityManager } from 'typeorm';
import { AuditEventEntity } from '../entities/audit-event.entity';

export interface AuditEntry {
  actor: string;
  action: string;
  tenantId?: string | null;
  tenantCode?: string | null;
  operationId?: string | null;
  details?: Record<string, unknown>;
  requestId?: string | null;
}

export class AuditRepository {
  constructor(private readonly em: EntityManager) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.em.getRepository(AuditEventEntity).insert({
      actor: entry.actor,
      action: entry.action,
      tenantId: entry.tenantId ?? null,
      tenantCode: entry.tenantCode ?? null,
      operationId: entry.operationId ?? null,
      details: (entry.details ?? {}) as object,
      requestId: entry.requestId ?? null,
    });
  }

  forTenant(tenantId: string): Promise<AuditEventEntity[]> {
    return this.em.getRepository(AuditEventEntity).find({ where: { tenantId }, order: { id: 'ASC' } });
  }
}
