import { Logger } from '@nestjs/common';
import { createTestEnv, type TestEnv } from '@tenantry/common/testing';
import { adminDatabaseSettings, LockLost, migrateRegistry, registryDataSourceOptions, registrySettings, RegistryUnitOfWork } from '@tenantry/registry';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { workerSettings } from '../worker-settings';
import { FailPoints } from './fail-points';
import { OperationFailed, SagaRunner } from './saga-runner';
import { PermanentStepFailure } from './saga-step';

describe('SagaRunner (real admin database)', () => {
  let env: TestEnv;
  let dataSource: DataSource;
  let registry: RegistryUnitOfWork;
  let runner: SagaRunner;

  beforeAll(async () => {
    // The runner logs each failed step; these failures are on purpose.
    Logger.overrideLogger(false);
    env = createTestEnv();
    await migrateRegistry(env.settings(adminDatabaseSettings));
    dataSource = await new DataSource(registryDataSourceOptions(env.settings(registrySettings))).initialize();
    registry = new RegistryUnitOfWork(dataSource);
    runner = new SagaRunner(registry, new FailPoints(env.settings(workerSettings).worker), new WorkerMetrics(new Registry()));
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await env?.cleanup();
  });

  const options = { maxAttempts: 5, onFailed: async () => undefined };

  async function newOperation(code: string) {
    const tenant = await registry.repositories.tenants.insert({ code, name: code, plan: 'standard', region: 'local' });
    return registry.repositories.operations.insert({ tenantId: tenant.id, kind: 'provision', requestedBy: 'test' });
  }

  it('stops when the connection holding the tenant lock ends mid-saga: the step in hand is not checkpointed, the next never runs', async () => {
    const operation = await newOperation('lost_lock');
    const next = jest.fn(async () => undefined);
    const failover = async () => {
      // The session holding the tenant lock ends, as in a failover; the lock is free for another worker from then on.
      await env.sql(`SELECT pg_terminate_backend(pid, 5000) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = $1)`, [
        env.adminDatabase,
      ]);
      await env.sql('SELECT 1');
    };
    await expect(
      runner.run(
        operation.id,
        [
          { name: 'first', run: failover },
          { name: 'second', run: next },
        ],
        options,
      ),
    ).rejects.toBeInstanceOf(LockLost);
    expect(next).not.toHaveBeenCalled();
    const row = await registry.repositories.operations.findById(operation.id);
    expect(row).toMatchObject({ status: 'running', attempts: 1, completedSteps: [], lastError: null });
  });

  it('an operation that succeeds on a later attempt no longer shows the error of the earlier one', async () => {
    const operation = await newOperation('flaky');
    const flaky = jest.fn().mockRejectedValueOnce(new Error('connection reset')).mockResolvedValue(undefined);
    await expect(runner.run(operation.id, [{ name: 'flaky', run: flaky }], options)).rejects.toThrow('connection reset');
    expect(await registry.repositories.operations.findById(operation.id)).toMatchObject({ status: 'running', step: 'flaky', lastError: 'connection reset' });
    expect(await runner.run(operation.id, [{ name: 'flaky', run: flaky }], options)).toBe('succeeded');
    expect(await registry.repositories.operations.findById(operation.id)).toMatchObject({ status: 'succeeded', step: null, lastError: null, attempts: 2 });
  });

  it('a permanent failure ends the operation failed, its step and reason kept, and says so with OperationFailed', async () => {
    const operation = await newOperation('doomed');
    const doomed = async () => {
      throw new PermanentStepFailure('pool is gone');
    };
    await expect(runner.run(operation.id, [{ name: 'place', run: doomed }], options)).rejects.toThrow(
      new OperationFailed(`operation ${operation.id} failed at place: pool is gone`),
    );
    expect(await registry.repositories.operations.findById(operation.id)).toMatchObject({ status: 'failed', step: 'place', lastError: 'pool is gone' });
    expect(await runner.run(operation.id, [{ name: 'place', run: doomed }], options)).toBe('already-finished');
  });
});
