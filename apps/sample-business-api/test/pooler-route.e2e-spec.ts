import { startControlPlane, type ControlPlane } from '@tenantry/test-support';

type PoolRow = {
  database: string;
  user: string;
};

/**
 * The default route (README, "Connection budget"): the business service reaches a PostgreSQL
 * tenant through PgBouncer, as the tenant's own login on its own database.
 */
describe('the sample business service reaches tenant databases through PgBouncer by default', () => {
  let plane: ControlPlane;

  beforeAll(async () => {
    plane = await startControlPlane();
  });

  afterAll(async () => {
    await plane?.stop();
  });

  it("an order goes through the pooler's pool of the tenant's database and login", async () => {
    const pooler = plane.pooler;
    if (!pooler) throw new Error('the control plane started no pooler');
    const tenant = await plane.provision('routed');
    const database = `tenant_routed_${plane.env.label}`;
    const token = await plane.tenantToken(tenant.id);

    const created = await plane.business('POST', '/orders', token, { customerName: 'Ada', lines: [{ sku: 'A-1', quantity: 1, unitPriceCents: 250 }] });
    expect(created.status).toBe(201);

    const pools = await pooler.console<PoolRow>('SHOW POOLS');
    expect(pools.filter((pool) => pool.database === database).map((pool) => pool.user)).toContain(`${database}_app`);
    const clients = await pooler.console<PoolRow>('SHOW CLIENTS');
    expect(clients.some((client) => client.database === database && client.user === `${database}_app`)).toBe(true);
  });
});
