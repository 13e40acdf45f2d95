import { startThrowawayPgBouncer, waitFor, type ThrowawayPgBouncer } from '@tenantry/common/testing';
import { provisionTenant, usePostgresEngine } from '@tenantry/engines/testing';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { enginesSettings } from '../engines-options';
import type { TenantDatabaseTarget } from '../tenant-database-engine';
import { PostgresEngine } from './postgres.engine';

// PgBouncer's answers to a wrong password and to a login its lookup does not return.
const REFUSED = /SASL authentication failed|no such user/;

/**
 * The engine behind a PgBouncer of this file's own (scripts/pgbouncer/pgbouncer.ini): tenant logins
 * authenticate through auth_query, and rotation, suspension and offboarding reach the pooler.
 */
describe('PostgresEngine behind PgBouncer (real server, real pooler)', () => {
  const fixture = usePostgresEngine();
  let pooler: ThrowawayPgBouncer;
  let engine: PostgresEngine;
  const clients: Client[] = [];

  beforeAll(async () => {
    const env = fixture.env();
    pooler = await startThrowawayPgBouncer(env.databaseUrl('postgres'), { autodbIdleTimeoutSeconds: 1 });
    const { adminUrl, exportDir } = env.settings(enginesSettings).postgres;
    engine = new PostgresEngine({ adminUrl, exportDir, pooler: { authLookup: true, adminUrl: pooler.adminUrl } });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    await engine?.close();
    await pooler?.cleanup();
  });

  /** A session through the pooler as `t`'s login (the server behind trusts loopback: only the pooler checks the password). */
  async function viaPooler(t: TenantDatabaseTarget, password: string, database = t.databaseName): Promise<Client> {
    const client = new Client({ host: '127.0.0.1', port: pooler.port, user: t.loginName, password, database, application_name: 'pooler-test' });
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  }

  const backends = async (t: TenantDatabaseTarget) =>
    (await fixture.env().sql<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [t.loginName]))[0].n;

  it('a tenant login authenticates through auth_query, with no entry in the auth file, for its own database only', async () => {
    const alpha = fixture.target('alpha');
    const beta = fixture.target('beta');
    await provisionTenant(engine, alpha, 'pw-alpha-1');
    await provisionTenant(engine, beta, 'pw-beta-1');

    const session = await viaPooler(alpha, 'pw-alpha-1');
    const { rows } = await session.query('SELECT current_user AS login, current_database() AS db');
    expect(rows[0]).toEqual({ login: alpha.loginName, db: alpha.databaseName });
    expect(readFileSync(pooler.authFile, 'utf8')).not.toContain(alpha.loginName);

    await expect(viaPooler(alpha, 'wrong')).rejects.toThrow(REFUSED);
    // Beta's login with beta's own password, at alpha's database: the lookup there does not know it.
    await expect(viaPooler(beta, 'pw-beta-1', alpha.databaseName)).rejects.toThrow(REFUSED);
    // The lookup role itself reads no administrator's secret.
    await expect(new Client({ host: '127.0.0.1', port: pooler.port, user: 'postgres', password: 'x', database: alpha.databaseName }).connect()).rejects.toThrow(REFUSED);
  });

  it('the first password of a new tenant makes no login at the pooler: no auth lookup connection is left open in its database', async () => {
    const t = fixture.target('newborn');
    await provisionTenant(engine, t, 'pw-newborn-1');
    const lookups = await fixture
      .env()
      .sql<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND usename = 'tenantry_pooler_lookup'`, [t.databaseName]);
    expect(lookups[0].n).toBe(0);
    const pools = await pooler.console<{ database: string }>('SHOW POOLS');
    expect(pools.filter((pool) => pool.database === t.databaseName)).toEqual([]);
  });

  it('a tenant provisioned before the pooler gets its lookup with the next schema run, its schema already current', async () => {
    const t = fixture.target('elder');
    await provisionTenant(fixture.engine(), t, 'pw-elder-1');
    await expect(viaPooler(t, 'pw-elder-1')).rejects.toThrow();
    expect((await engine.applySchema(t)).applied).toEqual([]);
    // PgBouncer waits server_login_retry (1 s) after the lookup's failed login before it tries again.
    let session: Client | undefined;
    await waitFor(async () => {
      session = await viaPooler(t, 'pw-elder-1').catch(() => undefined);
      return session !== undefined;
    });
    expect((await session!.query('SELECT current_user AS login')).rows[0].login).toBe(t.loginName);
  });

  it('a rotated password: the old pooled server connections close, the new password works and the old one no longer does', async () => {
    const t = fixture.target('rotor');
    await provisionTenant(engine, t, 'pw-rotor-1');
    const old = await viaPooler(t, 'pw-rotor-1');
    await old.query('SELECT 1');
    expect(await backends(t)).toBe(1);

    const changedAt = await engine.setLoginPassword(t, 'pw-rotor-2');
    expect(await engine.countSessions(t, changedAt)).toBe(1);
    await engine.releasePooledSessions(t);
    await waitFor(async () => (await engine.countSessions(t, changedAt)) === 0);

    const fresh = await viaPooler(t, 'pw-rotor-2');
    expect((await fresh.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    await expect(viaPooler(t, 'pw-rotor-1')).rejects.toThrow(REFUSED);
  });

  it('suspension: the disabled login is refused at the pooler and ending its sessions closes pooled client and server connections', async () => {
    const t = fixture.target('sleeper');
    await provisionTenant(engine, t, 'pw-sleeper-1');
    const session = await viaPooler(t, 'pw-sleeper-1');
    await session.query('SELECT 1');

    await engine.setLoginEnabled(t, false);
    await expect(viaPooler(t, 'pw-sleeper-1')).rejects.toThrow(REFUSED);
    await engine.endSessions(t);
    await waitFor(async () => (await backends(t)) === 0);
    await expect(session.query('SELECT 1')).rejects.toThrow();
    const pools = await pooler.console<{ database: string }>('SHOW POOLS');
    expect(pools.filter((pool) => pool.database === t.databaseName)).toEqual([]);
  });

  it('offboarding: the dropped database loses its pooled connections and then disappears from the pooler', async () => {
    const t = fixture.target('leaver');
    await provisionTenant(engine, t, 'pw-leaver-1');
    const session = await viaPooler(t, 'pw-leaver-1');
    await session.query('SELECT 1');
    const known = async () => (await pooler.console<{ name: string }>('SHOW DATABASES')).some((db) => db.name === t.databaseName);
    expect(await known()).toBe(true);

    await engine.dropDatabase(t);
    await expect(session.query('SELECT 1')).rejects.toThrow();
    expect(await engine.databaseExists(t)).toBe(false);
    await waitFor(async () => !(await known()));
    await expect(viaPooler(t, 'pw-leaver-1')).rejects.toThrow();
  });
});
