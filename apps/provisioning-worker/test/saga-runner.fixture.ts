import { Logger } from '@nestjs/common';
import { createTestEnv, type TestEnv } from '@tenantry/common/testing';
import { adminDatabaseSettings, migrateRegistry, registryDataSourceOptions, registrySettings, RegistryUnitOfWork } from '@tenantry/registry';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { WorkerMetrics } from '../src/metrics/worker-metrics';
import { FailPoints } from '../src/saga/fail-points';
import { SagaRunner } from '../src/saga/saga-runner';
import { workerSettings } from '../src/worker-settings';

export interface TestSagaRunner {
  env: TestEnv;
  dataSource: DataSource;
  registry: RegistryUnitOfWork;
  runner: SagaRunner;
}

/** A SagaRunner on a migrated admin database of its own, set on the returned object before the file's tests and removed after them. */
export function useSagaRunner(): TestSagaRunner {
  const db = {} as TestSagaRunner;

  beforeAll(async () => {
    // The runner logs each failed step; the tests' failures are on purpose.
    Logger.overrideLogger(false);
    db.env = createTestEnv();
    await migrateRegistry(db.env.settings(adminDatabaseSettings));
    db.dataSource = await new DataSource(registryDataSourceOptions(db.env.settings(registrySettings))).initialize();
    db.registry = new RegistryUnitOfWork(db.dataSource);
    db.runner = new SagaRunner(db.registry, new FailPoints(db.env.settings(workerSettings).worker), new WorkerMetrics(new Registry()));
  });

  afterAll(async () => {
    await db.dataSource?.destroy();
    await db.env?.cleanup();
  });

  return db;
}
