import { TenantCodeTaken } from '@tenantry/common';
import { createTestEnv } from '@tenantry/common/testing';
import { testServerId, useTestRegistry } from '@tenantry/registry/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { databaseTarget } from './database-target';
import { migrateRegistry, registryDataSourceOptions } from './registry-data-source';
import { adminDatabaseSettings, registrySettings } from './registry-options';
import { LockLost } from './registry-unit-of-work';
import { OperationInProgress } from './repositories/operation.repository';

describe('registry (admin database)', () => {
  const db = useTestRegistry();

  const newTenant = (code: string) => ({ code, name: code, plan: 'standard', region: 'local' });

  it('is made by migrations, and migrating again (even concurrently) applies nothing', async () => {
    const again = await Promise.all([migrateRegistry(db.env.settings(adminDatabaseSettings)), migrateRegistry(db.env.settings(adminDatabaseSettings))]);
    expect(again).toEqual([[], []]);
    const tables = await db.dataSource.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
    expect(tables.map((t: { tablename: string }) => t.tablename)).toEqual([
      'audit_events',
      'data_keys',
      'database_pools',
      'database_servers',
      'migration_run_results',
      'migration_runs',
      'operations',
      'registry_migrations',
      'retired_databases',
      'tenant_backups',
      'tenant_databases',
      'tenant_drift',
      'tenant_restores',
      'tenants',
    ]);
  });

  it('lets no other role connect to the admin database; an owner that is not a superuser keeps its access', async () => {
    const [publicAccess] = await db.env.sql<{ connect: boolean; temp: boolean }>(
      `SELECT has_database_privilege('public', $1, 'CONNECT') AS connect, has_database_privilege('public', $1, 'TEMP') AS temp`,
      [db.env.adminDatabase],
    );
    expect(publicAccess).toEqual({ connect: false, temp: false });
    const stranger = `stranger_${db.env.label}`;
    await db.env.sql(`CREATE ROLE ${stranger} LOGIN`);
    const asStranger = new URL(db.env.databaseUrl(db.env.adminDatabase));
    asStranger.username = stranger;
    await expect(new DataSource({ type: 'postgres', url: asStranger.toString() }).initialize()).rejects.toThrow(/permission denied/);

    // The control plane's role on a managed server is rarely a superuser: it owns the admin database it made.
    const owner = `owner_${db.env.label}`;
    await db.env.sql(`CREATE ROLE ${owner} LOGIN CREATEDB`);
    await db.env.sql(`GRANT CONNECT ON DATABASE postgres TO ${owner}`);
    try {
      const ownerUrl = new URL(db.env.databaseUrl(db.env.adminDatabase));
      ownerUrl.username = owner;
      ownerUrl.pathname = '/postgres';
      const owned = createTestEnv({ DATABASE_URL: ownerUrl.toString(), ADMIN_DB_NAME: `tenantry_admin_${db.env.label}_owned` });
      await migrateRegistry(owned.settings(adminDatabaseSettings));
      await migrateRegistry(owned.settings(adminDatabaseSettings));
      const ownerSource = await new DataSource(registryDataSourceOptions(owned.settings(registrySettings))).initialize();
      expect(await ownerSource.query('SELECT count(*)::int AS n FROM tenants')).toEqual([{ n: 0 }]);
      await ownerSource.destroy();
      const byStranger = new URL(owned.databaseUrl(owned.adminDatabase));
      byStranger.username = stranger;
      await expect(new DataSource({ type: 'postgres', url: byStranger.toString() }).initialize()).rejects.toThrow(/permission denied/);
    } finally {
      await db.env.sql(`DROP DATABASE IF EXISTS tenantry_admin_${db.env.label}_owned WITH (FORCE)`);
      await db.env.sql(`REVOKE CONNECT ON DATABASE postgres FROM ${owner}`);
    }
  });

  it('gives one of two simultaneous registrations of a code a TenantCodeTaken', async () => {
    const results = await Promise.allSettled([
      db.registry.transaction((r) => r.tenants.insert(newTenant('race'))),
      db.registry.transaction((r) => r.tenants.insert(newTenant('race'))),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(TenantCodeTaken);
  });

  it('rolls the tenant back when the rest of its transaction fails', async () => {
    await expect(
      db.registry.transaction(async (r) => {
        await r.tenants.insert(newTenant('rolledback'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.registry.repositories.tenants.findByCode('rolledback')).toBeNull();
  });

  it('keeps the latest drift scan per tenant (a batch in one statement), summarised for the active fleet, gone with the tenant', async () => {
    const drift = db.registry.repositories.drift;
    const [a, b] = await Promise.all(['drifta', 'driftb'].map((code) => db.registry.repositories.tenants.insert(newTenant(code))));
    await db.env.sql(`UPDATE tenants SET status = 'active' WHERE id = ANY($1)`, [[a.id, b.id]], db.env.adminDatabase);
    const difference = { object: 'index' as const, name: 'orders_created_at', problem: 'missing' as const, description: 'index orders_created_at on orders missing' };
    const base = { schemaVersion: 'V1764000000000', fingerprint: 'f', expectedFingerprint: 'e', error: null };
    await drift.record([
      { ...base, tenantId: a.id, status: 'in_sync', differences: [] },
      { ...base, tenantId: b.id, status: 'unknown', differences: [], error: 'unreachable' },
    ]);
    await drift.record([{ ...base, tenantId: b.id, status: 'drifted', differences: [difference] }]);
    expect(await drift.find(b.id)).toMatchObject({ status: 'drifted', differences: [difference], error: null });
    const summary = await drift.summary(10);
    expect(summary.counts).toMatchObject({ in_sync: 1, drifted: 1 });
    expect(summary.drifted).toEqual([expect.objectContaining({ code: 'driftb', differences: 1 })]);
    await db.env.sql(`DELETE FROM tenants WHERE id = $1`, [b.id], db.env.adminDatabase);
    expect(await drift.find(b.id)).toBeNull();
  });

  it('allows one unfinished operation per tenant', async () => {
    const tenant = await db.registry.repositories.tenants.insert(newTenant('busy'));
    const first = await db.registry.repositories.operations.insert({ tenantId: tenant.id, kind: 'provision', requestedBy: 't' });
    await expect(db.registry.repositories.operations.insert({ tenantId: tenant.id, kind: 'deprovision', requestedBy: 't' })).rejects.toBeInstanceOf(OperationInProgress);
    await db.registry.repositories.operations.finish(first.id, 'succeeded');
    await expect(db.registry.repositories.operations.insert({ tenantId: tenant.id, kind: 'deprovision', requestedBy: 't' })).resolves.toMatchObject({
      status: 'pending',
    });
  });

  it('lets a suspension in beside another open operation, but never two suspensions', async () => {
    const tenant = await db.registry.repositories.tenants.insert(newTenant('urgent'));
    await db.registry.repositories.operations.insert({ tenantId: tenant.id, kind: 'rotate_credentials', requestedBy: 't' });
    await db.registry.repositories.operations.insert({ tenantId: tenant.id, kind: 'suspend', requestedBy: 't' });
    await expect(db.registry.repositories.operations.insert({ tenantId: tenant.id, kind: 'suspend', requestedBy: 't' })).rejects.toBeInstanceOf(OperationInProgress);
    await expect(db.registry.repositories.operations.insert({ tenantId: tenant.id, kind: 'resume', requestedBy: 't' })).rejects.toBeInstanceOf(OperationInProgress);
  });

  it('rolls a credential change back on the operation: nothing pending, its steps to run again', async () => {
    const tenant = await db.registry.repositories.tenants.insert(newTenant('undo'));
    const op = await db.registry.repositories.operations.insert({ tenantId: tenant.id, kind: 'rotate_credentials', requestedBy: 't' });
    const at = new Date('2026-01-02T03:04:05.678Z');
    await db.registry.repositories.operations.setPendingSecret(op.id, 'v1:pending');
    expect(await db.registry.repositories.operations.notePasswordChanged(op.id, at)).toEqual(at);
    // A step run again keeps the first change's time.
    expect(await db.registry.repositories.operations.notePasswordChanged(op.id, new Date())).toEqual(at);
    for (const step of ['prepare_credentials', 'set_login_password', 'other']) {
      await db.registry.repositories.operations.completeStep(op.id, { step, startedAt: at.toISOString(), durationMs: 1 });
    }
    await db.registry.repositories.operations.undoCredentialChange(op.id, ['prepare_credentials', 'set_login_password', 'store_credentials']);
    expect(await db.registry.repositories.operations.findById(op.id)).toMatchObject({
      pendingSecret: null,
      passwordChangedAt: null,
      completedSteps: [expect.objectContaining({ step: 'other' })],
    });
  });

  it('checkpoints steps and counts attempts on the operation row', async () => {
    const tenant = await db.registry.repositories.tenants.insert(newTenant('steps'));
    const op = await db.registry.repositories.operations.insert({ tenantId: tenant.id, kind: 'provision', requestedBy: 't' });
    expect((await db.registry.repositories.operations.claim(op.id))?.attempts).toBe(1);
    await db.registry.repositories.operations.completeStep(op.id, { step: 'place', startedAt: new Date().toISOString(), durationMs: 3 });
    await db.registry.repositories.operations.completeStep(op.id, { step: 'create_database', startedAt: new Date().toISOString(), durationMs: 70 });
    const claimedAgain = await db.registry.repositories.operations.claim(op.id);
    expect(claimedAgain?.attempts).toBe(2);
    expect(claimedAgain?.completedSteps.map((s) => s.step)).toEqual(['place', 'create_database']);
    await db.registry.repositories.operations.finish(op.id, 'succeeded');
    expect(await db.registry.repositories.operations.claim(op.id)).toBeNull();
  });

  it('keeps what a running step saves to go on after a crash, by step, until it is forgotten', async () => {
    const tenant = await db.registry.repositories.tenants.insert(newTenant('resumable'));
    const op = await db.registry.repositories.operations.insert({ tenantId: tenant.id, kind: 'deprovision', requestedBy: 't' });
    const operations = db.registry.repositories.operations;
    expect((await operations.findById(op.id))?.checkpoints).toEqual({});
    await operations.saveCheckpoint(op.id, 'export', '{"state":1}');
    await operations.saveCheckpoint(op.id, 'other', 'x');
    await operations.saveCheckpoint(op.id, 'export', '{"state":2}');
    expect((await operations.findById(op.id))?.checkpoints).toEqual({ export: '{"state":2}', other: 'x' });
    await operations.saveCheckpoint(op.id, 'export', null);
    expect((await operations.findById(op.id))?.checkpoints).toEqual({ other: 'x' });
  });

  it('frees a code once its tenant is deleted, keeping the old row readable', async () => {
    const old = await db.registry.repositories.tenants.insert(newTenant('reused'));
    await expect(db.registry.repositories.tenants.insert(newTenant('reused'))).rejects.toBeInstanceOf(TenantCodeTaken);
    await db.registry.repositories.tenants.setStatus(old.id, 'deleted');
    expect((await db.registry.repositories.tenants.findByCode('reused'))?.status).toBe('deleted');
    const fresh = await db.registry.repositories.tenants.insert(newTenant('reused'));
    expect((await db.registry.repositories.tenants.findByCode('reused'))?.id).toBe(fresh.id);
  });

  it('keeps an audit record whatever it quotes: control characters are stored escaped, NUL included', async () => {
    const tenant = await db.registry.repositories.tenants.insert(newTenant('audited'));
    await db.registry.repositories.audit.record({
      actor: { name: 'system\u0000worker', requestId: 'r\u00851' },
      action: 'operation.retry',
      tenant: { id: tenant.id },
      details: { lastError: 'engine said: \u0000bad\u001b[2J', nested: [{ 'ke\u0007y': 'v\nw' }], attempts: 3, gone: null },
    });
    const [event] = await db.registry.repositories.audit.forTenant(tenant.id);
    expect(event).toMatchObject({
      actor: 'system\\u0000worker',
      details: { lastError: 'engine said: \\u0000bad\\u001b[2J', nested: [{ 'ke\\u0007y': 'v\\u000aw' }], attempts: 3, gone: null },
      requestId: 'r\\u00851',
    });
  });

  it('keeps an elastic pool with its resource id and region, and hands them to the engine with each tenant placed on it', async () => {
    const elasticPoolId = '/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-weu-1/elasticPools/pool-a';
    const address = { engine: 'azure-sql' as const, host: 'sql-weu-1.database.windows.net', port: 1433, elasticPoolId, location: 'westeurope' };
    const pool = await db.registry.repositories.pools.upsert({
      name: 'weu-a',
      serverId: await testServerId(db.registry.repositories, address),
      address,
      maxDatabases: 500,
      dedicated: false,
    });
    expect(pool.address).toMatchObject({ elasticPoolId, location: 'westeurope' });

    const tenant = await db.registry.repositories.tenants.insert(newTenant('pooled'));
    await db.registry.repositories.databases.place({
      tenantId: tenant.id,
      poolId: pool.id,
      address,
      databaseName: 'tenant_pooled_x',
      loginName: 'tenant_pooled_x_app',
    });
    const placed = await db.registry.repositories.databases.findByTenant(tenant.id);
    expect(databaseTarget(tenant, placed!)).toEqual({
      tenantId: tenant.id,
      tenantCode: 'pooled',
      address: { engine: 'azure-sql', host: 'sql-weu-1.database.windows.net', port: 1433, elasticPoolId, location: 'westeurope' },
      databaseName: 'tenant_pooled_x',
      loginName: 'tenant_pooled_x_app',
    });
  });

  it('refuses half an elastic pool, or one on a postgres pool', async () => {
    const postgres = { engine: 'postgres' as const, host: 'h', port: 5432 };
    const capacity = { maxDatabases: 5, dedicated: false, serverId: await testServerId(db.registry.repositories, postgres) };
    const half = { ...postgres, engine: 'azure-sql' as const, elasticPoolId: '/x', location: null };
    await expect(db.registry.repositories.pools.upsert({ name: 'half', address: half, ...capacity })).rejects.toThrow(/database_pools_elastic_pool/);
    const mixed = { ...postgres, elasticPoolId: '/x', location: 'westeurope' };
    await expect(db.registry.repositories.pools.upsert({ name: 'mixed', address: mixed, ...capacity })).rejects.toThrow(/database_pools_elastic_pool/);
  });

  it('holds a per-tenant lock that a second taker cannot get', async () => {
    let inner: unknown;
    const outer = await db.registry.withLock('tenant:x', async () => {
      inner = await db.registry.withLock('tenant:x', async () => 'second');
      return 'first';
    });
    expect(outer).toEqual({ acquired: true, value: 'first' });
    expect(inner).toEqual({ acquired: false });
    expect(await db.registry.withLock('tenant:x', async () => 'again')).toEqual({ acquired: true, value: 'again' });
  });

  it('reads a running migration run whose lease lapsed as abandoned, and records it so with its counts; a renewed one stays running', async () => {
    const runs = db.registry.repositories.migrationRuns;
    const start = () => runs.start({ targetVersion: 'v2', options: {}, triggeredBy: 'test', leaseMs: 60_000 });
    const [dead, alive, finished] = [await start(), await start(), await start()];
    await runs.record(dead, { tenantId: randomUUID(), tenantCode: 'a', outcome: 'migrated', wave: 'canary', version: 'v2', pending: null, error: null, durationMs: 5 });
    await runs.finish(finished, 'succeeded', { migrated: 0 });
    const lapse = (id: string) => db.dataSource.query(`UPDATE migration_runs SET lease_until = now() - interval '1 second' WHERE id = $1`, [id]);
    await Promise.all([lapse(dead), lapse(alive), lapse(finished)]);
    await runs.renewLease(alive, 60_000);

    expect((await runs.find(dead))?.status).toBe('abandoned');
    expect((await runs.find(alive))?.status).toBe('running');
    const listed = (await runs.list(0, 100)).items;
    expect(Object.fromEntries(listed.map((run) => [run.id, run.status]))).toMatchObject({ [dead]: 'abandoned', [alive]: 'running', [finished]: 'succeeded' });

    const recorded = await runs.recordAbandoned();
    expect(recorded.map((run) => run.id)).toEqual([dead]);
    const [row] = await db.dataSource.query(`SELECT status, counts, finished_at = heartbeat_at AS "endedAtHeartbeat" FROM migration_runs WHERE id = $1`, [dead]);
    expect(row).toEqual({ status: 'abandoned', counts: { migrated: 1 }, endedAtHeartbeat: true });
    expect(await runs.recordAbandoned()).toEqual([]);
  });

  it('says at once when the connection holding a lock ends, and the lock is then free for another taker', async () => {
    const outcome = await db.registry.withLock('tenant:y', async (lost) => {
      expect(lost.aborted).toBe(false);
      const aborted = new Promise((resolve) => lost.addEventListener('abort', resolve));
      await db.env.sql(
        `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = (hashtextextended('tenant:y', 0) & x'ffffffff'::bigint)::oid AND database = (SELECT oid FROM pg_database WHERE datname = $1)`,
        [db.env.adminDatabase],
      );
      await aborted;
      expect(lost.reason).toBeInstanceOf(LockLost);
      return await db.registry.withLock('tenant:y', async () => 'taken over');
    });
    expect(outcome).toEqual({ acquired: true, value: { acquired: true, value: 'taken over' } });
  });
});
