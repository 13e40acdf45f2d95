import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Servers are registry rows: a PostgreSQL server or an Azure SQL logical server, with its region,
 * its database limit and the credential the control plane uses on it. Every pool belongs to one.
 * Existing pools are backfilled onto one server per address they were on, named after the oldest
 * pool there; the configured server (TENANT_PG_URL) is registered again at start-up by address, so
 * it adopts the backfilled row of its own address.
 *
 * `credential_kind`: `configured` (the process's own TENANT_PG_URL, never stored), `password`
 * (`login` and `secret`, the password protected as tenant secrets are), `managed-identity` (Azure:
 * the processes' identity, no secret).
 */
export class DatabaseServers1764000900000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE database_servers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        engine text NOT NULL CHECK (engine IN ('postgres', 'azure-sql')),
        host text NOT NULL,
        port int NOT NULL,
        region text NOT NULL,
        max_databases int NOT NULL CHECK (max_databases > 0),
        credential_kind text NOT NULL CHECK (credential_kind IN ('configured', 'password', 'managed-identity')),
        login text,
        secret text,
        draining boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT database_servers_address UNIQUE (engine, host, port),
        CONSTRAINT database_servers_credential CHECK ((credential_kind = 'password') = (login IS NOT NULL AND secret IS NOT NULL))
      )`);
    await q.query(`
      INSERT INTO database_servers (name, engine, host, port, region, max_databases, credential_kind)
      SELECT DISTINCT ON (engine, host, port) name, engine, host, port, coalesce(location, 'local'),
             greatest(5000, sum(max_databases) OVER (PARTITION BY engine, host, port)),
             CASE engine WHEN 'postgres' THEN 'configured' ELSE 'managed-identity' END
        FROM database_pools ORDER BY engine, host, port, created_at, name`);
    await q.query(`ALTER TABLE database_pools ADD COLUMN server_id uuid REFERENCES database_servers (id)`);
    await q.query(`UPDATE database_pools p SET server_id = s.id FROM database_servers s WHERE (s.engine, s.host, s.port) = (p.engine, p.host, p.port)`);
    await q.query(`ALTER TABLE database_pools ALTER COLUMN server_id SET NOT NULL`);
    await q.query(`CREATE INDEX database_pools_server ON database_pools (server_id)`);
    // Automatic placement walks this index roomiest first and stops at the first pool that fits and
    // is not being admitted to: one admission reads a few rows whether there are 10 pools or 1,000.
    await q.query(`CREATE INDEX database_pools_room ON database_pools ((max_databases - used_slots) DESC, name) WHERE NOT dedicated`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX database_pools_room`);
    await q.query(`ALTER TABLE database_pools DROP COLUMN server_id`);
    await q.query(`DROP TABLE database_servers`);
  }
}
