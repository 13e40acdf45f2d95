import { createTestEnv, type TestEnv } from '@tenantry/common/testing';
import { DataSource } from 'typeorm';
import { adminDatabaseSettings, migrateRegistry, registryDataSourceOptions, registrySettings, RegistryUnitOfWork } from '../src';

export interface TestRegistry {
  env: TestEnv;
  dataSource: DataSource;
  registry: RegistryUnitOfWork;
}

/** A migrated admin database in a test env of its own, set on the returned object before the file's tests and removed after them. */
export function useTestRegistry(): TestRegistry {
  const db = {} as TestRegistry;

  beforeAll(async () => {
    db.env = createTestEnv();
    await migrateRegistry(db.env.settings(adminDatabaseSettings));
    db.dataSource = await new DataSource(registryDataSourceOptions(db.env.settings(registrySettings))).initialize();
    db.registry = new RegistryUnitOfWork(db.dataSource);
  });

  afterAll(async () => {
    await db.dataSource?.destroy();
    await db.env?.cleanup();
  });

  return db;
}
