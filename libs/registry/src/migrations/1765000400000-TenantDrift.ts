import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The latest drift scan of each tenant database: whether its real schema is the one its recorded
 * version should have, and if not, how it differs (the operator's sentences). One row per tenant,
 * replaced by each scan; gone with the tenant.
 */
export class TenantDrift1765000400000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenant_drift (
        tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
        status text NOT NULL CHECK (status IN ('in_sync', 'drifted', 'unknown')),
        schema_version text,
        fingerprint text,
        expected_fingerprint text,
        differences jsonb NOT NULL DEFAULT '[]',
        error text,
        checked_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX tenant_drift_status ON tenant_drift (status)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tenant_drift`);
  }
}
