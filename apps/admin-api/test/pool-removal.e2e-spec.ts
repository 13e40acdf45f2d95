import { surviveConnectionErrors } from '@tenantry/common';
import { configuredPoolSettings } from '@tenantry/registry';
import { Client } from 'pg';
import { startControlPlane, type ControlPlane, type HttpResult } from '@tenantry/test-support';

/** DELETE /pools/:name: a pool no tenant needs goes; one in use stays, whatever runs beside the removal. */
describe('removing a database pool', () => {
  let plane: ControlPlane;

  beforeAll(async () => {
    plane = await startControlPlane();
  });

  afterAll(async () => {
    await plane?.stop();
  });

  const register = async (name: string) => {
    const { host, port } = plane.env.settings(configuredPoolSettings);
    const answer = await plane.admin('PUT', `/pools/${name}`, { engine: 'postgres', host, port, maxDatabases: 5, dedicated: true });
    expect(answer.status).toBe(200);
  };
  const poolNames = async () => (await plane.admin<Array<{ name: string }>>('GET', '/pools')).body.map((pool) => pool.name);
  const adminSql = <T extends Record<string, unknown>>(text: string, params: unknown[] = []) => plane.env.sql<T>(text, params, plane.env.adminDatabase);

  it('removes an empty pool (204, audited); an unknown one is a 404, a malformed name a 400, a non-admin a 403', async () => {
    await register('spare');
    const removed = await plane.admin('DELETE', '/pools/spare');
    expect(removed.status).toBe(204);
    expect(await poolNames()).not.toContain('spare');
    expect(await adminSql(`SELECT actor, details ->> 'name' AS name FROM audit_events WHERE action = 'pool.remove'`)).toEqual([
      { actor: 'test-admin', name: 'spare' },
    ]);

    const again = await plane.admin('DELETE', '/pools/spare');
    expect(again).toMatchObject({ status: 404, body: { error: 'POOL_NOT_FOUND', message: 'database pool "spare" does not exist' } });
    expect((await plane.admin('DELETE', '/pools/Not_A_Pool')).status).toBe(400);
    await register('guarded');
    const user = await plane.issuer.mint({ roles: ['offline_access'] });
    expect((await plane.admin('DELETE', '/pools/guarded', undefined, user)).status).toBe(403);
    expect(await poolNames()).toContain('guarded');
  });

  it('refuses a pool with a tenant database on it (409, naming how many tenants), and removes it once that tenant is offboarded', async () => {
    await register('busy');
    const created = await plane.admin('POST', '/tenants', { code: 'busyco', name: 'Busy Co', pool: 'busy' });
    expect((await plane.waitForOperation(created.body.operation.id)).status).toBe('succeeded');

    const refused = await plane.admin('DELETE', '/pools/busy');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: 'POOL_IN_USE' });
    expect(refused.body.message).toBe('database pool "busy" is in use by 1 tenant (busyco): offboard them (DELETE /tenants/:code) before removing it');
    expect(await poolNames()).toContain('busy');

    const offboarded = await plane.admin('DELETE', '/tenants/busyco');
    expect((await plane.waitForOperation(offboarded.body.id)).status).toBe('succeeded');
    expect((await plane.admin('DELETE', '/pools/busy')).status).toBe(204);
    // The offboarded tenant's record of its database outlives the pool.
    expect((await plane.admin('GET', '/tenants/busyco')).body.database).toMatchObject({ name: `tenant_busyco_${plane.env.label}`, status: 'dropped' });
  });

  it('refuses the server this deployment registers as a pool at every start', async () => {
    const configured = plane.env.settings(configuredPoolSettings).name;
    const refused = await plane.admin('DELETE', `/pools/${configured}`);
    expect(refused).toMatchObject({ status: 409, body: { error: 'POOL_CONFIGURED' } });
    expect(refused.body.message).toContain('TENANT_PG_POOL_REGISTER=false');
  });

  describe('beside an admission naming the pool', () => {
    /**
     * Holds the audit table, so that whichever of the two requests comes first stops at its last
     * statement, inside its transaction, until `release`: the other then starts while it is open.
     */
    async function holdAudit(): Promise<{ release(): Promise<void> }> {
      const holder = new Client({ connectionString: plane.env.databaseUrl(plane.env.adminDatabase) });
      surviveConnectionErrors(holder, 'audit holder');
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE audit_events IN EXCLUSIVE MODE');
      return {
        async release() {
          await holder.query('COMMIT');
          await holder.end();
        },
      };
    }

    /** Until `count` sessions of the admin database wait for a lock (the held requests). */
    async function waiting(count: number): Promise<void> {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const [{ n }] = await adminSql<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        if (n >= count) return;
        if (Date.now() > deadline) throw new Error(`${n} of ${count} requests are waiting for a lock`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }

    it('raced, an admission and a removal never both succeed: a tenant admitted keeps its pool, one refused leaves nothing', async () => {
      for (let round = 0; round < 6; round += 1) {
        const pool = `raced${round}`;
        await register(pool);
        const [admitted, removed] = (await Promise.all([
          plane.admin('POST', '/tenants', { code: `racer${round}`, name: 'Racer', pool }),
          plane.admin('DELETE', `/pools/${pool}`),
        ])) as [HttpResult, HttpResult];
        if (admitted.status === 202) {
          expect(removed).toMatchObject({ status: 409, body: { message: expect.stringContaining(`in use by 1 tenant (racer${round})`) } });
          expect((await plane.waitForOperation(admitted.body.operation.id)).status).toBe('succeeded');
          expect(await poolNames()).toContain(pool);
        } else {
          expect(admitted).toMatchObject({ status: 400, body: { error: 'POOL_NOT_REGISTERED' } });
          expect(removed.status).toBe(204);
          expect((await plane.admin('GET', `/tenants/racer${round}`)).status).toBe(404);
        }
      }
    });

    it('a removal still open when the admission starts makes the admission a 400 that creates nothing', async () => {
      await register('leaving');
      const audit = await holdAudit();
      const removal = plane.admin('DELETE', '/pools/leaving');
      await waiting(1);
      const admission = plane.admin('POST', '/tenants', { code: 'late', name: 'Late', pool: 'leaving' });
      await waiting(2);
      await audit.release();

      const [removed, refused] = (await Promise.all([removal, admission])) as [HttpResult, HttpResult];
      expect(removed.status).toBe(204);
      expect(refused).toMatchObject({ status: 400, body: { error: 'POOL_NOT_REGISTERED' } });
      expect((await plane.admin('GET', '/tenants/late')).status).toBe(404);
    });
  });
});
