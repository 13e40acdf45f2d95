import { surviveConnectionErrors } from '@tenantry/common';
import type { ConfiguredPoolOptions } from '@tenantry/registry';
import { testServerId, useTestRegistry } from '@tenantry/registry/testing';
import { Client } from 'pg';
import { ServerCapacityExceeded } from '../servers/server-errors';
import { PoolsService } from './pools.service';

/** PUT /pools against the real admin database: a server's pools together stay within its limit. */
describe('PoolsService.register', () => {
  const db = useTestRegistry();
  const actor = { name: 'test-admin' };
  const address = { engine: 'postgres' as const, host: 'locked-by-address', port: 5432 };

  const lockWaits = async () => {
    const [{ n }] = await db.env.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      [],
      db.env.adminDatabase,
    );
    return n;
  };

  it('locks the server it finds by address: a limit lowered meanwhile is the one the pool is checked against', async () => {
    await testServerId(db.registry.repositories, address, { name: 'by-address', maxDatabases: 10 });
    const pools = new PoolsService(db.registry, { register: false } as ConfiguredPoolOptions);
    // A PUT /servers lowering the limit, its transaction open while the pool is registered.
    const server = new Client({ connectionString: db.env.databaseUrl(db.env.adminDatabase) });
    surviveConnectionErrors(server, 'server update');
    await server.connect();
    try {
      await server.query('BEGIN');
      await server.query(`UPDATE database_servers SET max_databases = 5 WHERE name = 'by-address'`);
      let settled = false;
      const registration = pools.register('by-address-pool', { ...address, maxDatabases: 6 }, actor);
      registration.then(
        () => (settled = true),
        () => (settled = true),
      );
      // Read without the lock, the server's row would not be waited for: the registration would end on the old limit.
      while (!settled && (await lockWaits()) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      await server.query('COMMIT');
      await expect(registration).rejects.toThrow(ServerCapacityExceeded);
    } finally {
      await server.end();
    }
    expect(await db.registry.repositories.pools.findByName('by-address-pool')).toBeNull();
  });
});
