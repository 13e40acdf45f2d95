import type { INestApplicationContext } from '@nestjs/common';
import { TenantSchemaUnsupported } from '@tenantry/common';
import { createTestEnv, type TestEnv } from '@tenantry/common/testing';
import { bootTenancy, seedTenants, type SeededTenant } from '@tenantry/tenancy/testing';
import { TENANT_MIGRATIONS } from '@tenantry/tenant-schema';
import { TenancyMetrics } from '../metrics/tenancy-metrics';
import { TenantResolver } from './tenant-resolver';

const [FIRST, SECOND, THIRD] = TENANT_MIGRATIONS.map((migration) => migration.name);

describe('a business service refuses tenants outside the schema versions it works with', () => {
  let env: TestEnv;
  let tenants: SeededTenant[];
  const apps: INestApplicationContext[] = [];

  const boot = async (schemaVersions: { min?: string; max?: string }) => {
    const app = await bootTenancy(env, { schemaVersions });
    apps.push(app);
    return { resolver: app.get(TenantResolver), metrics: app.get(TenancyMetrics) };
  };

  const refusals = async (metrics: TenancyMetrics) => (await metrics.registry.getSingleMetric('tenantry_tenant_schema_version_refusals_total')!.get()).values;

  beforeAll(async () => {
    env = createTestEnv();
    tenants = await seedTenants(env, 4);
    const versions = [FIRST, SECOND, THIRD, null];
    for (const [i, tenant] of tenants.entries()) {
      await env.sql(`UPDATE tenant_databases SET schema_version = $2 WHERE tenant_id = $1`, [tenant.id, versions[i]], env.adminDatabase);
    }
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  afterAll(async () => {
    await env.cleanup();
  });

  it('serves every version when no range is declared', async () => {
    const { resolver } = await boot({});
    for (const tenant of tenants) await expect(resolver.resolveActive(tenant.id)).resolves.toMatchObject({ tenantId: tenant.id });
  });

  it('serves the tenants inside the range; refuses those below, above or without a version with a 503 that says why, and counts each', async () => {
    const { resolver, metrics } = await boot({ min: SECOND, max: SECOND.slice(-13) });
    await expect(resolver.resolveActive(tenants[1].id)).resolves.toMatchObject({ database: { schemaVersion: SECOND } });
    const below = await resolver.resolveActive(tenants[0].id).catch((error: unknown) => error);
    expect(below).toBeInstanceOf(TenantSchemaUnsupported);
    expect(below).toMatchObject({ category: 'unavailable', code: 'TENANT_SCHEMA_UNSUPPORTED' });
    expect((below as Error).message).toBe(
      `the tenant's database is at schema version ${FIRST}, outside the versions this service works with (${SECOND} to ${SECOND.slice(-13)}); try again shortly`,
    );
    await expect(resolver.resolveActive(tenants[2].id)).rejects.toThrow(`schema version ${THIRD}, outside`);
    await expect(resolver.resolveActive(tenants[3].id)).rejects.toThrow('schema version (none recorded), outside');
    // Cached like the rest: the second refusal of a tenant reads nothing again, and is counted again.
    await expect(resolver.resolveActive(tenants[0].id)).rejects.toBeInstanceOf(TenantSchemaUnsupported);
    expect(Object.fromEntries((await refusals(metrics)).map((value) => [value.labels.reason, value.value]))).toEqual({ below: 2, above: 1, unknown: 1 });
  });

  it("takes an open bound: a rolling upgrade's new replicas declare only the oldest version they need", async () => {
    const { resolver } = await boot({ min: SECOND });
    await expect(resolver.resolveActive(tenants[2].id)).resolves.toMatchObject({ database: { schemaVersion: THIRD } });
    await expect(resolver.resolveActive(tenants[0].id)).rejects.toBeInstanceOf(TenantSchemaUnsupported);
  });
});
