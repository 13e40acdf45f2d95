import type { PoolAddress } from '@tenantry/common';
import type { TestEnv } from '@tenantry/common/testing';
import { enginesSettings, PostgresEngine, tenantDatabaseNames, type TenantDatabaseTarget } from '@tenantry/engines';
import { adminDatabaseSettings, migrateRegistry } from '@tenantry/registry';
import { createSecretProtector, generatePassword, secretsSettings } from '@tenantry/secrets';
import { closedLoop } from './bench-support';

export interface FleetTenant {
  id: string;
  code: string;
  target: TenantDatabaseTarget;
}

export interface FleetOptions {
  /** Template to clone (default: the engine's template for the current tenant-schema version). */
  template?: string;
  /** Runs on each tenant database after it is cloned. */
  prepare?: (target: TenantDatabaseTarget) => Promise<void>;
  /** Give each tenant its own login, password and protected secret, as provisioning does. */
  logins?: boolean;
  schemaVersion?: string | null;
  codePrefix?: string;
  /** Install PgBouncer's auth_query lookup with each login, as a worker with TENANT_PG_POOLER_AUTH_LOOKUP does. */
  poolerLookup?: boolean;
}

/**
 * `size` tenants the way the provisioning worker leaves them (cloned database, registry rows; with
 * `logins`, their own login and protected secret too), made directly through the PostgreSQL engine
 * because a benchmark of something else should not wait for a thousand sagas.
 */
export async function createFleet(env: TestEnv, size: number, options: FleetOptions = {}): Promise<FleetTenant[]> {
  await migrateRegistry(env.settings(adminDatabaseSettings));
  const engine = new PostgresEngine({
    adminUrl: env.databaseUrl('postgres'),
    exportDir: env.settings(enginesSettings).postgres.exportDir,
    pooler: { authLookup: options.poolerLookup ?? false },
  });
  const protector = createSecretProtector(env.settings(secretsSettings));
  const admin = env.adminDatabase;
  const server = new URL(env.databaseUrl('postgres'));
  const address: PoolAddress = { engine: 'postgres', host: server.hostname, port: Number(server.port || 5432), elasticPoolId: null, location: null };
  try {
    const template = options.template ?? (await engine.fastPath.ensureTemplate(env.label));
    // A pool sits on a registered server: the configured one (TENANT_PG_URL), whose row the processes adopt by address.
    const [pool] = await env.sql<{ id: string }>(
      `WITH server AS (
         INSERT INTO database_servers (name, engine, host, port, region, max_databases, credential_kind) VALUES ('bench', $1, $2, $3, 'local', 100000, 'configured')
         ON CONFLICT (engine, host, port) DO UPDATE SET max_databases = EXCLUDED.max_databases RETURNING id)
       INSERT INTO database_pools (name, engine, host, port, max_databases, server_id) SELECT 'bench', $1, $2, $3, 100000, id FROM server
       ON CONFLICT (name) DO UPDATE SET max_databases = EXCLUDED.max_databases RETURNING id`,
      [address.engine, address.host, address.port],
      admin,
    );
    const codes = Array.from({ length: size }, (_, i) => `${options.codePrefix ?? 'm'}${String(i).padStart(4, '0')}`);
    let done = 0;
    return await closedLoop(codes, 4, async (code) => {
      const [tenant] = await env.sql<{ id: string }>(
        `INSERT INTO tenants (code, name, plan, region, status, slot_pool_id) VALUES ($1, $1, 'standard', 'local', 'active', $2) RETURNING id`,
        [code, pool.id],
        admin,
      );
      const target: TenantDatabaseTarget = {
        tenantId: tenant.id,
        tenantCode: code,
        address,
        ...tenantDatabaseNames(code, env.label),
      };
      // Staged from the template, then put in place under the tenant's name, as provisioning does.
      await engine.fastPath.createFromTemplate(target, template);
      await engine.createDatabase(target);
      await options.prepare?.(target);
      let secret = 'unused';
      if (options.logins) {
        const password = generatePassword();
        await engine.ensureLogin(target);
        await engine.setLoginPassword(target, password);
        secret = await protector.protect(password, tenant.id);
      }
      // Placed as the worker places it: the database's row, and the slot it takes in its pool.
      await env.sql(
        `WITH placed AS (INSERT INTO tenant_databases (tenant_id, pool_id, engine, host, port, database_name, login_name, secret, schema_version)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9))
         UPDATE database_pools SET used_slots = used_slots + 1 WHERE id = $2`,
        [tenant.id, pool.id, address.engine, address.host, address.port, target.databaseName, target.loginName, secret, options.schemaVersion ?? null],
        admin,
      );
      done += 1;
      if (done % 100 === 0) process.stdout.write(`  ${done}/${size} tenants ready\n`);
      return { id: tenant.id, code, target };
    });
  } finally {
    await engine.close();
  }
}

/**
 * `size` tenants with their own logins, each database cloned from one holding `orders` orders of two
 * lines (what bench:resolve's GET /orders reads).
 */
export async function createOrdersFleet(env: TestEnv, size: number, orders: number, options: FleetOptions = {}): Promise<FleetTenant[]> {
  const data = `tenant_benchdata_${env.label}`;
  const engine = new PostgresEngine({ adminUrl: env.databaseUrl('postgres'), exportDir: env.settings(enginesSettings).postgres.exportDir });
  const schema = await engine.fastPath.ensureTemplate(env.label);
  await engine.close();
  await env.sql(`CREATE DATABASE "${data}" TEMPLATE "${schema}"`);
  for (let i = 0; i < orders; i += 1) {
    await env.sql(
      `WITH o AS (INSERT INTO orders (total_cents) VALUES (2500) RETURNING id)
       INSERT INTO order_lines (order_id, sku, quantity, unit_price_cents) SELECT id, sku, 1, 1250 FROM o, unnest(ARRAY['A-1', 'B-2']) AS sku`,
      [],
      data,
    );
  }
  await env.sql(`ALTER DATABASE "${data}" WITH ALLOW_CONNECTIONS false IS_TEMPLATE true`);
  return createFleet(env, size, { ...options, template: data, logins: true });
}
