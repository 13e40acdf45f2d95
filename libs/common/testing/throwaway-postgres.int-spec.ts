import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { startThrowawayPostgres, type ThrowawayPostgres } from './throwaway-postgres';

describe('a throwaway PostgreSQL server', () => {
  let server: ThrowawayPostgres;

  beforeAll(async () => {
    server = await startThrowawayPostgres({ maxConnections: 12, walLevel: 'logical' });
  }, 120_000);

  afterAll(async () => {
    await server?.cleanup();
  });

  it('runs with the settings asked for', async () => {
    const [settings] = await server.sql<{ max_connections: string; wal_level: string; port: string }>(
      `SELECT current_setting('max_connections') AS max_connections, current_setting('wal_level') AS wal_level, current_setting('port') AS port`,
    );
    expect(settings).toEqual({ max_connections: '12', wal_level: 'logical', port: String(server.port) });
  });

  it('ends sessions on terminateBackends() and restart(), and is back after each', async () => {
    const session = new Client({ connectionString: server.url });
    const errors: Error[] = [];
    session.on('error', (error) => errors.push(error));
    await session.connect();
    expect(await server.terminateBackends()).toBe(1);
    // pg_terminate_backend only signals the backend: its FATAL reaches the session as an error event
    // if it arrives before the query, else as the query's rejection. Either way the session learns why.
    const refused = await session.query('SELECT 1').then(
      () => undefined,
      (error: Error) => error,
    );
    expect(refused).toBeInstanceOf(Error);
    expect([...errors, refused].map((error) => error?.message)).toContainEqual(expect.stringMatching(/terminating connection due to administrator command/));

    const survivor = new Client({ connectionString: server.url });
    survivor.on('error', (error) => errors.push(error));
    await survivor.connect();
    await server.restart();
    await expect(survivor.query('SELECT 1')).rejects.toThrow();
    expect(await server.sql('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('refuses connections while stopped and serves again once started', async () => {
    await server.stop();
    await expect(server.sql('SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
    await server.start();
    expect(await server.sql('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('leaves nothing behind, and removes what a test process that died left', async () => {
    const orphan = await startThrowawayPostgres();
    // As if its test process had been killed: the process its data directory names is gone.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(join(orphan.dataDir, 'tenantry-owner.pid'), String(dead));
    const other = await startThrowawayPostgres();
    expect(existsSync(orphan.dataDir)).toBe(false);
    await expect(new Client({ connectionString: orphan.url }).connect()).rejects.toThrow(/ECONNREFUSED/);
    await other.cleanup();
    expect(existsSync(other.dataDir)).toBe(false);
    await expect(new Client({ connectionString: other.url }).connect()).rejects.toThrow(/ECONNREFUSED/);
  }, 120_000);
});
