import type { EntityManager } from 'typeorm';

export type MigrationRunStatus = 'running' | 'succeeded' | 'failed' | 'planned';

export interface MigrationRunRow {
  id: string;
  status: MigrationRunStatus;
  targetVersion: string;
  options: Record<string, unknown>;
  counts: Record<string, number>;
  triggeredBy: string;
  startedAt: Date;
  finishedAt: Date | null;
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

const RUN_COLUMNS = `id, status, target_version AS "targetVersion", options, counts, triggered_by AS "triggeredBy",
  started_at AS "startedAt", finished_at AS "finishedAt"`;

/** Fleet migration runs: written by the runner as it goes, read by the admin API. */
export class MigrationRunRepository {
  constructor(private readonly em: EntityManager) {}

  async start(run: { targetVersion: string; options: Record<string, unknown>; triggeredBy: string }): Promise<string> {
    const [row]: Array<{ id: string }> = await this.em.query(
      `INSERT INTO migration_runs (status, target_version, options, triggered_by) VALUES ('running', $1, $2, $3) RETURNING id`,
      [run.targetVersion, JSON.stringify(run.options), run.triggeredBy],
    );
    return row.id;
  }

  async record(runId: string, result: MigrationRunResultRow): Promise<void> {
    await this.em.query(
      `INSERT INTO migration_run_results (run_id, tenant_id, tenant_code, outcome, wave, version, pending, error, duration_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (run_id, tenant_id) DO UPDATE SET outcome = excluded.outcome, version = excluded.version, error = excluded.error`,
      [runId, result.tenantId, result.tenantCode, result.outcome, result.wave, result.version, result.pending ? JSON.stringify(result.pending) : null, result.error, result.durationMs],
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
