import type { PoolAddress } from '@tenantry/common';
import { testServerId, useTestRegistry } from '@tenantry/registry/testing';
import { overfullPools, planRebalance } from '../placement/rebalance-planner';
import { reserveSlot } from '../placement/slot-reservation';

describe('FleetFillRepository: the figures of a rebalance plan, one query per table', () => {
  const db = useTestRegistry();
  const at = (host: string): PoolAddress => ({ engine: 'postgres', host, port: 5432, elasticPoolId: null, location: null });

  const registerPool = async (name: string, host: string, maxDatabases: number, server: { name: string; region?: string; maxDatabases?: number }, dedicated = false) => {
    const r = db.registry.repositories;
    const serverId = await testServerId(r, at(host), server);
    return r.pools.upsert({ name, serverId, address: at(host), maxDatabases, dedicated });
  };

  /** Admission and placement as the API and the worker do them: a slot, then (unless `placed` is false) the database on that pool. */
  const tenant = async (code: string, pool: string, options: { placed?: boolean; status?: 'active' | 'suspended'; busy?: boolean } = {}) =>
    db.registry.transaction(async (r) => {
      const row = await r.tenants.insert({ code, name: code, plan: 'standard', region: 'local' });
      const poolId = await reserveSlot(r, row.id, { pool, engines: ['postgres'], region: 'local', lockTimeoutMs: 1_000 });
      if (options.placed !== false) {
        await r.databases.place({ tenantId: row.id, poolId, address: at('ignored'), databaseName: `tenant_${code}`, loginName: `tenant_${code}` });
        await r.tenants.setStatus(row.id, options.status ?? 'active');
      }
      if (options.busy) await r.operations.insert({ tenantId: row.id, kind: 'rotate_credentials', requestedBy: 'test' });
      return row;
    });

  beforeAll(async () => {
    await registerPool('hot', 'fill-1', 4, { name: 'fill-1', maxDatabases: 10 });
    await registerPool('cool', 'fill-2', 10, { name: 'fill-2' });
    await registerPool('vip', 'fill-2', 2, { name: 'fill-2' }, true);
    for (const code of ['old1', 'old2']) await tenant(code, 'hot');
    await tenant('rotating', 'hot', { busy: true });
    await tenant('arriving', 'hot', { placed: false });
    await tenant('paused', 'cool', { status: 'suspended' });
  });

  it('reads every server and pool with its used slots (admitted tenants not placed yet included) in three queries (servers, pools, moves)', async () => {
    const query = jest.spyOn(db.dataSource.manager, 'query');
    try {
      const fleet = await db.registry.repositories.fill.fleet();
      expect(query).toHaveBeenCalledTimes(3);
      expect(fleet.movesUnderWay).toBe(0);
      expect(fleet.pools.map(({ name, used, maxDatabases, dedicated }) => ({ name, used, maxDatabases, dedicated }))).toEqual([
        { name: 'cool', used: 1, maxDatabases: 10, dedicated: false },
        { name: 'hot', used: 4, maxDatabases: 4, dedicated: false },
        { name: 'vip', used: 0, maxDatabases: 2, dedicated: true },
      ]);
      expect(fleet.servers.find((server) => server.name === 'fill-1')).toMatchObject({ engine: 'postgres', region: 'local', maxDatabases: 10, draining: false });
    } finally {
      query.mockRestore();
    }
  });

  it('takes as movable only the active, placed tenants of the given pools that no operation works on, in one query whatever their number', async () => {
    const { fill } = db.registry.repositories;
    const fleet = await fill.fleet();
    const ids = (names: string[]) => fleet.pools.filter((pool) => names.includes(pool.name)).map((pool) => pool.id);
    const query = jest.spyOn(db.dataSource.manager, 'query');
    try {
      const movable = await fill.movableTenants(ids(['hot', 'cool']));
      expect(query).toHaveBeenCalledTimes(1);
      // The rotating tenant has an operation pending, the arriving one no database yet, the paused one is suspended.
      expect(movable.map((t) => t.code).sort()).toEqual(['old1', 'old2']);
      expect(await fill.movableTenants([])).toEqual([]);
      expect(query).toHaveBeenCalledTimes(1);
    } finally {
      query.mockRestore();
    }
  });

  it('gives the planner what it needs to relieve the full pool without touching the dedicated one', async () => {
    const { fill } = db.registry.repositories;
    const fleet = await fill.fleet();
    const sources = overfullPools(fleet, 50);
    expect(sources.map((pool) => pool.name)).toEqual(['hot']);
    const plan = planRebalance(fleet, await fill.movableTenants(sources.map((pool) => pool.id)), { thresholdPercent: 50, engines: ['postgres'] });
    // hot holds 4/4: two of its slots must go to reach 50%, and only old1 and old2 may move (the youngest first).
    expect(plan.moves.map((move) => `${move.tenant.code}: ${move.from.pool}@${move.from.server} -> ${move.to.pool}@${move.to.server}`)).toEqual([
      'old2: hot@fill-1 -> cool@fill-2',
      'old1: hot@fill-1 -> cool@fill-2',
    ]);
    expect(plan.unresolved).toEqual([]);
  });

  it('counts a move under way out of its source pool (its target counts it already) and leaves its tenant out of the movable ones', async () => {
    const { fill, operations, tenants } = db.registry.repositories;
    const before = await fill.fleet();
    const hot = before.pools.find((pool) => pool.name === 'hot')!;
    const old1 = (await tenants.findByCode('old1'))!;
    await operations.insert({ tenantId: old1.id, kind: 'move', requestedBy: 'test', params: { pool: 'cool', from: { poolId: hot.id }, to: { poolId: 'elsewhere' } } });
    const during = await fill.fleet();
    expect(during.movesUnderWay).toBe(1);
    expect(during.pools.find((pool) => pool.name === 'hot')?.used).toBe(hot.used - 1);
    expect((await fill.movableTenants([hot.id])).map((t) => t.code)).toEqual(['old2']);
  });
});
