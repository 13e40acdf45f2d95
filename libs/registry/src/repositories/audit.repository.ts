import { escapeControlCharacters } from '@tenantry/common';
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

/**
 * Strings escaped, not refused: the HTTP layer has already refused control characters in what a
 * caller sends, but details also quote what the system saw (an engine's error, say), and an action
 * must not fail, nor a trail read in a terminal be rewritten, because of what a record quotes.
 */
function escaped<T>(value: T): T {
  if (typeof value === 'string') return escapeControlCharacters(value) as T;
  if (Array.isArray(value)) return value.map(escaped) as T;
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [escapeControlCharacters(key), escaped(item)])) as T;
  }
  return value;
}

export class AuditRepository {
  constructor(private readonly em: EntityManager) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.em.getRepository(AuditEventEntity).insert({
      actor: escaped(entry.actor.name),
      action: escaped(entry.action),
      tenantId: entry.tenant?.id ?? null,
      tenantCode: escaped(entry.tenant?.code ?? null),
      operationId: entry.operation?.id ?? null,
      details: escaped(entry.details ?? {}) as object,
      requestId: escaped(entry.actor.requestId ?? null),
    });
  }

  forTenant(tenantId: string): Promise<AuditEventEntity[]> {
    return this.em.getRepository(AuditEventEntity).find({ where: { tenantId }, order: { id: 'ASC' } });
  }
}
