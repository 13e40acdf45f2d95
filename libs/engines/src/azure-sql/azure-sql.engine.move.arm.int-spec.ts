import type { TokenCredential } from '@azure/identity';
import type { PoolAddress } from '@tenantry/common';
import { type ArmSqlDouble, armDoubleEngineOptions, SPEC_API_VERSION, startArmSqlDouble, tenantTarget } from '@tenantry/engines/testing';
import { AzureCapacityRefused, TenantDatabaseConflict, UnsupportedMove } from '../engine-errors';
import type { TenantDatabaseTarget } from '../tenant-database-engine';
import { AzureSqlEngine } from './azure-sql.engine';

const SUBSCRIPTION = '6a5f1c8e-4b7d-4e2a-9c3b-2f1e0d9c8b7a';
const serverPath = (server: string) => `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-move/providers/Microsoft.Sql/servers/${server}`;
const poolId = (server: string, pool: string) => `${serverPath(server)}/elasticPools/${pool}`;
const WEU1_A = poolId('sql-move-1', 'pool-a');
const WEU1_B = poolId('sql-move-1', 'pool-b');
const WEU1_FULL = poolId('sql-move-1', 'pool-full');
const WEU2_A = poolId('sql-move-2', 'pool-a');
const WEU2_FULL = poolId('sql-move-2', 'pool-full');
// Microsoft's shape (doubling from a first delay, capped, within a budget), at test speed.
const RETRY = { firstDelayMs: 20, maxDelayMs: 2_000, budgetMs: 30_000 };

const address = (elasticPoolId: string): PoolAddress => {
  const server = /servers\/([^/]+)/.exec(elasticPoolId)![1];
  return { engine: 'azure-sql', host: `${server}.database.windows.net`, port: 1433, elasticPoolId, location: 'westeurope' };
};

