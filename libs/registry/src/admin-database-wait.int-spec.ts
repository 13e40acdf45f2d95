import { DependencyUnavailable } from '@tenantry/common';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@tenantry/common/testing';
import { migrateRegistry } from './registry-data-source';

/** migrate:admin started beside its PostgreSQL (a compose service, a job): it waits for the server, not for a fixed time. */
describe('migrating the registry on a server that takes no connection yet', () => {
  let server: ThrowawayPostgres;

  beforeAll(async () => {
    server = await startThrowawayPostgres();
  });

  afterAll(async () => {
    await server?.cleanup();
  });

  const adminDb = () => {
    const url = new URL(server.url);
    url.pathname = '/tenantry_admin';
    return { url: url.toString(), name: 'tenantry_admin' };
  };

  it('waits until the server is up, then migrates', async () => {
    await server.stop();
    // The wait is a hang guard only: the migration goes on as soon as the server takes a connection.
    const migrating = migrateRegistry(adminDb(), 120_000);
    await server.start();
    expect((await migrating).length).toBeGreaterThan(0);
  });

  it('gives up once the wait has passed, saying which server and for how long', async () => {
    await server.stop();
    try {
      const failed = migrateRegistry(adminDb(), 300);
      await expect(failed).rejects.toBeInstanceOf(DependencyUnavailable);
      await expect(failed).rejects.toThrow(`the admin database's server 127.0.0.1:${server.port} accepted no connection within 300 ms (ADMIN_DB_CONNECTION_WAIT_MS)`);
    } finally {
      await server.start();
    }
  });
});
