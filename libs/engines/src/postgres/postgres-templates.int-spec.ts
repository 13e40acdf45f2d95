import type { TestEnv } from '@tenantry/common/testing';
import { CURRENT_TENANT_SCHEMA_VERSION } from '@tenantry/tenant-schema';
import { Client } from 'pg';
import { usePostgresEngine } from '@tenantry/engines/testing';
import type { PostgresEngine } from './postgres.engine';

describe('PostgreSQL fast paths: template per schema version, warm spares', () => {
  const fixture = usePostgresEngine();
  let env: TestEnv;
  let engine: PostgresEngine;
  const target = fixture.target;

  beforeAll(() => {
    env = fixture.env();
    engine = fixture.engine();
  });

  it('builds one template per version, concurrently requested or not, that refuses connections', async () => {
    const names = await Promise.all([engine.fastPath.ensureTemplate(env.label), engine.fastPath.ensureTemplate(env.label)]);
    expect(names[0]).toBe(names[1]);
    expect(Buffer.byteLength(names[0])).toBeLessThanOrEqual(63);
    const [row] = await env.sql<{ datistemplate: boolean; datallowconn: boolean }>(
      'SELECT datistemplate, datallowconn FROM pg_database WHERE datname = $1',
      [names[0]],
    );
    expect(row).toEqual({ datistemplate: true, datallowconn: false });
    const client = new Client({ connectionString: env.databaseUrl(names[0]) });
    await expect(client.connect()).rejects.toThrow(/not currently accepting connections/);
  });

  it('clones a tenant from the template at the current version, with grants re-applied', async () => {
    const t = target('cloned');
    await engine.fastPath.createFromTemplate(t, await engine.fastPath.ensureTemplate(env.label));
    await engine.createDatabase(t);
    await engine.ensureLogin(t);
    expect(await engine.applySchema(t)).toEqual({ applied: [], version: CURRENT_TENANT_SCHEMA_VERSION });
    const [acl] = await env.sql<{ public_can: boolean; own_can: boolean }>(
      `SELECT has_database_privilege('public', $1, 'CONNECT') AS public_can, has_database_privilege($2, $1, 'CONNECT') AS own_can`,
      [t.databaseName, t.loginName],
    );
    expect(acl).toEqual({ public_can: false, own_can: true });
    const tables = await env.sql(`SELECT 1 FROM pg_tables WHERE tablename IN ('customers', 'orders', 'order_lines')`, [], t.databaseName);
    expect(tables).toHaveLength(3);
  });

  it('keeps a warm pool: spares are claimed by rename, once each, and refilled', async () => {
    expect(await engine.fastPath.refillSpares(env.label, 3)).toBe(3);
    expect(await engine.fastPath.spareCount(env.label)).toBe(3);
    const claims = await Promise.all(['s1', 's2', 's3', 's4'].map((code) => engine.fastPath.claimSpare(target(code), env.label)));
    expect(claims.filter(Boolean)).toHaveLength(3);
    expect(await engine.fastPath.spareCount(env.label)).toBe(0);
    const claimed = ['s1', 's2', 's3', 's4'].filter((_, i) => claims[i]);
    // A claimed spare is the tenant's database once createDatabase has put it in place.
    for (const code of claimed) {
      expect(await engine.databaseExists(target(code))).toBe(false);
      await engine.createDatabase(target(code));
      expect(await engine.databaseExists(target(code))).toBe(true);
    }
    expect(await env.sql(`SELECT 1 FROM pg_database WHERE datname LIKE 'tenantry\\_n\\_%' AND datname LIKE $1`, [`%${env.label}`])).toEqual([]);
    expect(await engine.fastPath.refillSpares(env.label, 2)).toBe(2);
    expect(await engine.fastPath.refillSpares(env.label, 2)).toBe(0);
  });
});
