import { asRoot, startThrowawayPgBouncer, startThrowawayPostgres, type ThrowawayPgBouncer, type ThrowawayPostgres } from '@tenantry/common/testing';
import { provisionTenant, tenantTarget } from '@tenantry/engines/testing';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { PostgresEngine } from './postgres.engine';

/**
 * PgBouncer in front of a server that checks tenant passwords (the shared test server trusts
 * loopback, so there only the pooler checks them). Through auth_query, PgBouncer opens its server
 * connections with the SCRAM keys of the last client that logged in to the pool: after a password
 * change, until a client logs in with the new password, a server connection it opens is refused.
 */
describe('PgBouncer in front of a server that checks passwords: a rotated login keeps being served', () => {
  let server: ThrowawayPostgres;
  let pooler: ThrowawayPgBouncer;
  let engine: PostgresEngine;
  let exportDir: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    server = await startThrowawayPostgres();
    // The administrator and the pooler's lookup role stay trusted (the test reaches them without passwords); tenant logins need theirs.
    const hba = join(server.dataDir, 'pg_hba.conf');
    writeFileSync(
      hba,
      ['host all postgres 127.0.0.1/32 trust', 'host all tenantry_pooler_lookup 127.0.0.1/32 trust', 'host all all 127.0.0.1/32 scram-sha-256', ''].join('\n'),
    );
    if (asRoot) execFileSync('chown', ['postgres:postgres', hba]);
    await server.sql('SELECT pg_reload_conf()');
    pooler = await startThrowawayPgBouncer(server.url);
    exportDir = mkdtempSync(join(tmpdir(), 'tenantry-exports-'));
    engine = new PostgresEngine({ adminUrl: server.url, exportDir, pooler: { authLookup: true, adminUrl: pooler.adminUrl } });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    await engine?.close();
    await pooler?.cleanup();
    await server?.cleanup();
    if (exportDir) rmSync(exportDir, { recursive: true, force: true });
  });

  async function viaPooler(login: string, database: string, password: string): Promise<Client> {
    const client = new Client({ host: '127.0.0.1', port: pooler.port, user: login, password, database });
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  }

  it('a session opened with the old password goes on after the password changed and the pooled server connections were renewed', async () => {
    const t = tenantTarget('keeper', 'pwserver', { engine: 'postgres', host: '127.0.0.1', port: server.port });
    await provisionTenant(engine, t, 'pw-keeper-1');
    // The server itself refuses a wrong password: what this file is about.
    await expect(new Client({ host: '127.0.0.1', port: server.port, user: t.loginName, password: 'wrong', database: t.databaseName }).connect()).rejects.toThrow(
      /password authentication failed/,
    );
    const old = await viaPooler(t.loginName, t.databaseName, 'pw-keeper-1');
    expect((await old.query('SELECT 1 AS one')).rows[0].one).toBe(1);

    await engine.setLoginPassword(t, 'pw-keeper-2');
    await engine.releasePooledSessions(t);
    // Its next transaction needs a new server connection: opened with the new password's keys, not refused.
    expect((await old.query('SELECT current_user AS login')).rows[0].login).toBe(t.loginName);

    const fresh = await viaPooler(t.loginName, t.databaseName, 'pw-keeper-2');
    expect((await fresh.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    await expect(viaPooler(t.loginName, t.databaseName, 'pw-keeper-1')).rejects.toThrow(/SASL authentication failed/);
  });
});
