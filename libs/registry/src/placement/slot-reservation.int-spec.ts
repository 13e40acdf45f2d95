import { PoolCapacityExhausted, PoolNotRegistered, RegistryBusy, surviveConnectionErrors, type EngineKind, type PoolAddress } from '@tenantry/common';
import { testServerId, useTestRegistry } from '@tenantry/registry/testing';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { registryDataSourceOptions } from '../registry-data-source';
import { registrySettings } from '../registry-options';
import { RegistryUnitOfWork } from '../registry-unit-of-work';
import { reserveSlot, type SlotRequest } from './slot-reservation';

describe('pool slots: admission without a table lock', () => {
  const db = useTestRegistry();
  let codes = 0;

  const sql = <T extends Record<string, unknown>>(text: string, params: unknown[] = []) => db.env.sql<T>(text, params, db.env.adminDatabase);

  const address: PoolAddress = { engine: 'postgres', host: 'h', port: 5432, elasticPoolId: null, location: null };

  const register = async (name: string, maxDatabases: number, extra: { dedicated?: boolean; on?: PoolAddress } = {}) =>
    db.registry.repositories.pools.upsert({
      name,
      serverId: await testServerId(db.registry.repositories, extra.on ?? address),
      address: extra.on ?? address,
      maxDatabases,
      dedicated: extra.dedicated ?? false,
    });

  // Automatic placement looks at every shared pool: each test that uses it sees only the pools it registers.
  const setAsideEarlierPools = () => sql(`UPDATE database_pools SET dedicated = true`);

  /** What admission does: a new tenant and its slot in one transaction. */
  const admit = (request: Partial<SlotRequest> = {}) =>
    db.registry.transaction(async (r) => {
      codes += 1;
      const tenant = await r.tenants.insert({ code: `t${codes}`, name: 'n', plan: 'standard', region: 'local' });
      const poolId = await reserveSlot(r, tenant.id, { engines: ['postgres'] as EngineKind[], region: 'local', lockTimeoutMs: 300, ...request });
      return { tenantId: tenant.id, poolId };
    });

  const used = async (name: string) => {
    const [row] = await sql<{ used_slots: number; holders: number }>(
      `SELECT p.used_slots, (SELECT count(*)::int FROM tenants t WHERE t.slot_pool_id = p.id) AS holders FROM database_pools p WHERE p.name = $1`,
      [name],
    );
    return row;
  };

  /** Another admission to `pool` in flight: its row locked by a transaction that stays open until `release()`. */
  async function holdRow(pool: string): Promise<{ release(): Promise<void> }> {
    const client = new Client({ connectionString: db.env.databaseUrl(db.env.adminDatabase) });
    surviveConnectionErrors(client, 'row holder');
    await client.connect();
    await client.query('BEGIN');
    await client.query('SELECT 1 FROM database_pools WHERE name = $1 FOR UPDATE', [pool]);
    return {
      async release() {
        await client.query('ROLLBACK');
        await client.end();
      },
    };
  }

  it('takes the pool a tenant names up to its capacity, then refuses with its usage and creates nothing', async () => {
    const pool = await register('own', 2, { dedicated: true });
    expect((await admit({ pool: 'own' })).poolId).toBe(pool.id);
    await admit({ pool: 'own' });
    const tenantsBefore = await sql(`SELECT 1 FROM tenants`);
    await expect(admit({ pool: 'own' })).rejects.toThrow(new PoolCapacityExhausted('database pool own 2/2 is full'));
    await expect(admit({ pool: 'nowhere' })).rejects.toBeInstanceOf(PoolNotRegistered);
    expect(await sql(`SELECT 1 FROM tenants`)).toHaveLength(tenantsBefore.length);
    expect(await used('own')).toEqual({ used_slots: 2, holders: 2 });
  });

  it('places automatically on the shared pool with the most room, never on a dedicated pool or one of an engine not driven', async () => {
    await setAsideEarlierPools();
    const [a, b] = [await register('auto-a', 3), await register('auto-b', 2)];
    await register('auto-own', 100, { dedicated: true });
    const placed = [];
    for (let i = 0; i < 5; i += 1) placed.push((await admit()).poolId);
    // Most room first; a tie goes to the first by name.
    expect(placed).toEqual([a.id, a.id, b.id, a.id, b.id]);
    await expect(admit()).rejects.toThrow(
      'every shared database pool in region local is full (auto-a 3/3, auto-b 2/2); register a pool or raise a capacity with PUT /pools/:name',
    );
    await expect(admit({ engines: ['azure-sql'] })).rejects.toThrow('no shared database pool is registered');
  });

  it("places only on servers of the tenant's region that are not draining, and says why a named pool refuses", async () => {
    await setAsideEarlierPools();
    const draining = { ...address, host: 'draining' };
    const elsewhere = { ...address, host: 'elsewhere' };
    await testServerId(db.registry.repositories, draining, { draining: true });
    await testServerId(db.registry.repositories, elsewhere, { region: 'westeurope' });
    await register('on-draining', 50, { on: draining });
    await register('in-westeurope', 50, { on: elsewhere });
    const open = await register('open', 1);
    expect((await db.registry.repositories.pools.shared(['postgres'])).map(({ name, region, draining }) => ({ name, region, draining }))).toEqual([
      { name: 'in-westeurope', region: 'westeurope', draining: false },
      { name: 'on-draining', region: 'local', draining: true },
      { name: 'open', region: 'local', draining: false },
    ]);
    expect((await admit()).poolId).toBe(open.id);
    expect((await admit({ region: 'westeurope' })).poolId).not.toBe(open.id);
    await expect(admit()).rejects.toThrow('every shared database pool in region local is full (open 1/1)');
    await expect(admit({ pool: 'on-draining' })).rejects.toThrow(/database pool on-draining is on server postgres-draining-5432, which is draining/);
    await expect(admit({ pool: 'in-westeurope' })).rejects.toThrow("database pool in-westeurope is in region westeurope, not the tenant's (local)");
    await sql(`UPDATE database_pools SET dedicated = true WHERE name = 'open'`);
    await expect(admit()).rejects.toThrow('every server with a shared database pool in region local is draining');
    await expect(admit({ region: 'mars' })).rejects.toThrow('no shared database pool is registered in region mars');
  });

  it('never gives more slots than a capacity when admissions race for the last ones', async () => {
    await register('contested', 7, { dedicated: true });
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => admit({ pool: 'contested', lockTimeoutMs: 60_000 })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(7);
    for (const refused of results.filter((r) => r.status === 'rejected')) expect(refused.reason).toBeInstanceOf(PoolCapacityExhausted);
    expect(await used('contested')).toEqual({ used_slots: 7, holders: 7 });

    await setAsideEarlierPools();
    await Promise.all(['race-a', 'race-b', 'race-c'].map((name) => register(name, 3)));
    const automatic = await Promise.allSettled(Array.from({ length: 15 }, () => admit({ lockTimeoutMs: 60_000 })));
    expect(automatic.filter((r) => r.status === 'fulfilled')).toHaveLength(9);
    for (const name of ['race-a', 'race-b', 'race-c']) expect(await used(name)).toEqual({ used_slots: 3, holders: 3 });
  });

  it('admits to other pools while one pool is busy, and answers RegistryBusy for that one once its lock timeout passes', async () => {
    await setAsideEarlierPools();
    const hot = await register('hot', 100);
    const cold = await register('cold', 10);
    const held = await holdRow('hot');
    try {
      expect((await admit({ pool: 'cold' })).poolId).toBe(cold.id);
      // The roomiest shared pool is busy: automatic placement takes the next instead of waiting.
      expect((await admit()).poolId).toBe(cold.id);
      await expect(admit({ pool: 'hot' })).rejects.toThrow(new RegistryBusy('database pool "hot" is busy admitting other tenants; try again shortly'));
    } finally {
      await held.release();
    }
    expect((await admit({ pool: 'hot' })).poolId).toBe(hot.id);
    expect(await used('hot')).toEqual({ used_slots: 1, holders: 1 });
    expect(await used('cold')).toEqual({ used_slots: 2, holders: 2 });
  });

  it('gives a slot back once, however often it is released', async () => {
    await register('giving', 1, { dedicated: true });
    const { tenantId } = await admit({ pool: 'giving' });
    await Promise.all([db.registry.repositories.pools.release(tenantId), db.registry.repositories.pools.release(tenantId)]);
    await db.registry.repositories.pools.release(tenantId);
    expect(await used('giving')).toEqual({ used_slots: 0, holders: 0 });
    await admit({ pool: 'giving' });
    expect(await used('giving')).toEqual({ used_slots: 1, holders: 1 });
  });

  it('keeps a capacity lowered below the usage: nothing more is admitted until there is room again', async () => {
    await register('shrunk', 3, { dedicated: true });
    await admit({ pool: 'shrunk' });
    const { tenantId } = await admit({ pool: 'shrunk' });
    await register('shrunk', 1, { dedicated: true });
    await expect(admit({ pool: 'shrunk' })).rejects.toThrow('database pool shrunk 2/1 is full');
    await db.registry.repositories.pools.release(tenantId);
    await expect(admit({ pool: 'shrunk' })).rejects.toThrow('database pool shrunk 1/1 is full');
    await register('shrunk', 2, { dedicated: true });
    await admit({ pool: 'shrunk' });
    expect(await used('shrunk')).toEqual({ used_slots: 2, holders: 2 });
  });

  it('reports each pool as placed databases and tenants waiting for placement', async () => {
    const pool = await register('reported', 5, { dedicated: true });
    const { tenantId } = await admit({ pool: 'reported' });
    await admit({ pool: 'reported' });
    await db.registry.repositories.databases.place({
      tenantId,
      poolId: pool.id,
      address,
      databaseName: 'tenant_reported',
      loginName: 'tenant_reported_app',
    });
    const usage = (await db.registry.repositories.pools.usage()).find((u) => u.pool.name === 'reported');
    expect(usage).toMatchObject({ server: 'postgres-h-5432', databases: 1, reserved: 1, pool: { usedSlots: 2, maxDatabases: 5 } });
  });

  it('answers RegistryBusy when every registry connection stays busy past the wait', async () => {
    const small = await new DataSource(registryDataSourceOptions({ ...db.env.settings(registrySettings), connections: { poolSize: 2, waitMs: 200 } })).initialize();
    const busy = new RegistryUnitOfWork(small);
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    try {
      const holders = [busy.transaction(() => finished), busy.transaction(() => finished)];
      await expect(busy.transaction(async (r) => r.pools.shared(['postgres']))).rejects.toThrow(new RegistryBusy('every registry connection is busy; try again shortly'));
      finish();
      await Promise.all(holders);
    } finally {
      finish();
      await small.destroy();
    }
  });
});

