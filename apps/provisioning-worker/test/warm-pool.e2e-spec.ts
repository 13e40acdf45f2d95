import { startControlPlane, type ControlPlane } from '@tenantry/test-support';

describe('warm pool of spare databases', () => {
  let plane: ControlPlane;

  beforeAll(async () => {
    plane = await startControlPlane({ env: { WARM_POOL_SIZE: '2' } });
  });

  afterAll(async () => {
    await plane?.stop();
  });

  const spares = async () =>
    (
      await plane.env.sql('SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname !~ $2', [
        `tenantry\\_spare\\_${plane.env.label}\\_%`,
        '_b$',
      ])
    ).length;

  async function until(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 120_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('hands a new tenant a spare by rename, then refills the pool in the background', async () => {
    await until(async () => (await spares()) === 2, 'the pool to fill');
    const created = await plane.admin('POST', '/tenants', { code: 'warm', name: 'warm' });
    const operation = await plane.waitForOperation(created.body.operation.id);
    expect(operation.status).toBe('succeeded');
    expect(operation.steps[1]).toMatchObject({ step: 'create_database', detail: 'spare' });
    const orders = await plane.business('GET', '/orders', await plane.tenantToken(created.body.tenant.id));
    expect(orders.status).toBe(200);
    await until(async () => (await spares()) === 2, 'the pool to refill');
  });
});
