import { Client } from 'pg';
import { startControlPlane, type ControlPlane } from '@tenantry/test-support';

/** What a tenant's own database login can reach, and how suspension and resumption change it. */
describe("a tenant's database login", () => {
  let plane: ControlPlane;
  let tenant: { id: string; code: string };
  let login: string;
  let database: string;

  beforeAll(async () => {
    plane = await startControlPlane({ env: { SESSION_GRACE_MS: '300' } });
    tenant = await plane.provision('reach');
    database = `tenant_reach_${plane.env.label}`;
    login = `${database}_app`;
  });

  afterAll(async () => {
    await plane?.stop();
  });

  /** A session as the tenant's login (the test server trusts loopback logins, so no password is needed). */
  async function connectAsTenant(to = database): Promise<Client> {
    const url = new URL(plane.env.databaseUrl('postgres'));
    url.username = login;
    url.password = '';
    url.pathname = `/${to}`;
    const client = new Client({ connectionString: url.toString() });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  const canLogIn = async () => (await plane.env.sql<{ rolcanlogin: boolean }>('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [login]))[0].rolcanlogin;

  it('reaches its own database only: not the admin database, nor postgres, nor template1; the registry keeps serving', async () => {
    for (const other of [plane.env.adminDatabase, 'postgres', 'template1']) {
      await expect(connectAsTenant(other)).rejects.toThrow(/permission denied for database/);
    }
    const own = await connectAsTenant();
    expect((await own.query('SELECT count(*)::int AS n FROM orders')).rows).toEqual([{ n: 0 }]);
    await own.end();
    // The business service reads the registry with the control plane's role; a cold tenant still resolves.
    expect((await plane.business('GET', '/orders', await plane.tenantToken(tenant.id))).status).toBe(200);
  });

  it('suspended: its open session ends and it cannot connect; resumed: it can again', async () => {
    const open = await connectAsTenant();
    const suspended = await plane.admin('POST', `/tenants/${tenant.code}/suspend`);
    expect(suspended.status).toBe(202);
    const operation = await plane.waitForOperation(suspended.body.operation.id);
    expect(operation).toMatchObject({ status: 'succeeded', steps: [{ step: 'disable_login' }, { step: 'end_sessions', detail: expect.stringMatching(/^[1-9]\d* ended$/) }] });
    await expect(open.query('SELECT 1')).rejects.toThrow();
    await expect(connectAsTenant()).rejects.toThrow(/not permitted to log in/);
    expect(await canLogIn()).toBe(false);

    const resumed = await plane.admin('POST', `/tenants/${tenant.code}/resume`);
    expect(resumed.status).toBe(202);
    expect(resumed.body.tenant.status).toBe('suspended');
    expect((await plane.waitForOperation(resumed.body.operation.id)).status).toBe('succeeded');
    const again = await connectAsTenant();
    await again.end();
    expect((await plane.admin('GET', `/tenants/${tenant.code}`)).body.status).toBe('active');
    expect((await plane.business('GET', '/orders', await plane.tenantToken(tenant.id))).status).toBe(200);
  });

  it('a suspension whose database change fails is retried until the login is disabled, never left enabled quietly', async () => {
    // The login is briefly out of reach under another name: ALTER ROLE fails as a database error would.
    await plane.env.sql(`ALTER ROLE ${login} RENAME TO ${login}_away`);
    const suspended = await plane.admin('POST', `/tenants/${tenant.code}/suspend`);
    expect(suspended.status).toBe(202);
    const deadline = Date.now() + 20_000;
    let operation = suspended.body.operation;
    while (!operation.lastError && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      operation = (await plane.admin('GET', `/operations/${operation.id}`)).body;
    }
    expect(operation).toMatchObject({ status: 'running', step: 'disable_login' });
    expect(operation.lastError).toContain('does not exist');
    await plane.env.sql(`ALTER ROLE ${login}_away RENAME TO ${login}`);

    const done = await plane.waitForOperation(operation.id);
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBeGreaterThan(1);
    expect(await canLogIn()).toBe(false);
    await expect(connectAsTenant()).rejects.toThrow(/not permitted to log in/);
  });
});
