import { startControlPlane, type ControlPlane } from '@tenantry/test-support';

/**
 * GET /pools/rebalance-plan on the built admin API: the configured pool holds two tenants (its
 * capacity), a second pool on the same server holds none; a plan moves the youngest out until the
 * full pool is back under the threshold, and moves nothing itself; a run starts those moves through
 * the move operation, no more at once than its cap.
 */
describe('GET /pools/rebalance-plan and POST /pools/rebalance', () => {
  let plane: ControlPlane;
  let configured: { name: string; server: string; host: string; port: number };

  beforeAll(async () => {
    plane = await startControlPlane({ env: { TENANT_POOL_MAX_DATABASES: '2' } });
    await plane.provision('older');
    await plane.provision('younger');
    configured = (await plane.admin('GET', '/pools')).body.find((pool: { databases: number }) => pool.databases === 2);
    const spare = await plane.admin('PUT', '/pools/rebalance-spare', { engine: 'postgres', host: configured.host, port: configured.port, maxDatabases: 10 });
    expect(spare.status).toBe(200);
  });

  afterAll(async () => {
    await plane?.stop();
  });

  it('proposes moving the youngest tenant of the full pool to the pool that stays under the threshold, with the reason, and moves nothing', async () => {
    const plan = await plane.admin('GET', '/pools/rebalance-plan?threshold=60');
    expect(plan.status).toBe(200);
    expect(plan.body).toEqual({
      thresholdPercent: 60,
      moves: [
        {
          tenant: { id: expect.any(String), code: 'younger' },
          from: { pool: configured.name, server: configured.server },
          to: { pool: 'rebalance-spare', server: configured.server },
          reason: `pool ${configured.name} is 100% full (2/2), above 60%`,
        },
      ],
      unresolved: [],
    });
    expect((await plane.admin('GET', '/tenants/younger')).body.database).toMatchObject({ host: configured.host, port: configured.port });
    const pools = (await plane.admin('GET', '/pools')).body;
    expect(pools.find((pool: { name: string }) => pool.name === configured.name)).toMatchObject({ databases: 2 });
    expect(pools.find((pool: { name: string }) => pool.name === 'rebalance-spare')).toMatchObject({ databases: 0 });
  });

  it('takes REBALANCE_FILL_PERCENT (80) when no threshold is given, and proposes nothing where every pool is at or under it', async () => {
    const plan = await plane.admin('GET', '/pools/rebalance-plan');
    expect(plan.body).toMatchObject({ thresholdPercent: 80, moves: [expect.objectContaining({ to: expect.objectContaining({ pool: 'rebalance-spare' }) })] });
    expect((await plane.admin('GET', '/pools/rebalance-plan?threshold=100')).body).toEqual({ thresholdPercent: 100, moves: [], unresolved: [] });
  });

  it('refuses a threshold that is not a whole percentage from 1 to 100, naming it', async () => {
    for (const bad of ['0', '101', '55.5', 'high', '-1']) {
      const answer = await plane.admin('GET', `/pools/rebalance-plan?threshold=${bad}`);
      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.body.message)).toContain('threshold must be a whole number from 1 to 100');
    }
  });

  it('is for platform admins only', async () => {
    expect((await plane.admin('GET', '/pools/rebalance-plan', undefined, null)).status).toBe(401);
    const tenant = (await plane.admin('GET', '/tenants/older')).body;
    expect((await plane.admin('GET', '/pools/rebalance-plan', undefined, await plane.tenantToken(tenant.id))).status).toBe(403);
  });

  it('runs a plan through the move operation, starting no more moves than the cap and deferring the rest to a later call', async () => {
    expect((await plane.admin('POST', '/pools/rebalance', { concurrency: 0 })).status).toBe(400);
    expect((await plane.admin('POST', '/pools/rebalance', { threshold: 40 }, null)).status).toBe(401);

    // 40% of 2 is 0.8: both tenants must go, one at a time.
    const first = await plane.admin('POST', '/pools/rebalance', { threshold: 40, concurrency: 1 });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ thresholdPercent: 40, concurrency: 1, movesUnderWay: 0, refused: [], unresolved: [] });
    expect(first.body.started.map((move: { tenant: { code: string } }) => move.tenant.code)).toEqual(['younger']);
    expect(first.body.deferred.map((move: { tenant: { code: string } }) => move.tenant.code)).toEqual(['older']);
    expect((await plane.waitForOperation(first.body.started[0].operation.id)).status).toBe('succeeded');

    const second = await plane.admin('POST', '/pools/rebalance', { threshold: 40, concurrency: 1 });
    expect(second.body.started.map((move: { tenant: { code: string } }) => move.tenant.code)).toEqual(['older']);
    expect((await plane.waitForOperation(second.body.started[0].operation.id)).status).toBe('succeeded');

    const pools = (await plane.admin('GET', '/pools')).body;
    expect(pools.find((pool: { name: string }) => pool.name === configured.name)).toMatchObject({ databases: 0 });
    expect(pools.find((pool: { name: string }) => pool.name === 'rebalance-spare')).toMatchObject({ databases: 2 });
    expect((await plane.admin('POST', '/pools/rebalance', { threshold: 40 })).body).toMatchObject({ moves: [], started: [], deferred: [] });
  });
});
