import { mintWithUnpublishedKey } from '@tenantry/auth/testing';
import { Client } from 'pg';
import { startControlPlane, type ControlPlane } from '@tenantry/test-support';

describe('a tenant, end to end: admin API -> worker -> its own database -> sample service', () => {
  let plane: ControlPlane;
  let acme: { id: string; code: string };
  let globex: { id: string; code: string };

  beforeAll(async () => {
    plane = await startControlPlane({ env: { BULL_BOARD_PASSWORD: 'board-password-for-tests' } });
    [acme, globex] = await Promise.all([plane.provision('acme'), plane.provision('globex')]);
  });

  afterAll(async () => {
    await plane?.stop();
  });

  const dbName = (code: string) => `tenant_${code}_${plane.env.label}`;

  it('provisions a database with its own login that only that login (and the admin) can connect to', async () => {
    const tenant = await plane.admin('GET', `/tenants/acme`);
    expect(tenant.status).toBe(200);
    expect(tenant.body).toMatchObject({ code: 'acme', status: 'active', database: { name: dbName('acme'), login: `${dbName('acme')}_app` } });
    expect(JSON.stringify(tenant.body)).not.toMatch(/secret|password/i);

    const [database] = await plane.env.sql<{ datname: string }>('SELECT datname FROM pg_database WHERE datname = $1', [dbName('acme')]);
    expect(database?.datname).toBe(dbName('acme'));
    const grants = await plane.env.sql<{ public_can: boolean; own_can: boolean; other_can: boolean }>(
      `SELECT has_database_privilege('public', $1, 'CONNECT') AS public_can,
              has_database_privilege($2, $1, 'CONNECT') AS own_can,
              has_database_privilege($3, $1, 'CONNECT') AS other_can`,
      [dbName('acme'), `${dbName('acme')}_app`, `${dbName('globex')}_app`],
    );
    expect(grants[0]).toEqual({ public_can: false, own_can: true, other_can: false });

    const operation = await plane.admin('GET', `/tenants/acme`);
    expect(operation.body.database.schemaVersion).toMatch(/\d{13}$/);
  });

  it('records each saga step with its duration on the operation', async () => {
    const created = await plane.admin('POST', '/tenants', { code: 'initech', name: 'Initech' });
    expect(created.status).toBe(202);
    expect(created.body.operation).toMatchObject({ kind: 'provision', status: 'pending' });
    const operation = await plane.waitForOperation(created.body.operation.id);
    expect(operation.status).toBe('succeeded');
    // The steps in order, one by one, are the crash-recovery test's subject; here, that each is recorded.
    const steps = operation.steps.map((s: { step: string }) => s.step);
    expect([steps[0], steps.at(-1)]).toEqual(['place', 'invalidate_cache']);
    expect(steps).toEqual(expect.arrayContaining(['create_login', 'apply_schema', 'store_credentials', 'activate']));
    for (const step of operation.steps) expect(step.durationMs).toBeGreaterThanOrEqual(0);
    // The default fast path: a clone of the template built for the current tenant-schema version.
    expect(operation.steps[1]).toMatchObject({ step: 'create_database', detail: 'template' });
  });

  it('writes and reads orders in the tenant database named by the token', async () => {
    const token = await plane.tenantToken(acme.id);
    const created = await plane.business('POST', '/orders', token, {
      customerName: 'Jane',
      lines: [{ sku: 'A-1', quantity: 3, unitPriceCents: 500 }],
    });
    expect(created.status).toBe(201);
    expect(created.body.totalCents).toBe(1500);
    const listed = await plane.business('GET', '/orders', token);
    expect(listed.status).toBe(200);
    expect(listed.body.map((o: { id: string }) => o.id)).toContain(created.body.id);

    const rows = await plane.env.sql<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE id = $1', [created.body.id], dbName('acme'));
    expect(rows[0].n).toBe(1);
  });

  describe('refusals say what is wrong', () => {
    it.each([
      ['Acme', 'lowercase'],
      ['1acme', 'start with a lowercase letter'],
      ['a', 'at least'],
      ['acme-corp', 'lowercase letters, digits'],
      ['x'.repeat(40), 'at most'],
      ['postgres', 'reserved'],
      ['pg_catalog', 'reserved'],
    ])('code %p -> 400 mentioning %p', async (code, hint) => {
      const response = await plane.admin('POST', '/tenants', { code, name: 'Bad' });
      expect(response.status).toBe(400);
      expect(String(response.body.message)).toContain(hint);
    });

    it('a body that is not JSON, or lacks a name -> 400', async () => {
      const response = await fetch(`${plane.adminUrl}/tenants`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await plane.adminToken()}`, 'content-type': 'application/json' },
        body: '{"code": ',
      });
      expect(response.status).toBe(400);
      const missing = await plane.admin('POST', '/tenants', { code: 'nameless' });
      expect(missing.status).toBe(400);
      expect(JSON.stringify(missing.body.message)).toContain('name');
    });

    it('the same code twice -> 409', async () => {
      const again = await plane.admin('POST', '/tenants', { code: 'acme', name: 'Acme again' });
      expect(again.status).toBe(409);
      expect(again.body.message).toContain('already taken');
    });

    it('no token, an expired token, a token signed by another key -> 401', async () => {
      expect((await plane.admin('GET', '/tenants', undefined, null)).status).toBe(401);
      const expired = await plane.issuer.mint({ roles: ['platform-admin'] }, { expiresInSeconds: -120 });
      const expiredAnswer = await plane.admin('GET', '/tenants', undefined, expired);
      expect(expiredAnswer.status).toBe(401);
      expect(expiredAnswer.body.message).toMatch(/expired/);
      const foreign = await mintWithUnpublishedKey(plane.issuer, { roles: ['platform-admin'] });
      expect((await plane.admin('GET', '/tenants', undefined, foreign)).status).toBe(401);
    });

    it('a Bearer credential that is not a JWT is called malformed, not missing', async () => {
      const answer = await fetch(`${plane.adminUrl}/tenants`, { headers: { authorization: 'Bearer abc' } });
      expect(answer.status).toBe(401);
      expect(((await answer.json()) as { message: string }).message).toMatch(/^malformed bearer token/);
      const basic = await fetch(`${plane.adminUrl}/tenants`, { headers: { authorization: 'Basic dXNlcjpwdw==' } });
      expect(((await basic.json()) as { message: string }).message).toMatch(/^missing bearer token/);
    });

    it("an admin's ID token is not an access token -> 401", async () => {
      const id = await plane.issuer.mint({ roles: ['platform-admin'] }, { kind: 'id' });
      const answer = await plane.admin('GET', '/tenants', undefined, id);
      expect(answer.status).toBe(401);
      expect(answer.body.message).toContain('not an access token');
    });

    it('a token without the platform-admin role -> 403', async () => {
      const user = await plane.issuer.mint({ roles: ['offline_access'], tenantId: acme.id });
      const answer = await plane.admin('GET', '/tenants', undefined, user);
      expect(answer.status).toBe(403);
      expect(answer.body.message).toContain('platform-admin');
    });

    it('a business call without a tenant_id claim -> 403; an unknown tenant -> 404', async () => {
      const noTenant = await plane.business('GET', '/orders', await plane.issuer.mint({ sub: 'someone' }));
      expect(noTenant.status).toBe(403);
      expect(noTenant.body.message).toContain('tenant_id');
      const unknown = await plane.business('GET', '/orders', await plane.tenantToken('6f1d2c3b-0000-4000-8000-000000000000'));
      expect(unknown.status).toBe(404);
    });

    it('unknown tenant and operation -> 404, malformed operation id -> 400', async () => {
      expect((await plane.admin('GET', '/tenants/nobody')).status).toBe(404);
      expect((await plane.admin('GET', '/operations/6f1d2c3b-0000-4000-8000-000000000000')).status).toBe(404);
      expect((await plane.admin('GET', '/operations/not-a-uuid')).status).toBe(400);
    });
  });

  it('lists tenants with pagination and a status filter', async () => {
    const page = await plane.admin('GET', '/tenants?status=active&page=1&pageSize=2');
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(2);
    expect(page.body.total).toBeGreaterThanOrEqual(2);
    expect(page.body.items.every((t: { status: string }) => t.status === 'active')).toBe(true);
    expect((await plane.admin('GET', '/tenants?pageSize=1000')).status).toBe(400);
    expect((await plane.admin('GET', '/tenants?status=sleeping')).status).toBe(400);
  });

  it('suspends and resumes: a suspended tenant is refused at once, then served again', async () => {
    const token = await plane.tenantToken(globex.id);
    expect((await plane.business('GET', '/orders', token)).status).toBe(200);
    const suspended = await plane.admin('POST', '/tenants/globex/suspend');
    expect(suspended.status).toBe(202);
    expect(suspended.body.tenant).toMatchObject({ status: 'suspended', database: { name: dbName('globex') } });
    expect(suspended.body.operation).toMatchObject({ kind: 'suspend' });
    const refused = await plane.business('GET', '/orders', token);
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('suspended');
    expect((await plane.waitForOperation(suspended.body.operation.id)).steps.map((s: { step: string }) => s.step)).toEqual([
      'disable_login',
      'end_sessions',
    ]);
    expect((await plane.admin('POST', '/tenants/globex/suspend')).status).toBe(409);
    const resumed = await plane.admin('POST', '/tenants/globex/resume');
    expect(resumed.status).toBe(202);
    expect((await plane.waitForOperation(resumed.body.operation.id)).status).toBe('succeeded');
    expect((await plane.admin('GET', '/tenants/globex')).body.status).toBe('active');
    expect((await plane.business('GET', '/orders', token)).status).toBe(200);
  });

  it('deprovisions: database and login dropped, tenant deleted, audit trail kept, code free again', async () => {
    const tenant = await plane.provision('umbrella');
    const token = await plane.tenantToken(tenant.id);
    expect((await plane.business('GET', '/orders', token)).status).toBe(200);

    const deleted = await plane.admin('DELETE', '/tenants/umbrella');
    expect(deleted.status).toBe(202);
    expect((await plane.waitForOperation(deleted.body.id)).status).toBe('succeeded');

    const after = await plane.admin('GET', '/tenants/umbrella');
    expect(after.body.status).toBe('deleted');
    expect(await plane.env.sql('SELECT 1 FROM pg_database WHERE datname = $1', [dbName('umbrella')])).toHaveLength(0);
    expect(await plane.env.sql('SELECT 1 FROM pg_roles WHERE rolname = $1', [`${dbName('umbrella')}_app`])).toHaveLength(0);
    expect((await plane.business('GET', '/orders', token)).status).toBe(404);

    const audit = await plane.env.sql<{ action: string; actor: string }>(
      'SELECT action, actor FROM audit_events WHERE tenant_id = $1 ORDER BY id',
      [tenant.id],
      plane.env.adminDatabase,
    );
    expect(audit.map((a) => a.action)).toEqual(['tenant.create', 'tenant.activated', 'tenant.delete', 'tenant.deleted']);
    expect(audit[0].actor).toBe('test-admin');
    expect((await plane.admin('DELETE', '/tenants/umbrella')).status).toBe(404);
  });

  it('exposes Prometheus metrics: tenants by status and queue depth on the API, step durations on the worker', async () => {
    const api = await (await fetch(`${plane.adminUrl}/metrics`)).text();
    expect(api).toMatch(/tenantry_tenants\{[^}]*status="active"[^}]*\} [1-9]/);
    expect(api).toMatch(/tenantry_queue_jobs\{[^}]*state="waiting"[^}]*\} \d+/);
    const worker = await (await fetch(`${plane.workerMetricsUrl}`)).text();
    expect(worker).toMatch(/tenantry_saga_step_duration_seconds_count\{[^}]*kind="provision",step="create_database"[^}]*\} [1-9]/);
    expect(worker).toMatch(/tenantry_operations_finished_total\{[^}]*kind="provision",outcome="succeeded"[^}]*\} [1-9]/);
  });

  it('serves the Bull Board page behind its password', async () => {
    expect((await fetch(`${plane.adminUrl}/queues`)).status).toBe(401);
    const page = await fetch(`${plane.adminUrl}/queues`, {
      headers: { authorization: `Basic ${Buffer.from('admin:board-password-for-tests').toString('base64')}` },
    });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
  });

  it('answers /health and serves the OpenAPI document at /docs', async () => {
    const health = await fetch(`${plane.adminUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({
      status: 'ok',
      checks: { adminDb: 'up', redis: 'up' },
      registryPool: { size: expect.any(Number), idle: expect.any(Number), waiting: 0 },
    });
    const docs = await fetch(`${plane.adminUrl}/docs-json`);
    const document = (await docs.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/tenants', '/tenants/{code}', '/operations/{id}']));
  });
});
