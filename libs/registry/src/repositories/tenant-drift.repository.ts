import type { SchemaDifference } from '@tenantry/tenant-schema';
import type { EntityManager } from 'typeorm';

export const DRIFT_STATUSES = ['in_sync', 'drifted', 'unknown'] as const;
export type DriftStatus = (typeof DRIFT_STATUSES)[number];

/** One tenant's latest drift scan. `unknown`: the database could not be read (`error` says why). */
export interface TenantDriftRow {
  tenantId: string;
  status: DriftStatus;
  schemaVersion: string | null;
  fingerprint: string | null;
  expectedFingerprint: string | null;
  differences: SchemaDifference[];
  error: string | null;
  checkedAt: Date;
}

export type TenantDriftRecord = Omit<TenantDriftRow, 'checkedAt'>;

/** A drifted tenant in the fleet summary. */
export interface DriftedTenant {
  code: string;
  tenantId: string;
  schemaVersion: string | null;
  differences: number;
  checkedAt: Date;
}

export interface DriftSummary {
  counts: Record<DriftStatus | 'unscanned', number>;
  lastCheckedAt: Date | null;
  drifted: DriftedTenant[];
}

const ROW_COLUMNS = `tenant_id AS "tenantId", status, schema_version AS "schemaVersion", fingerprint, expected_fingerprint AS "expectedFingerprint",
  differences, error, checked_at AS "checkedAt"`;

/** Written by drift scans (the runner), read by the admin API and its metrics. */
export class TenantDriftRepository {
  constructor(private readonly em: EntityManager) {}

  /** Replaces each tenant's latest result; many at once in one statement, as a fleet scan finishes them. */
  async record(results: TenantDriftRecord[]): Promise<void> {
    if (results.length === 0) return;
    await this.em.query(
      `INSERT INTO tenant_drift (tenant_id, status, schema_version, fingerprint, expected_fingerprint, differences, error, checked_at)
       SELECT r."tenantId", r.status, r."schemaVersion", r.fingerprint, r."expectedFingerprint", coalesce(r.differences, '[]'), r.error, now()
         FROM jsonb_to_recordset($1::jsonb) AS r("tenantId" uuid, status text, "schemaVersion" text, fingerprint text, "expectedFingerprint" text,
                                                  differences jsonb, error text)
         JOIN tenants t ON t.id = r."tenantId"
       ON CONFLICT (tenant_id) DO UPDATE SET status = excluded.status, schema_version = excluded.schema_version, fingerprint = excluded.fingerprint,
         expected_fingerprint = excluded.expected_fingerprint, differences = excluded.differences, error = excluded.error, checked_at = excluded.checked_at`,
      [JSON.stringify(results)],
    );
  }

  async find(tenantId: string): Promise<TenantDriftRow | null> {
    const [row]: TenantDriftRow[] = await this.em.query(`SELECT ${ROW_COLUMNS} FROM tenant_drift WHERE tenant_id = $1`, [tenantId]);
    return row ?? null;
  }

  /** Active tenants by their latest scan (`unscanned`: none yet), and the drifted ones, most differences first. */
  async summary(limit: number): Promise<DriftSummary> {
    const counts = await this.countByStatus();
    const [{ last }]: Array<{ last: Date | null }> = await this.em.query(`SELECT max(checked_at) AS last FROM tenant_drift`);
    const drifted: DriftedTenant[] = await this.em.query(
      `SELECT t.code, t.id AS "tenantId", d.schema_version AS "schemaVersion", jsonb_array_length(d.differences)::int AS differences, d.checked_at AS "checkedAt"
         FROM tenant_drift d JOIN tenants t ON t.id = d.tenant_id
        WHERE d.status = 'drifted' AND t.status = 'active'
        ORDER BY jsonb_array_length(d.differences) DESC, t.code LIMIT $1`,
      [limit],
    );
    return { counts, lastCheckedAt: last, drifted };
  }

  async countByStatus(): Promise<Record<DriftStatus | 'unscanned', number>> {
    const rows: Array<{ status: DriftStatus | 'unscanned'; count: number }> = await this.em.query(
      `SELECT coalesce(d.status, 'unscanned') AS status, count(*)::int AS count
         FROM tenants t LEFT JOIN tenant_drift d ON d.tenant_id = t.id
        WHERE t.status = 'active' GROUP BY 1`,
    );
    const counts = { in_sync: 0, drifted: 0, unknown: 0, unscanned: 0 };
    for (const row of rows) counts[row.status] = row.count;
    return counts;
  }
}
