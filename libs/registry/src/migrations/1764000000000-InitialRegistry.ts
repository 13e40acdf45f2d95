import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialRegistry1764000000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE database_pools (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        engine text NOT NULL CHECK (engine IN ('postgres', 'azure-sql')),
        host text NOT NULL,
        port int NOT NULL,
        max_databases int NOT NULL CHECK (max_databases > 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code text NOT NULL,
        name text NOT NULL,
        plan text NOT NULL,
        region text NOT NULL,
        status text NOT NULL CHECK (status IN ('provisioning', 'active', 'suspended', 'deprovisioning', 'deleted', 'failed')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    // A deleted tenant keeps its row (and audit trail) while its code becomes free again.
    await q.query(`CREATE UNIQUE INDEX tenants_code_live ON tenants (code) WHERE status <> 'deleted'`);
    await q.query(`CREATE INDEX tenants_status_created ON tenants (status, created_at, id)`);
    await q.query(`
      CREATE TABLE tenant_databases (
        tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
        pool_id uuid NOT NULL REFERENCES database_pools (id),
        engine text NOT NULL,
        host text NOT NULL,
        port int NOT NULL,
        database_name text NOT NULL,
        login_name text NOT NULL,
        secret text,
        schema_version text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX tenant_databases_pool ON tenant_databases (pool_id)`);
    await q.query(`
      CREATE TABLE operations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        kind text NOT NULL CHECK (kind IN ('provision', 'deprovision')),
        status text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
        step text,
        completed_steps jsonb NOT NULL DEFAULT '[]',
        attempts int NOT NULL DEFAULT 0,
        last_error text,
        params jsonb NOT NULL DEFAULT '{}',
        requested_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz
      )`);
    // At most one unfinished operation per tenant: a delete cannot overtake a provisioning.
    await q.query(`CREATE UNIQUE INDEX operations_one_open_per_tenant ON operations (tenant_id) WHERE status IN ('pending', 'running')`);
    await q.query(`CREATE INDEX operations_open ON operations (created_at) WHERE status IN ('pending', 'running')`);
    await q.query(`
      CREATE TABLE audit_events (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        action text NOT NULL,
        tenant_id uuid,
        tenant_code text,
        operation_id uuid,
        details jsonb NOT NULL DEFAULT '{}',
        request_id text
      )`);
    await q.query(`CREATE INDEX audit_events_tenant ON audit_events (tenant_id, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_events`);
    await q.query(`DROP TABLE operations`);
    await q.query(`DROP TABLE tenant_databases`);
    await q.query(`DROP TABLE tenants`);
    await q.query(`DROP TABLE database_pools`);
  }
}
