import { startControlPlane, type ControlPlane } from '@tenantry/test-support';

/** What the admin API shows of a tenant after each change an operator makes: the registry as it now is. */
describe('the tenant an answer shows', () => {
  let plane: ControlPlane;

  beforeAll(async () => {
    plane = await startControlPlane();
  });

  afterAll(async () => {
    await plane?.stop();
  });

  const database = (code: string) => `tenant_${code}_${plane.env.label}`;
  const tenantRow = async (code: string) =>
    (await plane.env.sql<{ status: string; updated_at: Date }>(`SELECT status, updated_at FROM tenants WHERE code = $1`, [code], plane.env.adminDatabase))[0];

  it('suspend and resume answer with the tenant as their request left it, its database shown', async () => {
    const tenant = await plane.provision('paused');
    const before = (await plane.admin('GET', '/tenants/paused')).body;
    expect(before.database).toMatchObject({ name: database('paused'), status: 'present', droppedAt: null });

    const suspended = await plane.admin('POST', '/tenants/paused/suspend');
    expect(suspended.status).toBe(202);
    const row = await tenantRow('paused');
    expect(suspended.body.tenant).toEqual({ ...before, status: 'suspended', updatedAt: row.updated_at.toISOString() });
    expect(Date.parse(suspended.body.tenant.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
    expect(suspended.body.operation).toMatchObject({ kind: 'suspend', tenantId: tenant.id, status: 'pending' });
    expect((await plane.waitForOperation(suspended.body.operation.id)).status).toBe('succeeded');
    // The worker changes the login, not the tenant: the answer still says what the registry holds.
    expect((await plane.admin('GET', '/tenants/paused')).body).toEqual(suspended.body.tenant);

    // The resumption makes the tenant active only once its login is enabled: until then it stays suspended,
    // whatever the worker did between the request and its answer.
    const resumed = await plane.admin('POST', '/tenants/paused/resume');
    expect(resumed.status).toBe(202);
    expect(resumed.body.tenant).toEqual(suspended.body.tenant);
    expect(resumed.body.operation).toMatchObject({ kind: 'resume', status: 'pending' });
    expect((await plane.waitForOperation(resumed.body.operation.id)).status).toBe('succeeded');
    const active = (await plane.admin('GET', '/tenants/paused')).body;
    expect(active).toMatchObject({ status: 'active', database: { name: database('paused'), status: 'present' } });
    expect(Date.parse(active.updatedAt)).toBeGreaterThan(Date.parse(resumed.body.tenant.updatedAt));
  });

  it('a deleted tenant shows its database as dropped, when it was dropped, alike in GET and in the list', async () => {
    const tenant = await plane.provision('gone');
    const deleting = await plane.admin('DELETE', '/tenants/gone');
    expect(deleting.status).toBe(202);
    const operation = await plane.waitForOperation(deleting.body.id);
    expect(operation.status).toBe('succeeded');

    const gone = await plane.admin('GET', '/tenants/gone');
    expect(gone.body).toMatchObject({
      status: 'deleted',
      database: { name: database('gone'), login: `${database('gone')}_app`, status: 'dropped', droppedAt: expect.any(String) },
    });
    // Recorded by the step that dropped it: during the operation, before the tenant was marked deleted.
    const droppedAt = Date.parse(gone.body.database.droppedAt);
    expect(droppedAt).toBeGreaterThanOrEqual(Date.parse(operation.startedAt));
    expect(droppedAt).toBeLessThanOrEqual(Date.parse(gone.body.deletedAt));
    expect(await plane.env.sql('SELECT 1 FROM pg_database WHERE datname = $1', [database('gone')])).toEqual([]);

    const listed = await plane.admin('GET', '/tenants?status=deleted');
    expect(listed.body.items.find((item: { id: string }) => item.id === tenant.id)).toEqual(gone.body);
  });

  it('the list shows each live tenant with its database, as GET does', async () => {
    await plane.provision('listed');
    const one = (await plane.admin('GET', '/tenants/listed')).body;
    const listed = await plane.admin('GET', '/tenants?status=active');
    expect(listed.body.items.find((item: { code: string }) => item.code === 'listed')).toEqual(one);
    expect(one.database).toMatchObject({ name: database('listed'), status: 'present', droppedAt: null });
  });
});
