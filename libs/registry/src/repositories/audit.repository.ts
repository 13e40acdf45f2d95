import type { EntityManager } from 'typeorm';
import { AuditEventEntity } from '../entities/audit-event.entity';

/** Who did it: an admin (and the request, whose id is also in the logs) or a process of the control plane. */
export interface AuditActor {
  name: string;
  requestId?: string;
}

export interface AuditEntry {
  actor: AuditActor;
  action: string;
  /** The tenant acted on; a caller that holds only its id leaves the code out. */
  tenant?: { id: string; code?: string };
  operation?: { id: string } | null;
  details?: Record<string, unknown>;
}

export class AuditRepository {
  constructor(private readonly em: EntityManager) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.em.getRepository(AuditEventEntity).insert({
      actor: entry.actor.name,
      action: entry.action,
      tenantId: entry.tenant?.id ?? null,
      tenantCode: entry.tenant?.code ?? null,
      operationId: entry.operation?.id ?? null,
      details: (entry.details ?? {}) as object,
      requestId: entry.actor.requestId ?? null,
    });
  }

  forTenant(tenantId: string): Promise<AuditEventEntity[]> {
    return this.em.getRepository(AuditEventEntity).find({ where: { tenantId }, order: { id: 'ASC' } });
  }
}
