import { jobIdFor, queueConnectionOptions, redisSettings, TENANT_OPERATIONS_QUEUE } from '@tenantry/common';
import { configuredPoolSettings, operationQueueSettings } from '@tenantry/registry';
import { startControlPlane, type ControlPlane } from '@tenantry/test-support';
import { Queue } from 'bullmq';
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

describe('placement on pools with a capacity, and offboarding with an export', () => {
  let plane: ControlPlane;
  let queue: Queue;
  const exportDir = join(tmpdir(), `tenantry-exports-${process.pid}-${Date.now()}`);

  beforeAll(async () => {
    // The configured shared pool holds two tenant databases.
    plane = await startControlPlane({ env: { TENANT_POOL_MAX_DATABASES: '2', EXPORT_DIR: exportDir, OPERATION_MAX_ATTEMPTS: '1' } });
    queue = new Queue(TENANT_OPERATIONS_QUEUE, {
      connection: queueConnectionOptions(plane.env.settings(redisSettings).url),
      prefix: plane.env.settings(operationQueueSettings).prefix,
    });
  });

  afterAll(async () => {
    await queue?.close();
    await plane?.stop();
    rmSync(exportDir, { recursive: true, force: true });
  });

  const poolNamed = async (name: string) => (await plane.admin('GET', '/pools')).body.find((p: { name: string }) => p.name === name);
  const tenantsNamed = async (code: string) => plane.env.sql(`SELECT 1 FROM tenants WHERE code = $1`, [code], plane.env.adminDatabase);
  const databaseOf = (code: string) => `tenant_${code}_${plane.env.label}`;

  it('fills the shared pool, then refuses a tenant with a clear error and creates nothing', async () => {
    await plane.provision('first');
    await plane.provision('second');
    const refused = await plane.admin('POST', '/tenants', { code: 'third', name: 'third' });
    expect(refused.status).toBe(422);
    expect(refused.body.message).toMatch(/every shared database pool in region local is full \(pool-t[0-9a-f]+ 2\/2\)/);
    expect(await tenantsNamed('third')).toHaveLength(0);
    expect(await plane.env.sql('SELECT 1 FROM pg_database WHERE datname = $1', [databaseOf('third')])).toHaveLength(0);
  });

  it('places an enterprise tenant on its own dedicated pool, which shared placement never uses', async () => {
    const { host, port } = plane.env.settings(configuredPoolSettings);
    const registered = await plane.admin('PUT', '/pools/acme-own', { engine: 'postgres', host, port, maxDatabases: 1, dedicated: true });
    expect(registered.status).toBe(200);
    expect(registered.body).toMatchObject({ name: 'acme-own', dedicated: true, databases: 0, room: 1 });

    const created = await plane.admin('POST', '/tenants', { code: 'bigcorp', name: 'Big Corp', pool: 'acme-own' });
    expect(created.status).toBe(202);
    expect((await plane.waitForOperation(created.body.operation.id)).status).toBe('succeeded');
    const pools = await plane.admin('GET', '/pools');
    expect(pools.body.find((p: { name: string }) => p.name === 'acme-own')).toMatchObject({ databases: 1, room: 0 });

    const full = await plane.admin('POST', '/tenants', { code: 'bigcorp_two', name: 'Big Corp 2', pool: 'acme-own' });
    expect(full.status).toBe(422);
    expect(full.body.message).toContain('database pool acme-own 1/1 is full');
    const unknown = await plane.admin('POST', '/tenants', { code: 'lost', name: 'Lost', pool: 'nowhere' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('"nowhere" is not registered');
    expect(await tenantsNamed('bigcorp_two')).toHaveLength(0);
  });

  it('refuses a postgres pool on a server that is not registered', async () => {
    const answer = await plane.admin('PUT', '/pools/elsewhere', { engine: 'postgres', host: '10.9.9.9', port: 5432, maxDatabases: 10 });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain('no postgres server is registered at 10.9.9.9:5432: register it first with PUT /servers/:name');
  });

  it('exports the tenant database before dropping it; the file restores into a fresh database', async () => {
    const tenant = await plane.admin('GET', '/tenants/first');
    const token = await plane.tenantToken(tenant.body.id);
    const order = await plane.business('POST', '/orders', token, { lines: [{ sku: 'KEEP-1', quantity: 4, unitPriceCents: 250 }] });
    expect(order.status).toBe(201);

    const deleted = await plane.admin('DELETE', '/tenants/first?export=true');
    expect(deleted.status).toBe(202);
    const operation = await plane.waitForOperation(deleted.body.id);
    expect(operation.status).toBe('succeeded');
    const exported = operation.steps.find((s: { step: string }) => s.step === 'export');
    expect(exported.detail).toContain(exportDir);
    expect(existsSync(exported.detail)).toBe(true);
    expect(await plane.env.sql('SELECT 1 FROM pg_database WHERE datname = $1', [databaseOf('first')])).toHaveLength(0);
    // Offboarded: its slot in the shared pool is free again.
    expect(await poolNamed(plane.env.settings(configuredPoolSettings).name)).toMatchObject({ databases: 1, reserved: 0, room: 1 });

    const restored = `restored_${plane.env.label}`;
    await plane.env.sql(`CREATE DATABASE ${restored}`);
    await run('pg_restore', ['--no-owner', '--no-acl', '--dbname', plane.env.databaseUrl(restored), exported.detail]);
    const rows = await plane.env.sql<{ sku: string; quantity: number }>('SELECT sku, quantity FROM order_lines', [], restored);
    expect(rows).toEqual([{ sku: 'KEEP-1', quantity: 4 }]);

    const again = await plane.admin('POST', '/tenants', { code: 'third', name: 'third' });
    expect(again.status).toBe(202);
  });

  it("refuses a database of the tenant's name that it did not make, fails for good, and resumes once an operator dropped it", async () => {
    // Made by hand where the tenant database will be, with a table in the way: never taken as the tenant's.
    await plane.env.sql(`CREATE DATABASE ${databaseOf('retried')}`);
    await plane.env.sql('CREATE TABLE customers (stray int)', [], databaseOf('retried'));
    const { host, port } = plane.env.settings(configuredPoolSettings);
    await plane.admin('PUT', '/pools/retry-room', { engine: 'postgres', host, port, maxDatabases: 5, dedicated: true });
    const created = await plane.admin('POST', '/tenants', { code: 'retried', name: 'retried', pool: 'retry-room' });
    const operationId: string = created.body.operation.id;
    const failed = await plane.waitForOperation(operationId);
    expect(failed).toMatchObject({ status: 'failed', step: 'create_database' });
    expect(failed.lastError).toMatch(
      /^database "tenant_retried_\w+" already exists and is not this tenant's: Tenantry did not create it: it carries no Tenantry mark \(owner "postgres"\)\. Drop or rename it, then retry the operation$/,
    );
    expect((await plane.admin('GET', '/tenants/retried')).body.status).toBe('failed');
    // Placed before it failed: it keeps its slot, where a retry resumes.
    expect(await poolNamed('retry-room')).toMatchObject({ databases: 1, reserved: 0, room: 4 });
    // The queue says so as well: a failed job with the reason, as Bull Board and the queue gauge show it.
    const failedJob = await queue.getJob(jobIdFor(operationId));
    expect({ state: await failedJob?.getState(), reason: failedJob?.failedReason }).toEqual({
      state: 'failed',
      reason: `operation ${operationId} failed at create_database: ${failed.lastError}`,
    });
    const metrics = await (await fetch(`${plane.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/^tenantry_queue_jobs\{state="failed"[^}]*\} [1-9]/m);

    await plane.env.sql(`DROP DATABASE ${databaseOf('retried')}`);
    const retried = await plane.admin('POST', `/operations/${operationId}/retry`);
    expect(retried.status).toBe(202);
    const done = await plane.waitForOperation(operationId);
    expect(done).toMatchObject({ status: 'succeeded', lastError: null });
    expect(done.steps.map((s: { step: string }) => s.step).filter((step: string) => step === 'create_database')).toHaveLength(1);
    expect((await plane.admin('GET', '/tenants/retried')).body.status).toBe('active');
    expect(await poolNamed('retry-room')).toMatchObject({ databases: 1, reserved: 0, room: 4 });
    const retriedJob = await queue.getJob(jobIdFor(operationId));
    expect({ state: await retriedJob?.getState(), value: retriedJob?.returnvalue }).toEqual({ state: 'completed', value: 'succeeded' });
    const again = await plane.admin('POST', `/operations/${operationId}/retry`);
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('only a failed operation can be retried');
  });

  it('registers an Azure SQL elastic pool, checking its resource id and its capacity against its SKU’s documented limit, and lists it', async () => {
    const elasticPoolId = '/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-tenants/providers/Microsoft.Sql/servers/sql-weu-1/elasticPools/pool-a';
    const sku = { name: 'GP_Gen5', capacity: 8 };
    // Its logical server first: Azure's 5,000 databases per server is the most it takes. In the tenants' region, so a tenant may name the pool.
    const server = { engine: 'azure-sql', host: 'sql-weu-1.database.windows.net', region: 'local', managedIdentity: true };
    const overLimit = await plane.admin('PUT', '/servers/sql-weu-1', { ...server, maxDatabases: 5001 });
    expect(overLimit.status).toBe(400);
    expect(overLimit.body.message).toContain('more than an Azure SQL logical server holds (5000');
    expect((await plane.admin('PUT', '/servers/sql-weu-1', { ...server, maxDatabases: 5000 })).body).toMatchObject({
      port: 1433,
      credential: { kind: 'managed-identity' },
    });
    const malformed = await plane.admin('PUT', '/pools/weu-a', {
      engine: 'azure-sql',
      elasticPoolId: '/subscriptions/x/pools/a',
      location: 'westeurope',
      sku,
      maxDatabases: 100,
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toContain('is not an elastic pool resource id');
    const tooBig = await plane.admin('PUT', '/pools/weu-a', { engine: 'azure-sql', elasticPoolId, location: 'westeurope', sku, maxDatabases: 501 });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.message).toContain(
      'more than a GP_Gen5 pool of 8 holds (500, https://learn.microsoft.com/azure/azure-sql/database/resource-limits-vcore-elastic-pools)',
    );
    const businessCritical = await plane.admin('PUT', '/pools/weu-a', {
      engine: 'azure-sql',
      elasticPoolId,
      location: 'westeurope',
      sku: { name: 'BC_Gen5', capacity: 8 },
      maxDatabases: 500,
    });
    expect(businessCritical.status).toBe(400);
    expect(businessCritical.body.message).toContain('more than a BC_Gen5 pool of 8 holds (100');
    const noSku = await plane.admin('PUT', '/pools/weu-a', { engine: 'azure-sql', elasticPoolId, location: 'westeurope', maxDatabases: 100 });
    expect(noSku.status).toBe(400);
    expect(noSku.body.message).toContain('an elastic pool needs its sku');

    const registered = await plane.admin('PUT', '/pools/weu-a', { engine: 'azure-sql', elasticPoolId, location: 'westeurope', sku, maxDatabases: 500, dedicated: true });
    expect(registered.status).toBe(200);
    const expected = { name: 'weu-a', engine: 'azure-sql', host: 'sql-weu-1.database.windows.net', port: 1433, elasticPoolId, location: 'westeurope', room: 500 };
    expect(registered.body).toMatchObject(expected);
    const pools = await plane.admin('GET', '/pools');
    expect(pools.body.find((p: { name: string }) => p.name === 'weu-a')).toMatchObject(expected);
  });

  it('fails a tenant naming an azure-sql pool at placement, saying the worker has no azure-sql engine', async () => {
    const created = await plane.admin('POST', '/tenants', { code: 'azured', name: 'Azured', pool: 'weu-a' });
    expect(created.status).toBe(202);
    const failed = await plane.waitForOperation(created.body.operation.id);
    expect(failed).toMatchObject({ status: 'failed', step: 'place' });
    expect(failed.lastError).toContain('no azure-sql engine is configured in this process');
    expect((await plane.admin('GET', '/tenants/azured')).body.status).toBe('failed');
    // Failed before it was placed: its slot is given back, and neither a retry that fails again nor offboarding gives it back twice.
    expect(await poolNamed('weu-a')).toMatchObject({ databases: 0, reserved: 0, room: 500 });
    expect((await plane.admin('POST', `/operations/${created.body.operation.id}/retry`)).status).toBe(202);
    expect(await plane.waitForOperation(created.body.operation.id)).toMatchObject({ status: 'failed', step: 'place' });
    expect(await poolNamed('weu-a')).toMatchObject({ databases: 0, reserved: 0, room: 500 });
    const deleted = await plane.admin('DELETE', '/tenants/azured');
    expect(deleted.status).toBe(202);
    expect(await plane.waitForOperation(deleted.body.id)).toMatchObject({ status: 'succeeded' });
    expect(await poolNamed('weu-a')).toMatchObject({ databases: 0, reserved: 0, room: 500 });
  });
});