describe('AzureSqlEngine moves a database between elastic pools, through the real SqlManagementClient against the spec-faithful ARM double', () => {
  let arm: ArmSqlDouble;
  let engine: AzureSqlEngine;
  const credential: TokenCredential = { getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const target = (code: string, elasticPoolId: string): TenantDatabaseTarget => tenantTarget(code, 'test', address(elasticPoolId));
  const stateOf = (t: TenantDatabaseTarget) =>
    arm.databases.get(`${serverPath(/servers\/([^/]+)/.exec(t.address.elasticPoolId!)![1])}/databases/${t.databaseName}`.toLowerCase());
  const seeded = async (source: TenantDatabaseTarget, replica: TenantDatabaseTarget) => {
    await engine.replication.startReplica(source, replica);
    while (!(await engine.replication.replicaCaughtUp(source, replica)));
  };
  const callsSince = (mark: number) => arm.calls.slice(mark).map((call) => `${call.method} ${call.path.replace(/^.*\/providers\/Microsoft\.Sql\//, '')}`);

  beforeAll(async () => {
    arm = await startArmSqlDouble({ pollsBeforeDone: 2, seedingReads: 2 });
    engine = new AzureSqlEngine(armDoubleEngineOptions(arm, credential, RETRY));
  });

  afterAll(async () => {
    await engine?.close();
    await arm?.close();
  });

  afterEach(() => {
    expect(arm.violations).toEqual([]);
    expect(arm.calls.every((call) => call.apiVersion === SPEC_API_VERSION)).toBe(true);
    arm.clearFaults();
  });

  describe('to another pool of the same logical server: Azure’s own online move', () => {
    it('PATCHes the elasticPoolId and follows the operation; the database serves Online from its old pool until Azure switches it', async () => {
      const t = target('mover', WEU1_A);
      await engine.createDatabase(t);
      let whileMoving: { status?: string; elasticPoolId?: string } | undefined;
      // The first poll of the move answers 503 once (retried, the poll is a GET), and shows the database as it is mid-move.
      arm.fail({
        method: 'GET',
        path: /databaseAzureAsyncOperation/,
        code: 'TooManyRequests',
        effect: () => (whileMoving = { status: stateOf(t)?.status, elasticPoolId: stateOf(t)?.elasticPoolId }),
      });
      const mark = arm.calls.length;
      await engine.moveToPool(t, address(WEU1_B));

      expect(whileMoving).toEqual({ status: 'Online', elasticPoolId: WEU1_A });
      expect(stateOf(t)).toMatchObject({ status: 'Online', elasticPoolId: WEU1_B });
      const calls = callsSince(mark);
      expect(calls.slice(0, 2)).toEqual([`GET servers/sql-move-1/databases/${t.databaseName}`, `PATCH servers/sql-move-1/databases/${t.databaseName}`]);
      expect(arm.calls.slice(mark).find((call) => call.method === 'PATCH')?.body).toEqual({ properties: { elasticPoolId: WEU1_B } });
      expect(calls.slice(2).every((call) => call.startsWith('GET locations/westeurope/database'))).toBe(true);
    });

    it('is done at once when the database is already in the target pool (a resumed move): one read, no PATCH', async () => {
      const t = target('settled', WEU1_A);
      await engine.createDatabase(t);
      await engine.moveToPool(t, address(WEU1_B));
      const mark = arm.calls.length;
      await engine.moveToPool(t, address(WEU1_B));
      expect(callsSince(mark)).toEqual([`GET servers/sql-move-1/databases/${t.databaseName}`]);
    });

    it('refuses a full target pool for good, with Azure’s reason, and leaves the database where it was', async () => {
      const occupant = target('occupant', WEU1_FULL);
      arm.limitPool(WEU1_FULL, 1);
      await engine.createDatabase(occupant);
      const t = target('crowded', WEU1_A);
      await engine.createDatabase(t);
      const mark = arm.calls.length;

      const attempt = engine.moveToPool(t, address(WEU1_FULL));
      await expect(attempt).rejects.toBeInstanceOf(AzureCapacityRefused);
      await expect(attempt).rejects.toThrow(/elastic pool .*pool-full has no room .*ElasticPoolDatabaseCountOverLimit/);
      // Not retried: one PATCH, answered 400.
      expect(
        arm.calls
          .slice(mark)
          .filter((call) => call.method === 'PATCH')
          .map((call) => call.status),
      ).toEqual([400]);
      expect(stateOf(t)).toMatchObject({ status: 'Online', elasticPoolId: WEU1_A });
    });

    it('waits out a 429 on the PATCH for its Retry-After and sends it again', async () => {
      const t = target('throttled', WEU1_A);
      await engine.createDatabase(t);
      arm.fail({ method: 'PATCH', path: /databases\/tenant_throttled_test$/, code: 'SubscriptionTooManyCreateUpdateRequests', retryAfterSeconds: 1 });
      const mark = arm.calls.length;
      await engine.moveToPool(t, address(WEU1_B));
      const patches = arm.calls.slice(mark).filter((call) => call.method === 'PATCH');
      expect(patches.map((call) => call.status)).toEqual([429, 202]);
      expect(patches[1].at - patches[0].at).toBeGreaterThanOrEqual(990);
      expect(stateOf(t)?.elasticPoolId).toBe(WEU1_B);
    });

    it('will not move in place to a pool of another logical server, and sends nothing', async () => {
      const t = target('elsewhere', WEU1_A);
      await engine.createDatabase(t);
      const mark = arm.calls.length;
      await expect(engine.moveToPool(t, address(WEU2_A))).rejects.toBeInstanceOf(UnsupportedMove);
      expect(callsSince(mark)).toEqual([]);
    });
  });

  describe('to another logical server: an active geo-replica, then a planned failover', () => {
    it('seeds a geo-secondary in the target pool, says when it is in CATCH_UP, fails over to it and removes the link; each step converges when run again', async () => {
      const source = target('traveller', WEU1_A);
      const replica = target('traveller', WEU2_A);
      await engine.createDatabase(source);

      let mark = arm.calls.length;
      await seeded(source, replica);
      const put = arm.calls.slice(mark).find((call) => call.method === 'PUT');
      expect(put?.path).toBe(`${serverPath('sql-move-2')}/databases/${replica.databaseName}`);
      expect(put?.body).toEqual({
        location: 'westeurope',
        tags: { tenant: 'traveller', environment: 'test' },
        properties: { elasticPoolId: WEU2_A, createMode: 'Secondary', sourceDatabaseId: `${serverPath('sql-move-1')}/databases/${source.databaseName}` },
      });
      const [link] = [...arm.links.values()];
      expect(link).toMatchObject({ state: 'CATCH_UP', primary: stateOf(source)!.id.toLowerCase(), secondary: stateOf(replica)!.id.toLowerCase() });
      expect(stateOf(replica)).toMatchObject({ status: 'Online', elasticPoolId: WEU2_A, secondaryType: 'Geo' });
      // The link was read once to find it, then until it caught up: SEEDING twice, then CATCH_UP.
      expect(callsSince(mark).filter((call) => call.endsWith('/replicationLinks'))).toHaveLength(3);

      mark = arm.calls.length;
      await engine.replication.startReplica(source, replica);
      expect(callsSince(mark)).toEqual([
        `GET servers/sql-move-2/databases/${replica.databaseName}`,
        `GET servers/sql-move-2/databases/${replica.databaseName}/replicationLinks`,
      ]);

      mark = arm.calls.length;
      await engine.replication.promoteReplica(source, replica);
      await engine.replication.endReplication(source, replica);
      const promoting = callsSince(mark);
      expect(promoting).toContain(`POST servers/sql-move-2/databases/${replica.databaseName}/replicationLinks/${link.id}/failover`);
      expect(promoting).toContain(`DELETE servers/sql-move-2/databases/${replica.databaseName}/replicationLinks/${link.id}`);
      expect(promoting.indexOf(`DELETE servers/sql-move-2/databases/${replica.databaseName}/replicationLinks/${link.id}`)).toBeGreaterThan(
        promoting.indexOf(`POST servers/sql-move-2/databases/${replica.databaseName}/replicationLinks/${link.id}/failover`),
      );
      expect(promoting.some((call) => call.startsWith('GET locations/westeurope/replicationLinksOperationResults/'))).toBe(true);
      expect(arm.links.size).toBe(0);
      // Both stand alone: the replica is the tenant's database now, the source is kept for the caller's retention.
      expect(stateOf(replica)).toMatchObject({ status: 'Online', elasticPoolId: WEU2_A, secondaryType: undefined });
      expect(stateOf(source)).toMatchObject({ status: 'Online', elasticPoolId: WEU1_A, secondaryType: undefined });

      mark = arm.calls.length;
      await engine.replication.endReplication(source, replica);
      expect(callsSince(mark)).toEqual([`GET servers/sql-move-2/databases/${replica.databaseName}/replicationLinks`]);
      await engine.dropDatabase(source);
      expect(stateOf(source)).toBeUndefined();
    });

    it('promotes once: run again after its failover (a crash before the step was recorded) it sends no second failover', async () => {
      const source = target('halfway', WEU1_A);
      const replica = target('halfway', WEU2_A);
      await engine.createDatabase(source);
      await seeded(source, replica);
      await engine.replication.promoteReplica(source, replica);

      const mark = arm.calls.length;
      await engine.replication.promoteReplica(source, replica);
      expect(callsSince(mark)).toEqual([`GET servers/sql-move-2/databases/${replica.databaseName}/replicationLinks`]);
      expect(arm.links.size).toBeGreaterThan(0);
      expect(stateOf(source)?.secondaryType).toBe('Geo');
    });

    it('is undone after its failover by failing back on the source, then dropping the replica; failing back twice sends one failover', async () => {
      const source = target('regretful', WEU1_A);
      const replica = target('regretful', WEU2_A);
      await engine.createDatabase(source);
      await seeded(source, replica);
      await engine.replication.promoteReplica(source, replica);

      const mark = arm.calls.length;
      await engine.replication.failBack(source, replica);
      await engine.replication.failBack(source, replica);
      expect(callsSince(mark).filter((call) => call.startsWith('POST'))).toEqual([
        expect.stringMatching(new RegExp(`^POST servers/sql-move-1/databases/${source.databaseName}/replicationLinks/[^/]+/failover$`)),
      ]);
      expect(stateOf(source)?.secondaryType).toBeUndefined();
      expect(stateOf(replica)?.secondaryType).toBe('Geo');
      await engine.dropDatabase(replica);
      expect([...arm.links.values()].some((link) => link.primary === stateOf(source)!.id.toLowerCase())).toBe(false);
    });

    it('is undone before the cut-over by dropping the replica: its link goes with it and the source serves on alone', async () => {
      const source = target('homebody', WEU1_A);
      const replica = target('homebody', WEU2_A);
      await engine.createDatabase(source);
      await engine.replication.startReplica(source, replica);
      await engine.dropDatabase(replica);
      expect(stateOf(replica)).toBeUndefined();
      expect([...arm.links.values()].some((link) => link.primary === stateOf(source)!.id.toLowerCase())).toBe(false);
      expect(stateOf(source)).toMatchObject({ status: 'Online', elasticPoolId: WEU1_A });
    });

    it('refuses a full target pool for good and creates nothing there', async () => {
      arm.limitPool(WEU2_FULL, 0);
      const source = target('squeezed', WEU1_A);
      await engine.createDatabase(source);
      const attempt = engine.replication.startReplica(source, target('squeezed', WEU2_FULL));
      await expect(attempt).rejects.toBeInstanceOf(AzureCapacityRefused);
      expect(stateOf(target('squeezed', WEU2_FULL))).toBeUndefined();
    });

    it('does not take a database of the tenant’s name on the target server that is not a replica of its database', async () => {
      const source = target('squatted', WEU1_A);
      await engine.createDatabase(source);
      const stranger = target('squatted', WEU2_A);
      await engine.createDatabase(stranger);
      await expect(engine.replication.startReplica(source, stranger)).rejects.toBeInstanceOf(TenantDatabaseConflict);
    });

    it('will not make a replica of a plain SQL Server’s database (no ARM, no geo-replication), and sends nothing', async () => {
      const plain = tenantTarget('plainsql', 'test', { engine: 'azure-sql', host: 'mssql.internal', port: 1433 });
      const mark = arm.calls.length;
      await expect(engine.replication.startReplica(plain, target('plainsql', WEU2_A))).rejects.toBeInstanceOf(UnsupportedMove);
      expect(callsSince(mark)).toEqual([]);
    });

    it('will not make a replica on the source’s own server: that move is in place', async () => {
      const source = target('homeserver', WEU1_A);
      await expect(engine.replication.startReplica(source, target('homeserver', WEU1_B))).rejects.toBeInstanceOf(UnsupportedMove);
    });
  });
});
