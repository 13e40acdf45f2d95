import type { EntityManager } from 'typeorm';

/**
 * `interrupted`: its runner stopped on SIGTERM/SIGINT and said so; `crashed`: its runner failed
 * unexpectedly and said so; `abandoned`: its runner stopped renewing its lease (killed, host lost).
 */
export type MigrationRunStatus = 'running' | 'succeeded' | 'failed' | 'planned' | 'interrupted' | 'crashed' | 'abandoned';

export interface MigrationRunRow {
  id: string;
  status: MigrationRunStatus;
  targetVersion: string;
  options: Record<string, unknown>;
  counts: Record<string, number>;
  triggeredBy: string;
  startedAt: Date;
  finishedAt: Date | null;
  /** When its runner last renewed its lease. */
  heartbeatAt: Date;
  leaseUntil: Date;
}

export interface MigrationRunResultRow {
  tenantId: string;
  tenantCode: string;
  outcome: string;
  wave: string;
  version: string | null;
  pending: string[] | null;
  error: string | null;
  durationMs: number;
}

// The database's clock decides, so runners and readers on different hosts agree on a lapsed lease.
const LAPSED = `status = 'running' AND lease_until < now()`;

const RUN_COLUMNS = `id, CASE WHEN ${LAPSED} THEN 'abandoned' ELSE status END AS status, target_version AS "targetVersion", options,
  counts, triggered_by AS "triggeredBy", started_at AS "startedAt", finished_at AS "finishedAt", heartbeat_at AS "heartbeatAt",
  lease_until AS "leaseUntil"`;

/**
 * Fleet migration runs: written by the runner as it goes, read by the admin API. A run that is
 * `running` past its lease reads as `abandoned` everywhere, recorded or not.
 */
export class MigrationRunRepository {
  constructor(private readonly em: EntityManager) {}

  async start(run: { targetVersion: string; options: Record<string, unknown>; triggeredBy: string; leaseMs: number }): Promise<string> {
    const [row]: Array<{ id: string }> = await this.em.query(
      `INSERT INTO migration_runs (status, target_version, options, triggered_by, heartbeat_at, lease_until)
       VALUES ('running', $1, $2, $3, now(), now() + $4 * interval '1 millisecond') RETURNING id`,
      [run.targetVersion, JSON.stringify(run.options), run.triggeredBy, run.leaseMs],
    );
    return row.id;
  }

  /** The runner is alive and still working on the run. */
  async renewLease(runId: string, leaseMs: number): Promise<void> {
    await this.em.query(`UPDATE migration_runs SET heartbeat_at = now(), lease_until = now() + $2 * interval '1 millisecond' WHERE id = $1`, [runId, leaseMs]);
  }

  /**
   * Records as `abandoned` every run whose lease lapsed, ended at its last heartbeat, with the counts
   * of the results it recorded; returns them. A runner that was only cut off still records its
   * real end when it finishes.
   */
  async recordAbandoned(): Promise<MigrationRunRow[]> {
    // An UPDATE answers [rows, count].
    const [rows]: [MigrationRunRow[], number] = await this.em.query(
      `UPDATE migration_runs r SET status = 'abandoned', finished_at = r.heartbeat_at,
              counts = (SELECT coalesce(jsonb_object_agg(outcome, n), '{}') FROM (
                          SELECT outcome, count(*)::int AS n FROM migration_run_results WHERE run_id = r.id GROUP BY outcome) c)
        WHERE ${LAPSED}
        RETURNING ${RUN_COLUMNS}`,
    );
    return rows;
  }

  async record(runId: string, result: MigrationRunResultRow): Promise<void> {
    await this.em.query(
      `INSERT INTO migration_run_results (run_id, tenant_id, tenant_code, outcome, wave, version, pending, error, duration_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (run_id, tenant_id) DO UPDATE SET outcome = excluded.outcome, version = excluded.version, error = excluded.error`,
      [
        runId,
        result.tenantId,
        result.tenantCode,
        result.outcome,
        result.wave,
        result.version,
        result.pending ? JSON.stringify(result.pending) : null,
        result.error,
        result.durationMs,
      ],
    );
  }

  async finish(runId: string, status: MigrationRunStatus, counts: Record<string, number>): Promise<void> {
    await this.em.query(`UPDATE migration_runs SET status = $2, counts = $3, finished_at = now() WHERE id = $1`, [runId, status, JSON.stringify(counts)]);
  }

  async list(offset: number, limit: number): Promise<{ items: MigrationRunRow[]; total: number }> {
    const items: MigrationRunRow[] = await this.em.query(`SELECT ${RUN_COLUMNS} FROM migration_runs ORDER BY started_at DESC, id LIMIT $1 OFFSET $2`, [limit, offset]);
    const [{ total }]: Array<{ total: number }> = await this.em.query(`SELECT count(*)::int AS total FROM migration_runs`);
    return { items, total };
  }

  async find(runId: string): Promise<(MigrationRunRow & { results: MigrationRunResultRow[] }) | null> {
    const [run]: MigrationRunRow[] = await this.em.query(`SELECT ${RUN_COLUMNS} FROM migration_runs WHERE id = $1`, [runId]);
    if (!run) return null;
    const results: MigrationRunResultRow[] = await this.em.query(
      `SELECT tenant_id AS "tenantId", tenant_code AS "tenantCode", outcome, wave, version, pending, error, duration_ms AS "durationMs"
         FROM migration_run_results WHERE run_id = $1 ORDER BY tenant_code`,
      [runId],
    );
    return { ...run, results };
  }
}
