import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A PostgreSQL server may name the PgBouncer in front of it: business services reach the tenant
 * databases on it through that pooler, and the control plane closes a login's pooled connections
 * at its console (rotation, suspension, offboarding). `pooler_admin_login` and the protected
 * `pooler_admin_secret` sign in to that console; the configured server's console is the process's
 * own TENANT_PG_POOLER_ADMIN_URL, as its server credential is TENANT_PG_URL, so none is stored.
 */
export class ServerPoolers1765000600000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE database_servers
        ADD COLUMN pooler_host text,
        ADD COLUMN pooler_port int,
        ADD COLUMN pooler_admin_login text,
        ADD COLUMN pooler_admin_secret text,
        ADD CONSTRAINT database_servers_pooler CHECK (
          (pooler_host IS NULL) = (pooler_port IS NULL)
          AND (pooler_admin_login IS NULL) = (pooler_admin_secret IS NULL)
          AND (pooler_host IS NOT NULL OR pooler_admin_login IS NULL)
          AND (pooler_host IS NULL OR engine = 'postgres'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE database_servers
        DROP CONSTRAINT database_servers_pooler,
        DROP COLUMN pooler_admin_secret,
        DROP COLUMN pooler_admin_login,
        DROP COLUMN pooler_port,
        DROP COLUMN pooler_host`);
  }
}
