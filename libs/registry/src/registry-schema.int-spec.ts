import { createTestEnv, type TestEnv } from '@tenantry/testing';
import { DataSource } from 'typeorm';
import { migrateRegistry, registryDataSourceOptions } from './registry-data-source';

// Check constraints, foreign keys and partial indexes are written in the migrations only, so TypeORM,
// which does not see them on the entities, would drop them: that is the only difference allowed.
const DECLARED_IN_MIGRATIONS_ONLY = /^(ALTER TABLE "\w+" DROP CONSTRAINT "\w+"|DROP INDEX "public"\."\w+")$/;

describe('registry entities and migrations', () => {
  let env: TestEnv;
  let dataSource: DataSource;

  beforeAll(async () => {
    env = createTestEnv();
    await migrateRegistry(env.config);
    dataSource = await new DataSource(registryDataSourceOptions(env.config)).initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await env.cleanup();
  });

  it('describe one schema: on a migrated admin database TypeORM would add, drop or change no table or column (an empty migration:generate)', async () => {
    const pending = (await dataSource.driver.createSchemaBuilder().log()).upQueries.map(({ query }) => query);
    expect(pending.filter((query) => !DECLARED_IN_MIGRATIONS_ONLY.test(query))).toEqual([]);
  });
});
