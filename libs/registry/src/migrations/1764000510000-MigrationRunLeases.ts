import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A fleet run holds a lease its runner renews while it works: a run still `running` whose lease
 * lapsed lost its runner (killed, host gone) and reads as `abandoned`. A runner that stops on a
 * signal records `interrupted`, one that fails unexpectedly `crashed`. Runs from before had no
 * lease: their lease ends where they started, so one left running reads as abandoned at once.
 */
export class MigrationRunLeases1764000510000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE migration_runs ADD COLUMN heartbeat_at timestamptz, ADD COLUMN lease_until timestamptz`);
    await q.query(`UPDATE migration_runs SET heartbeat_at = coalesce(finished_at, started_at), lease_until = coalesce(finished_at, started_at)`);
    // Defaults for a runner of the previous release still inserting during a rolling upgrade (it renews nothing).
    await q.query(`
      ALTER TABLE migration_runs
        ALTER COLUMN heartbeat_at SET NOT NULL, ALTER COLUMN heartbeat_at SET DEFAULT now(),
        ALTER COLUMN lease_until SET NOT NULL, ALTER COLUMN lease_until SET DEFAULT now()`);
    await q.query(`ALTER TABLE migration_runs DROP CONSTRAINT migration_runs_status_check`);
    await q.query(`
      ALTER TABLE migration_runs ADD CONSTRAINT migration_runs_status_check
        CHECK (status IN ('running', 'succeeded', 'failed', 'planned', 'interrupted', 'crashed', 'abandoned'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE migration_runs SET status = 'failed' WHERE status IN ('interrupted', 'crashed', 'abandoned')`);
    await q.query(`ALTER TABLE migration_runs DROP CONSTRAINT migration_runs_status_check`);
    await q.query(`ALTER TABLE migration_runs ADD CONSTRAINT migration_runs_status_check CHECK (status IN ('running', 'succeeded', 'failed', 'planned'))`);
    await q.query(`ALTER TABLE migration_runs DROP COLUMN heartbeat_at, DROP COLUMN lease_until`);
  }
}
