import type { PoolAddress } from '@tenantry/common';
import type { TestEnv } from '@tenantry/common/testing';
import { adminDatabaseSettings, configuredPoolSettings, migrateRegistry, type TenantStatus } from '@tenantry/registry';
import { createSecretProtector, secretsSettings } from '@tenantry/secrets';
import type { Client } from 'pg';

export interface SeededTenant {
  id: string;
  code: string;
  database: string;
  login: string;
}

/**
 * Registry rows for `count` tenants, written in bulk (the provisioning worker is not what these
 * tests are about). Tenant i lives in `databases[i % databases.length]` with a login of its own;
 * its secret is protected with the env's key, as the worker would store it. They live on the env's
 * PostgreSQL server unless `server` names another (a SQL Server double, say), in a pool of its own.
 */
export async function seedTenants(
  env: TestEnv,
  count: number,
  options: { databases?: string[]; status?: TenantStatus; codePrefix?: string; server?: Pick<PoolAddress, 'engine' | 'host' | 'port'> } = {},
): Promise<SeededTenant[]> {
  await migrateRegistry(env.settings(adminDatabaseSettings));
  const admin = env.adminDatabase;
  const prefix = options.codePrefix ?? 'c';
  const databases = options.databases ?? [`tenant_shared_${env.label}`];
  const { host, port } = env.settings(configuredPoolSettings);
  const address = options.server ?? { engine: 'postgres', host, port };
  const pool = options.server ? `seed-${address.engine}-${address.port}` : 'seed';
  await env.sql(
    `WITH server AS (
       INSERT INTO database_servers (name, engine, host, port, region, max_databases, credential_kind)
       VALUES ($4, $1, $2, $3, 'local', 100000, CASE $1 WHEN 'postgres' THEN 'configured' ELSE 'managed-identity' END)
       ON CONFLICT (engine, host, port) DO UPDATE SET updated_at = now() RETURNING id)
     INSERT INTO database_pools (name, engine, host, port, max_databases, server_id) SELECT $4, $1, $2, $3, 100000, id FROM server
     ON CONFLICT (name) DO NOTHING`,
    [address.engine, address.host, address.port, pool],
    admin,
  );
  const codes = Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
  const rows = await env.sql<{ id: string; code: string }>(
    `INSERT INTO tenants (code, name, plan, region, status)
     SELECT code, code, 'standard', 'local', $2 FROM unnest($1::text[]) AS code RETURNING id, code`,
    [codes, options.status ?? 'active'],
    admin,
  );
  const protector = createSecretProtector(env.settings(secretsSettings));
  const tenants = await Promise.all(
    rows.map(async (row, i) => ({
      id: row.id,
      code: row.code,
      database: databases[i % databases.length],
      login: `tenant_${row.code}_${env.label}_app`,
      secret: await protector.protect(`password-of-${row.code}`, row.id),
    })),
  );
  await env.sql(
    `INSERT INTO tenant_databases (tenant_id, pool_id, engine, host, port, database_name, login_name, secret)
     SELECT t.id, (SELECT id FROM database_pools WHERE name = $8), $5, $6, $7, t.database, t.login, t.secret
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS t(id, database, login, secret)`,
    [
      tenants.map((t) => t.id),
      tenants.map((t) => t.database),
      tenants.map((t) => t.login),
      tenants.map((t) => t.secret),
      address.engine,
      address.host,
      address.port,
      pool,
    ],
    admin,
  );
  // Each placed tenant not deleted takes a slot in its pool, as admission leaves it.
  await env.sql(
    `WITH held AS (UPDATE tenants SET slot_pool_id = (SELECT id FROM database_pools WHERE name = $2) WHERE id = ANY($1::uuid[]) AND status <> 'deleted' RETURNING slot_pool_id)
     UPDATE database_pools p SET used_slots = p.used_slots + (SELECT count(*) FROM held) WHERE p.name = $2`,
    [tenants.map((t) => t.id), pool],
    admin,
  );
  return tenants.map(({ id, code, database, login }) => ({ id, code, database, login }));
}

/** The databases and logins seeded tenants point at, made for real so their pools can connect. */
export async function createTenantLogins(env: TestEnv, tenants: SeededTenant[]): Promise<void> {
  for (const database of new Set(tenants.map((t) => t.database))) await env.sql(`CREATE DATABASE "${database}"`);
  // One statement for a thousand roles; the names are generated above, never input.
  const logins = tenants.map((t) => `'${t.login}'`).join(',');
  await env.sql(`DO $$ DECLARE name text; BEGIN FOREACH name IN ARRAY ARRAY[${logins}] LOOP EXECUTE format('CREATE ROLE %I LOGIN', name); END LOOP; END $$`);
}

/** Drops every seeded login in one statement (the env's own cleanup drops them one connection at a time). */
export async function dropTenantLogins(env: TestEnv, tenants: SeededTenant[]): Promise<void> {
  if (tenants.length === 0) return;
  for (const database of new Set(tenants.map((t) => t.database))) await env.sql(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await env.sql(`DROP ROLE IF EXISTS ${tenants.map((t) => `"${t.login}"`).join(', ')}`);
}

/** Connections PostgreSQL shows for the env's seeded tenant logins, the way an operator would count them (`monitor`: a superuser session). */
export async function seededLoginSessions(env: TestEnv, monitor: Client): Promise<number> {
  const { rows } = await monitor.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename LIKE $1`, [`%\\_${env.label}\\_app`]);
  return rows[0].n;
}