describe('pool slots: the migration that adds them', () => {
  const db = useTestRegistry();

  it('counts what the table-locking admission counted: placed tenants not deleted, and tenants queued for a pool they named', async () => {
    // Back to just before PoolSlots, undoing what came after it too.
    const applied = async () => (await db.dataSource.query(`SELECT name FROM registry_migrations`)).map((row: { name: string }) => row.name);
    while ((await applied()).includes('PoolSlots1764000550000')) await db.dataSource.undoLastMigration({ transaction: 'all' });
    const q = (text: string, params: unknown[] = []) => db.dataSource.query(text, params);
    const [pool] = await q(`INSERT INTO database_pools (name, engine, host, port, max_databases) VALUES ('p', 'postgres', 'h', 5432, 10) RETURNING id`);
    const [other] = await q(`INSERT INTO database_pools (name, engine, host, port, max_databases) VALUES ('other', 'postgres', 'h', 5432, 10) RETURNING id`);
    const tenant = async (code: string, status: string) =>
      (await q(`INSERT INTO tenants (code, name, plan, region, status) VALUES ($1, $1, 's', 'l', $2) RETURNING id`, [code, status]))[0].id as string;
    const place = (tenantId: string, poolId: string) =>
      q(`INSERT INTO tenant_databases (tenant_id, pool_id, engine, host, port, database_name, login_name) VALUES ($1, $2, 'postgres', 'h', 5432, $3, $3)`, [
        tenantId,
        poolId,
        `db_${tenantId}`,
      ]);
    const provision = (tenantId: string, status: string, params: Record<string, unknown>) =>
      q(`INSERT INTO operations (tenant_id, kind, status, requested_by, params) VALUES ($1, 'provision', $2, 't', $3)`, [tenantId, status, params]);

    const active = await tenant('active', 'active');
    await place(active, pool.id);
    const failedPlaced = await tenant('failedplaced', 'failed');
    await place(failedPlaced, pool.id);
    await place(await tenant('gone', 'deleted'), pool.id);
    const queued = await tenant('queued', 'provisioning');
    await provision(queued, 'pending', { pool: 'other' });
    const automatic = await tenant('automatic', 'provisioning');
    await provision(automatic, 'running', {});
    await provision(await tenant('gaveup', 'failed'), 'failed', { pool: 'other' });

    await db.dataSource.runMigrations({ transaction: 'all' });
    const counters = await q(`SELECT name, used_slots FROM database_pools ORDER BY name`);
    expect(counters).toEqual([
      { name: 'other', used_slots: 1 },
      { name: 'p', used_slots: 2 },
    ]);
    const holders = await q(`SELECT code, slot_pool_id FROM tenants WHERE slot_pool_id IS NOT NULL ORDER BY code`);
    expect(holders).toEqual([
      { code: 'active', slot_pool_id: pool.id },
      { code: 'failedplaced', slot_pool_id: pool.id },
      { code: 'queued', slot_pool_id: other.id },
    ]);
  });
});
