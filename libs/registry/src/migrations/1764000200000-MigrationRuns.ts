import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Fleet migration runs and their per-tenant results, so operators see them through the admin API. */
export class MigrationRuns1764000200000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE migration_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'planned')),
        target_version text NOT NULL,
        options jsonb NOT NULL DEFAULT '{}',
        counts jsonb NOT NULL DEFAULT '{}',
        triggered_by text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX migration_runs_started ON migration_runs (started_at DESC)`);
    await q.query(`
      CREATE TABLE migration_run_results (
        run_id uuid NOT NULL REFERENCES migration_runs (id) ON DELETE CASCADE,
        tenant_id uuid NOT NULL,
        tenant_code text NOT NULL,
        outcome text NOT NULL,
        wave text NOT NULL,
        version text,
        pending jsonb,
        error text,
        duration_ms int NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, tenant_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE migration_run_results`);
    await q.query(`DROP TABLE migration_runs`);
  }
}
